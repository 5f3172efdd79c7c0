// A minimal tus 1.0 client for tests, speaking the protocol as tus-js-client or curl would: create
// an upload, send bytes, ask where it stands, abort it, and download files back; and what uploads
// left on the server's disk.
import { readdirSync } from "node:fs";
import { join } from "node:path";
import type { TestApp } from "./app";
import type { GraphqlClient } from "./client";

export const TUS_HEADERS = { "tus-resumable": "1.0.0" };

/** Upload-Metadata for these pairs. */
export function uploadMetadata(pairs: Record<string, string>): string {
  return Object.entries(pairs)
    .map(([key, value]) => `${key} ${Buffer.from(value, "utf8").toString("base64")}`)
    .join(",");
}

export interface TusClient {
  /** POST /files/uploads; `length` null defers it. */
  create(options: { name: string; folder?: string; length: number | null; headers?: Record<string, string> }): Promise<Response>;
  /** PATCH bytes at `offset`. */
  patch(location: string, offset: number, body: BodyInit | null, headers?: Record<string, string>): Promise<Response>;
  head(location: string): Promise<Response>;
  terminate(location: string): Promise<Response>;
  /** Creates an upload and sends `bytes` in one PATCH; returns the id of the file it became. */
  upload(name: string, bytes: Uint8Array, folder?: string): Promise<string>;
  /** GET /files/<id> with these headers. */
  download(id: string, headers?: Record<string, string>): Promise<Response>;
}

export function tusClient(client: GraphqlClient): TusClient {
  const auth = () => ({ authorization: `Bearer ${client.accessToken}`, ...TUS_HEADERS });
  const self: TusClient = {
    create: ({ name, folder, length, headers = {} }) =>
      fetch(`${client.url}/files/uploads`, {
        method: "POST",
        headers: {
          ...auth(),
          ...(length === null ? { "upload-defer-length": "1" } : { "upload-length": String(length) }),
          "upload-metadata": uploadMetadata(folder === undefined ? { filename: name } : { filename: name, folder }),
          ...headers,
        },
      }),
    patch: (location, offset, body, headers = {}) =>
      fetch(`${client.url}${location}`, {
        method: "PATCH",
        headers: { ...auth(), "content-type": "application/offset+octet-stream", "upload-offset": String(offset), ...headers },
        body,
      }),
    head: (location) => fetch(`${client.url}${location}`, { method: "HEAD", headers: auth() }),
    terminate: (location) => fetch(`${client.url}${location}`, { method: "DELETE", headers: auth() }),
    async upload(name, bytes, folder) {
      const created = await self.create({ name, folder, length: bytes.length });
      if (created.status !== 201) throw new Error(`create answered ${created.status}: ${await created.text()}`);
      const patched = await self.patch(created.headers.get("location") as string, 0, bytes as Uint8Array<ArrayBuffer>);
      const id = patched.headers.get("outpost-file-id");
      if (patched.status !== 204 || !id) throw new Error(`PATCH answered ${patched.status}: ${await patched.text()}`);
      return id;
    },
    download: (id, headers = {}) =>
      fetch(`${client.url}/files/${id}`, { headers: { authorization: `Bearer ${client.accessToken}`, ...headers } }),
  };
  return self;
}

/** A request body the test writes as it goes, as a slow or breaking client would send it. */
export function pushedBody(): { body: ReadableStream<Uint8Array>; push(bytes: Uint8Array): void; end(): void; breakOff(): void } {
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  const body = new ReadableStream<Uint8Array>({
    start(c) {
      controller = c;
    },
  });
  return {
    body,
    push: (bytes) => controller.enqueue(bytes),
    end: () => controller.close(),
    // The body fails mid-stream: the connection drops without the bytes' end.
    breakOff: () => controller.error(new Error("connection dropped")),
  };
}

/**
 * The ids of the upload bytes in the server's data directory and of its unfinished uploads, each
 * sorted: equal unless an upload that completed or was aborted left bytes behind.
 */
export function uploadBytesAndRows(server: TestApp): { bytes: string[]; rows: string[] } {
  const bytes = readdirSync(join(server.dataDir, "tmp", "uploads")).sort();
  const rows = server.app.db
    .query<{ id: string }, []>("SELECT id FROM file_uploads")
    .all()
    .map((row) => row.id)
    .sort();
  return { bytes, rows };
}
