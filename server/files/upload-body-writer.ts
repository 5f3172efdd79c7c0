// Writing one request's body onto the bytes of an unfinished upload, apart from the bookkeeping of
// uploads (./uploads) because it is the part that must keep memory flat whatever the size: bytes go
// to disk in batches of about a megabyte, one written while the next is read, hashed on the way and
// each chunk freed once written; the file is flushed in the background as it grows. It stops at a
// limit, a dropped connection or a newer request taking over, and keeps what arrived within the
// limits (under a checksum, only when all of it arrived and matches).
import { type FileHandle, open } from "node:fs/promises";
import { AppError, InvalidInputError, LimitExceededError } from "../errors";

/** Where the running sha256 of an upload's bytes on disk is kept between requests. */
export interface RunningHash {
  /** The hash of the first `offsetBytes` bytes on disk. */
  set(offsetBytes: number, hasher: Bun.CryptoHasher): void;
  /** How much reached the disk is unknown: the hash must be rebuilt from the file. */
  forget(): void;
}

export interface BodyWrite {
  /** The upload's file, appended to. */
  path: string;
  /** The bytes the file holds before this request. */
  startOffset: number;
  /** The upload's whole length; null while the client has not said. */
  lengthBytes: number | null;
  body: ReadableStream<Uint8Array> | null;
  /** The body's declared length (Content-Length), when it has one. */
  bodyBytes: number | null;
  /** The sha256 the client computed over this request's bytes: they are kept only when it matches. */
  sha256?: Uint8Array | null;
  /** The running sha256 of the bytes on disk up to startOffset; updated as bytes reach the disk. */
  hasher: Bun.CryptoHasher;
  runningHash: RunningHash;
  /** Throws when an upload without a length may not grow to `totalBytes` (quotas, the largest file). */
  checkGrowth(totalBytes: number): void;
  /** Called each time a batch reached the disk, with the bytes the file holds now. */
  onWritten(offsetBytes: number): void;
  /** This request's hold on the upload: a newer request cancels it. */
  takeover: { cancelled(): boolean; onCancel(stop: () => void): void };
}

export interface BodyWriteResult {
  /** The bytes the file holds now. */
  offsetBytes: number;
  /** What stopped the write (a limit, a checksum mismatch, a failed write); null when it went through. */
  failure: unknown;
}

/** Bytes collected before they are written: fewer, larger writes; bounded memory. */
const WRITE_BATCH_BYTES = 1 << 20;
/**
 * Bytes after which an upload's file is flushed to disk in the background while more arrive, so
 * that the flush at its completion (which must not be skipped) finds little left to write.
 */
const SYNC_STEP_BYTES = 64 << 20;

/**
 * Appends every chunk. A write that stops short (the disk filled up) is continued, so the error it
 * then meets (ENOSPC) is thrown rather than the bytes silently lost.
 */
async function writeAll(handle: FileHandle, chunks: Uint8Array[]): Promise<void> {
  const total = chunks.reduce((sum, chunk) => sum + chunk.byteLength, 0);
  const { bytesWritten } = await handle.writev(chunks);
  if (bytesWritten === total) return;
  const rest = Buffer.concat(chunks).subarray(bytesWritten);
  for (let done = 0; done < rest.length; ) done += (await handle.write(rest, done)).bytesWritten;
}

/**
 * Frees a chunk of the body once it is on disk and hashed, instead of leaving a gigabyte of garbage
 * to the collector (which lets the process grow by tens of megabytes meanwhile). Only a chunk that
 * owns its whole buffer: a view into a larger one may share it with something else.
 */
function release(chunk: Uint8Array): void {
  const buffer = chunk.buffer;
  if (buffer instanceof ArrayBuffer && chunk.byteOffset === 0 && chunk.byteLength === buffer.byteLength) buffer.transfer(0);
}

/** The refusal of a checksum that does not match (tus answers 460). */
const checksumMismatch = () =>
  new InvalidInputError("The bytes received do not match Upload-Checksum; they were discarded. Send them again.", {
    details: { httpStatus: 460 },
  });

/**
 * Appends the body to the upload's file. Bytes received before a dropped connection are kept
 * (unless a checksum was sent, which they can no longer match); bytes past the upload's length or
 * past `checkGrowth` are never taken. Throws only when the file cannot be opened; what stopped the
 * write is returned as `failure`, with the bytes the file holds then.
 */
export async function writeUploadBody({
  path,
  startOffset,
  lengthBytes,
  body,
  bodyBytes,
  sha256,
  hasher,
  runningHash,
  checkGrowth,
  onWritten,
  takeover,
}: BodyWrite): Promise<BodyWriteResult> {
  const before = sha256 ? hasher.copy() : null;
  const requestHasher = sha256 ? new Bun.CryptoHasher("sha256") : null;
  let offset = startOffset;
  let batch: Uint8Array[] = [];
  let batchBytes = 0;
  // The previous batch is written (by the thread pool) while the next one is read and this
  // thread hashes; one write at a time, so the appends land in order.
  let writing: { chunks: Uint8Array[]; done: Promise<void> } | null = null;
  /** Bytes of this request taken so far: on disk, being written or in the batch. */
  let takenBytes = 0;
  let unsyncedBytes = 0;
  let syncing: Promise<void> | null = null;
  let dropped = false;
  let failure: unknown = null;
  const handle = await open(path, "a");
  /** Counts a batch that reached the disk: hashes it, frees it, reports progress. */
  const written = (chunks: Uint8Array[]) => {
    const from = offset;
    for (const chunk of chunks) {
      hasher.update(chunk);
      requestHasher?.update(chunk);
      offset += chunk.byteLength;
      release(chunk);
    }
    runningHash.set(offset, hasher);
    unsyncedBytes += offset - from;
    if (unsyncedBytes >= SYNC_STEP_BYTES && !syncing) {
      unsyncedBytes = 0;
      syncing = handle.datasync().then(
        () => {
          syncing = null;
        },
        (err) => {
          syncing = null;
          // What reached the disk is unknown, as after a failed write.
          runningHash.forget();
          failure ??= err;
        },
      );
    }
    onWritten(offset);
  };
  /** Waits for the batch being written, starts writing the collected one, then counts the first. */
  const flush = async () => {
    const previous = writing;
    const next = batch;
    writing = null;
    batch = [];
    batchBytes = 0;
    if (previous) {
      try {
        await previous.done;
      } catch (err) {
        // How much reached the disk is unknown: the running hash no longer matches the file.
        runningHash.forget();
        throw err;
      }
    }
    if (next.length > 0) {
      const done = writeAll(handle, next);
      // Awaited by the next flush; until then a failure must not count as unhandled.
      done.catch(() => {});
      writing = { chunks: next, done };
    }
    if (previous) written(previous.chunks);
  };
  /** Writes and counts everything collected. */
  const drain = async () => {
    while (writing || batchBytes > 0) await flush();
  };
  try {
    const reader = body?.getReader();
    takeover.onCancel(() => void reader?.cancel().catch(() => {}));
    while (reader && !takeover.cancelled()) {
      let next: Awaited<ReturnType<typeof reader.read>>;
      try {
        next = await reader.read();
      } catch (err) {
        // The edge's own refusal (a body past the route's limit) is an answer; anything else is a drop.
        if (err instanceof AppError) throw err;
        dropped = true;
        break;
      }
      if (next.done || takeover.cancelled()) break;
      const total = startOffset + takenBytes + next.value.byteLength;
      if (lengthBytes !== null && total > lengthBytes)
        throw new LimitExceededError(`The upload is ${lengthBytes} bytes; the request sent more.`, {
          details: { lengthBytes, httpStatus: 413 },
        });
      if (lengthBytes === null) checkGrowth(total);
      batch.push(next.value);
      batchBytes += next.value.byteLength;
      takenBytes += next.value.byteLength;
      if (batchBytes >= WRITE_BATCH_BYTES) await flush();
    }
    dropped ||= bodyBytes !== null && takenBytes < bodyBytes && !takeover.cancelled();
  } catch (err) {
    failure ??= err;
  }
  // Bytes that arrived within the limits stay, after a drop or a refusal too (bytes past a limit
  // were never taken); under a checksum they stay only when all of them arrived and match it.
  try {
    if (requestHasher && before) {
      const complete = failure === null && !dropped && !takeover.cancelled();
      if (!complete) {
        // These bytes are about to go: the ones collected are not written at all.
        batch = [];
        batchBytes = 0;
      }
      await drain();
      if (!complete || !Buffer.from(requestHasher.digest()).equals(Buffer.from(sha256 as Uint8Array))) {
        await handle.truncate(startOffset);
        runningHash.set(startOffset, before);
        offset = startOffset;
        if (complete) failure = checksumMismatch();
      }
    } else await drain();
  } catch (err) {
    failure ??= err;
  } finally {
    await syncing;
    await handle.close();
  }
  return { offsetBytes: offset, failure };
}
