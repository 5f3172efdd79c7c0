// Serving stored files over plain HTTP: GET /files/<id> for signed-in users and GET /s/<token>
// for share links. Bytes stream from disk (Bun sends a Bun.file body with sendfile); single and
// suffix Ranges get 206, unsatisfiable ones 416; the sha256 is a strong ETag (304 on a match);
// Content-Disposition carries the real name (RFC 6266 / 5987); documents a browser would run are
// served as plain-text attachments inside a sandbox, never rendered from our origin.

import { NotFoundError } from "../errors";
import type { Route } from "../http/router";
import { SECURITY_HEADERS } from "../http/security-headers";
import { servedAs } from "./mime";
import type { FileEntry, FilesService } from "./service";
import type { ShareLinks } from "./shares";
import { isFileId } from "./stored-bytes";

/** A byte range, both ends included. */
export interface ByteRange {
  start: number;
  end: number;
}

/**
 * What a Range header asks of a file of `size` bytes: one range, "unsatisfiable", or null to send
 * the whole file (no header, a unit other than bytes, several ranges, or syntax we do not take).
 */
export function parseRange(header: string | null, size: number): ByteRange | "unsatisfiable" | null {
  if (header === null) return null;
  const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!match || (match[1] === "" && match[2] === "")) return null;
  const [first, last] = [match[1] as string, match[2] as string];
  if (first === "") {
    const suffix = Number(last);
    if (suffix === 0 || size === 0) return "unsatisfiable";
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(first);
  const end = last === "" ? size - 1 : Math.min(Number(last), size - 1);
  if (last !== "" && Number(last) < start) return null;
  if (start >= size) return "unsatisfiable";
  return { start, end };
}

/** `attachment` or `inline` with the name for every browser: an ASCII fallback and the UTF-8 name (RFC 5987). */
export function contentDisposition(kind: "attachment" | "inline", name: string): string {
  const fallback = name.replace(/[^\x20-\x7e]|["\\%]/g, "_");
  const encoded = encodeURIComponent(name).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `${kind}; filename="${fallback}"; filename*=UTF-8''${encoded}`;
}

const etagOf = (file: FileEntry) => `"${file.sha256}"`;

/** True when If-None-Match names this ETag (or `*`); weak comparison, as RFC 9110 asks for it. */
function matchesNoneMatch(header: string | null, etag: string): boolean {
  if (header === null) return false;
  if (header.trim() === "*") return true;
  return header.split(",").some((tag) => tag.trim().replace(/^W\//, "") === etag);
}

/** What a request for a file gets: 304, 416, the whole file or one range. */
export type DownloadPlan = { status: 304 } | { status: 416 } | { status: 200; range: null } | { status: 206; range: ByteRange };

export function planDownload(request: Request, file: FileEntry): DownloadPlan {
  if (matchesNoneMatch(request.headers.get("if-none-match"), etagOf(file))) return { status: 304 };
  const ifRange = request.headers.get("if-range");
  // A range of another version of the file would be wrong: the whole file is sent instead.
  const range = ifRange !== null && ifRange.trim() !== etagOf(file) ? null : parseRange(request.headers.get("range"), file.sizeBytes);
  if (range === "unsatisfiable") return { status: 416 };
  return range ? { status: 206, range } : { status: 200, range: null };
}

/** The response for `plan`, streaming the bytes at `path`. */
export function fileResponse(request: Request, file: FileEntry, path: string, plan: DownloadPlan, { inline = false } = {}): Response {
  const { contentType, inlineAllowed } = servedAs(file.mimeType);
  const headers: Record<string, string> = {
    ...SECURITY_HEADERS,
    // Nothing of ours runs in a file, even one a browser opens directly.
    "content-security-policy": "sandbox; default-src 'none'; img-src 'self'; media-src 'self'; style-src 'unsafe-inline'",
    etag: etagOf(file),
    "accept-ranges": "bytes",
    "cache-control": "private, no-cache",
    "last-modified": file.updatedAt.toUTCString(),
  };
  if (plan.status === 304) return new Response(null, { status: 304, headers });
  if (plan.status === 416)
    return new Response(null, { status: 416, headers: { ...headers, "content-range": `bytes */${file.sizeBytes}` } });
  headers["content-type"] = contentType;
  headers["content-disposition"] = contentDisposition(inline && inlineAllowed ? "inline" : "attachment", file.name);
  const whole = Bun.file(path);
  if (plan.status === 206)
    return new Response(whole.slice(plan.range.start, plan.range.end + 1), {
      status: 206,
      headers: { ...headers, "content-range": `bytes ${plan.range.start}-${plan.range.end}/${file.sizeBytes}` },
    });
  // Bun answers a Range on a file body of status 200 by itself; a Range we chose not to honour
  // (several ranges, another version) must not be, so that body is a plain stream.
  return new Response(request.headers.has("range") ? whole.stream() : whole, { status: 200, headers });
}

/** GET /files/:id (signed in, files:read) and GET /s/:token (anyone with a working link). */
export function downloadRoutes({ files, shares }: { files: FilesService; shares: ShareLinks }): Route[] {
  return [
    {
      method: "GET",
      path: "/files/:id",
      access: "files:read",
      handle(request, { params }) {
        const id = params.id as string;
        if (!isFileId(id)) throw new NotFoundError(`No file with id ${JSON.stringify(id)}.`);
        const file = files.get(id);
        const inline = new URL(request.url).searchParams.get("disposition") === "inline";
        return fileResponse(request, file, files.contentPath(id), planDownload(request, file), { inline });
      },
    },
    {
      method: "GET",
      path: "/s/:token",
      access: "public",
      audit: { action: "files.share.download" },
      async handle(request, { params }) {
        const token = params.token as string;
        const { file } = shares.resolve(token);
        const plan = planDownload(request, file);
        // A GET that sends bytes uses up one download; HEAD, 304 and 416 do not.
        if (request.method === "GET" && (plan.status === 200 || plan.status === 206)) await shares.takeDownload(token);
        return fileResponse(request, file, files.contentPath(file.id), plan);
      },
    },
  ];
}
