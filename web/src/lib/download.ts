// Files handed to the browser to save: those the server sends as downloads (the audit export),
// fetched with the session cookie and the header a cookie needs outside a JSON POST
// (server/http/request-auth.ts), and those the page makes itself (the KV export).

import { GraphQLRequestError, refreshSession, SERVER_ERROR_CODES } from "./graphql";

// An object URL must live until the browser has read it; no event says when that is.
const OBJECT_URL_LIFETIME_MS = 60_000;

async function get(path: string): Promise<Response> {
  try {
    return await fetch(path, { credentials: "same-origin", headers: { "x-outpost-csrf": "1" } });
  } catch {
    throw new GraphQLRequestError("NETWORK", "Could not reach the server. Check your connection and that Outpost is running.");
  }
}

/** The error of a refused download, from the server's `{ error: { code, message } }`. */
async function refusal(response: Response): Promise<GraphQLRequestError> {
  const body = (await response.json().catch(() => null)) as { error?: { code?: string; message?: string } } | null;
  const code = SERVER_ERROR_CODES.find((known) => known === body?.error?.code) ?? "INTERNAL";
  return new GraphQLRequestError(code, body?.error?.message ?? `The server answered ${response.status} ${response.statusText}.`);
}

/**
 * Fetches `path` and saves the answer as a file, named as its Content-Disposition says; an expired
 * session is renewed once. Resolves once the browser has the whole file; rejects with a
 * GraphQLRequestError.
 */
export async function downloadFile(path: string): Promise<void> {
  let response = await get(path);
  if (response.status === 401 && (await refreshSession())) response = await get(path);
  if (!response.ok) throw await refusal(response);
  const name = /filename="([^"]+)"/.exec(response.headers.get("content-disposition") ?? "")?.[1] ?? "download";
  saveBlob(await response.blob(), name);
}

/** Offers `file` to the user as a download named `fileName`. */
export function saveBlob(file: Blob, fileName: string): void {
  const url = URL.createObjectURL(file);
  const link = document.createElement("a");
  link.href = url;
  link.download = fileName;
  link.hidden = true;
  document.body.append(link);
  link.click();
  link.remove();
  // Revoked at once, Firefox and Safari may cancel the download they have only just started.
  setTimeout(() => URL.revokeObjectURL(url), OBJECT_URL_LIFETIME_MS);
}
