// The tus 1.0 resumable upload protocol at /files/uploads (core, creation, creation-with-upload,
// creation-defer-length, termination, checksum with sha256, expiration), so tus-js-client, Uppy or
// curl can upload any size and resume after a dropped connection. This file only translates
// headers to and from the resumable uploads service; the rules live there.
import type { AuditService } from "../audit/service";
import { type AppError, InvalidInputError } from "../errors";
import { mediaType } from "../http/request-auth";
import { errorResponse, type Route, type RouteContext } from "../http/router";
import { ROOT_FOLDER } from "./names";
import type { FileEntry } from "./service";
import type { ResumableUploads } from "./uploads";

export const TUS_PATH = "/files/uploads";
const TUS_VERSION = "1.0.0";
const EXTENSIONS = "creation,creation-with-upload,creation-defer-length,termination,checksum,expiration";
const OFFSET_STREAM = "application/offset+octet-stream";
/** The header naming the file an upload became, on the response that completed it. */
export const FILE_ID_HEADER = "outpost-file-id";
const MAX_METADATA_CHARS = 8192;

const protocolError = (message: string, httpStatus = 400) => new InvalidInputError(message, { details: { httpStatus } });

/** A non-negative whole number in a header, or null when the header is absent. */
function byteCount(request: Request, header: string): number | null {
  const raw = request.headers.get(header);
  if (raw === null) return null;
  if (!/^\d{1,16}$/.test(raw.trim())) throw protocolError(`${header} must be a whole number of bytes.`);
  return Number(raw.trim());
}

/** Upload-Metadata: comma-separated `key base64value` pairs, values UTF-8. */
export function parseMetadata(header: string | null): Record<string, string> {
  if (header === null || header.trim() === "") return {};
  if (header.length > MAX_METADATA_CHARS) throw protocolError(`Upload-Metadata must be at most ${MAX_METADATA_CHARS} characters.`);
  const metadata: Record<string, string> = {};
  for (const pair of header.split(",")) {
    const [key, value = "", ...rest] = pair.trim().split(" ");
    if (!key || rest.length > 0 || !/^[\x21-\x7e]+$/.test(key) || !/^[A-Za-z0-9+/]*={0,2}$/.test(value))
      throw protocolError("Upload-Metadata must be comma-separated pairs of a key and a base64 value.");
    try {
      metadata[key] = new TextDecoder("utf-8", { fatal: true }).decode(Buffer.from(value, "base64"));
    } catch {
      throw protocolError(`Upload-Metadata ${key} is not UTF-8 text.`);
    }
  }
  return metadata;
}

/** Upload-Checksum: `sha256 <base64>`; the only algorithm offered. */
function checksumOf(request: Request): Uint8Array | null {
  const header = request.headers.get("upload-checksum");
  if (header === null) return null;
  const [algorithm, digest = ""] = header.trim().split(" ");
  if (algorithm !== "sha256") throw protocolError("Upload-Checksum supports sha256 only.");
  const bytes = Buffer.from(digest, "base64");
  if (bytes.length !== 32) throw protocolError("Upload-Checksum must carry a base64 sha256 digest.");
  return bytes;
}

const expiresHeader = (at: Date) => ({ "upload-expires": at.toUTCString() });

export function tusRoutes({
  uploads,
  audit,
  maxFileBytes,
}: {
  uploads: ResumableUploads;
  audit: Pick<AuditService, "recordOutcome">;
  maxFileBytes: number;
}): Route[] {
  // The router streams bodies (it only counts those without a length). One byte more than the
  // largest file, so that an upload of unknown length that runs over is refused with the numbers
  // by the service instead of being cut off at the server's cap.
  const patchBodyLimitBytes = maxFileBytes + 1;
  const headers = (extra: Record<string, string> = {}) => ({ "tus-resumable": TUS_VERSION, "cache-control": "no-store", ...extra });
  const withTusHeaders = (error: AppError, origin: RouteContext["origin"]) => {
    const response = errorResponse(error, origin.requestId);
    for (const [name, value] of Object.entries(headers())) response.headers.set(name, value);
    return response;
  };
  /** Every request but OPTIONS must speak our version of the protocol. */
  const requireVersion = (request: Request) => {
    if (request.headers.get("tus-resumable") !== TUS_VERSION)
      throw new InvalidInputError(`Send Tus-Resumable: ${TUS_VERSION}.`, { details: { httpStatus: 412, tusVersion: TUS_VERSION } });
  };
  const userOf = (context: RouteContext) => {
    if (context.viewer.kind === "anonymous") throw new Error("the router admits only signed-in callers here");
    return context.viewer.userId;
  };
  /** The completion of an upload is audited like a mutation: it is when a file appears. */
  const recordCompleted = (context: RouteContext, file: FileEntry) =>
    void audit.recordOutcome({
      viewer: context.viewer,
      client: context.origin,
      action: "files.upload.complete",
      target: { fileId: file.id, name: file.name, folder: file.folder, sizeBytes: file.sizeBytes },
    });
  const completedHeaders = (file: FileEntry | null): Record<string, string> => (file ? { [FILE_ID_HEADER]: file.id } : {});
  const uploadRoute = (method: Route["method"], handle: Route["handle"], extra: Partial<Route> = {}): Route => ({
    method,
    path: `${TUS_PATH}/:id`,
    access: "files:write",
    rateClass: "upload",
    errorResponse: withTusHeaders,
    handle,
    ...extra,
  });

  return [
    {
      method: "OPTIONS",
      path: TUS_PATH,
      access: "public",
      handle: () =>
        new Response(null, {
          status: 204,
          headers: headers({
            "tus-version": TUS_VERSION,
            "tus-extension": EXTENSIONS,
            "tus-max-size": String(maxFileBytes),
            "tus-checksum-algorithm": "sha256",
          }),
        }),
    },
    {
      method: "POST",
      path: TUS_PATH,
      access: "files:write",
      rateClass: "upload",
      // Creation may carry the first bytes (creation-with-upload).
      bodyLimitBytes: patchBodyLimitBytes,
      audit: { action: "files.upload.create" },
      errorResponse: withTusHeaders,
      async handle(request, context) {
        requireVersion(request);
        const lengthBytes = byteCount(request, "upload-length");
        const deferred = request.headers.get("upload-defer-length");
        if ((lengthBytes === null) === (deferred === null) || (deferred !== null && deferred.trim() !== "1"))
          throw protocolError("Send either Upload-Length or Upload-Defer-Length: 1.");
        const metadata = parseMetadata(request.headers.get("upload-metadata"));
        const name = metadata.filename ?? metadata.name;
        if (name === undefined) throw protocolError("Upload-Metadata must name the file (filename).");
        const userId = userOf(context);
        let { upload, file } = await uploads.create({ userId, name, folder: metadata.folder ?? ROOT_FOLDER, lengthBytes });
        let expiresAt: Date | null = null;
        const bodyBytes = byteCount(request, "content-length");
        if (!file && mediaType(request.headers.get("content-type")) === OFFSET_STREAM && request.body && bodyBytes !== 0) {
          ({ upload, file, expiresAt } = await uploads.append({
            id: upload.id,
            userId,
            offsetBytes: 0,
            body: request.body,
            bodyBytes,
            sha256: checksumOf(request),
          }));
        }
        if (file) recordCompleted(context, file);
        return new Response(null, {
          status: 201,
          headers: headers({
            location: `${TUS_PATH}/${upload.id}`,
            "upload-offset": String(upload.offsetBytes),
            ...(expiresAt ? expiresHeader(expiresAt) : {}),
            ...completedHeaders(file),
          }),
        });
      },
    },
    uploadRoute("HEAD", async (request, context) => {
      requireVersion(request);
      const status = await uploads.status(context.params.id as string, userOf(context));
      return new Response(null, {
        status: 200,
        headers: headers({
          "upload-offset": String(status.offsetBytes),
          ...(status.lengthBytes === null ? { "upload-defer-length": "1" } : { "upload-length": String(status.lengthBytes) }),
          ...expiresHeader(status.expiresAt),
        }),
      });
    }),
    uploadRoute(
      "PATCH",
      async (request, context) => {
        requireVersion(request);
        if (mediaType(request.headers.get("content-type")) !== OFFSET_STREAM)
          throw protocolError(`Send the bytes as Content-Type: ${OFFSET_STREAM}.`, 415);
        const offsetBytes = byteCount(request, "upload-offset");
        if (offsetBytes === null) throw protocolError("Send Upload-Offset: the byte the body starts at.");
        const { upload, file, expiresAt } = await uploads.append({
          id: context.params.id as string,
          userId: userOf(context),
          offsetBytes,
          body: request.body,
          bodyBytes: byteCount(request, "content-length"),
          declareLengthBytes: byteCount(request, "upload-length"),
          sha256: checksumOf(request),
        });
        if (file) recordCompleted(context, file);
        return new Response(null, {
          status: 204,
          headers: headers({ "upload-offset": String(upload.offsetBytes), ...expiresHeader(expiresAt), ...completedHeaders(file) }),
        });
      },
      { bodyLimitBytes: patchBodyLimitBytes },
    ),
    uploadRoute(
      "DELETE",
      async (request, context) => {
        requireVersion(request);
        await uploads.terminate(context.params.id as string, userOf(context));
        return new Response(null, { status: 204, headers: headers() });
      },
      { audit: { action: "files.upload.abort", target: (params) => ({ uploadId: params.id }) } },
    ),
  ];
}
