// Resumable uploads, whatever the protocol that carries them (tus at the HTTP edge): create one,
// append bytes at its offset as they stream in, ask where it stands, abort it. Bytes go to
// <data>/tmp/uploads/<id> (written by ./upload-body-writer, with the file's sha256 computed on the
// way and memory flat whatever the size); the file on disk is the offset, so a crash loses nothing
// acknowledged. Limits are checked before bytes are accepted (the declared length is reserved at
// creation; an undeclared one is checked as bytes arrive). One request works on an upload at a
// time: a new one takes over from one still running (a client resuming after a drop whose old
// connection the server has not noticed yet). Unfinished uploads expire.
import type { Clock } from "../clock";
import type { WriteBatcher } from "../db";
import { ConflictError, InvalidInputError, LimitExceededError, NotFoundError } from "../errors";
import type { FileChanges, UploadProgress } from "./changes";
import type { FileIntake } from "./intake";
import { normalizeFolderPath, normalizeName } from "./names";
import type { Quota } from "./quota";
import type { DiskRoom, FileEntry } from "./service";
import type { FilesStore, UploadRow } from "./store";
import { newFileId, type StoredBytes } from "./stored-bytes";
import { writeUploadBody } from "./upload-body-writer";

export interface ResumableUploadsOptions {
  store: FilesStore;
  bytes: StoredBytes;
  quota: Quota;
  disk: DiskRoom;
  intake: Pick<FileIntake, "adopt">;
  changes: Pick<FileChanges, "publishUpload">;
  writes: WriteBatcher;
  clock: Clock;
  /** How long an upload that receives nothing is kept. */
  expiryMs: number;
  /** Unfinished uploads one user may have at once. */
  maxUploadsPerUser: number;
}

export interface AppendInput {
  id: string;
  userId: string;
  /** Where the client believes the upload stands; must match. */
  offsetBytes: number;
  body: ReadableStream<Uint8Array> | null;
  /** The body's declared length (Content-Length), when it has one: checked before anything is read. */
  bodyBytes: number | null;
  /** The whole length, for an upload created without one. */
  declareLengthBytes?: number | null;
  /** The sha256 the client computed over this request's bytes: they are kept only when it matches. */
  sha256?: Uint8Array | null;
}

export interface AppendResult {
  upload: UploadProgress;
  /** The complete file, when these bytes completed it. */
  file: FileEntry | null;
}

/** One request at work on an upload; a newer one cancels it and waits until it let go. */
interface Holder {
  cancel(): void;
  released: Promise<void>;
}

/** Progress of an upload is published at most this often while bytes arrive. */
const PROGRESS_INTERVAL_MS = 250;
const SWEEP_BATCH = 200;

export function createResumableUploads({
  store,
  bytes,
  quota,
  disk,
  intake,
  changes,
  writes,
  clock,
  expiryMs,
  maxUploadsPerUser,
}: ResumableUploadsOptions) {
  const holders = new Map<string, Holder>();
  // The running sha256 of each upload's bytes on disk; rebuilt by reading them when missing (after a restart).
  const hashes = new Map<string, { offsetBytes: number; hasher: Bun.CryptoHasher }>();

  const progress = (row: UploadRow, offsetBytes: number, state: UploadProgress["state"]): UploadProgress => ({
    id: row.id,
    userId: row.userId,
    folder: row.folder,
    name: row.name,
    offsetBytes,
    lengthBytes: row.lengthBytes,
    state,
  });

  /**
   * Waits until no other request works on upload `id`, cancelling one that does. The caller must
   * call `release`; `onCancel` registers how to stop its work when a newer request takes over.
   */
  const takeOver = async (id: string) => {
    for (let current = holders.get(id); current; current = holders.get(id)) {
      current.cancel();
      await current.released;
    }
    let cancelled = false;
    let stopWork = () => {};
    let release = () => {};
    const holder: Holder = {
      cancel: () => {
        cancelled = true;
        stopWork();
      },
      released: new Promise<void>((resolve) => {
        release = resolve;
      }),
    };
    holders.set(id, holder);
    return {
      cancelled: () => cancelled,
      onCancel(stop: () => void) {
        stopWork = stop;
        if (cancelled) stop();
      },
      release() {
        if (holders.get(id) === holder) holders.delete(id);
        release();
      },
    };
  };

  /** The caller's own upload; NotFoundError for others', unknown and expired ones. */
  const ownUpload = (id: string, userId: string): UploadRow => {
    const row = store.getUpload(id);
    if (!row || row.userId !== userId || row.expiresAt.getTime() <= clock.now())
      throw new NotFoundError(`No unfinished upload ${JSON.stringify(id)}; it may have completed, expired or been aborted.`);
    return row;
  };

  /**
   * takeOver for the caller's own upload only: another user's request (upload ids reach every
   * files:read subscriber) must not stop the uploader's, so ownership is checked before anything
   * is cancelled. The caller checks the row again once it holds the upload.
   */
  const takeOverOwn = (id: string, userId: string) => {
    ownUpload(id, userId);
    return takeOver(id);
  };

  const offsetOf = (id: string): number => {
    const size = bytes.partialSize(id);
    if (size === null) throw new NotFoundError(`The bytes of upload ${JSON.stringify(id)} are gone; start it again.`);
    return size;
  };

  const hasherAt = async (id: string, offsetBytes: number): Promise<Bun.CryptoHasher> => {
    const known = hashes.get(id);
    if (known && known.offsetBytes === offsetBytes) return known.hasher;
    const hasher = new Bun.CryptoHasher("sha256");
    const reader = Bun.file(bytes.partialPath(id)).slice(0, offsetBytes).stream().getReader();
    for (let next = await reader.read(); !next.done; next = await reader.read()) hasher.update(next.value);
    hashes.set(id, { offsetBytes, hasher });
    return hasher;
  };

  /** Removes an upload's bytes (first: on a full disk the row's delete needs the room), row and reservation; publishes ABORTED. */
  const discard = async (row: UploadRow, offsetBytes: number) => {
    await bytes.removePartial(row.id);
    await writes.run(() => store.deleteUpload(row.id));
    quota.release(row.id);
    hashes.delete(row.id);
    changes.publishUpload(progress(row, offsetBytes, "ABORTED"));
  };

  /** Turns a complete upload into a file (the row of the upload goes in the same transaction). */
  const complete = async (row: UploadRow, sha256: string, lengthBytes: number): Promise<FileEntry> => {
    const file = await intake.adopt({
      id: row.id,
      userId: row.userId,
      folder: row.folder,
      name: row.name,
      sizeBytes: lengthBytes,
      sha256,
      resumable: true,
    });
    quota.release(row.id);
    hashes.delete(row.id);
    changes.publishUpload(progress(row, lengthBytes, "COMPLETED"));
    return file;
  };

  /**
   * Deletes uploads that received nothing for the expiry time, and bytes without an upload (a
   * crash between writing them and their row, or their user deleted); returns how many went.
   */
  const sweep = async (): Promise<number> => {
    let removed = 0;
    for (;;) {
      const expired = store.expiredUploads(clock.now(), SWEEP_BATCH).filter((row) => !holders.has(row.id));
      for (const row of expired) await discard(row, bytes.partialSize(row.id) ?? 0);
      removed += expired.length;
      if (expired.length < SWEEP_BATCH) break;
    }
    const rows = new Set(store.allUploads().map((row) => row.id));
    for (const id of bytes.partialIds())
      if (!rows.has(id) && !holders.has(id)) {
        await bytes.removePartial(id);
        quota.release(id);
        hashes.delete(id);
        removed++;
      }
    return removed;
  };

  return {
    /**
     * Starts an upload of `lengthBytes` (null: told later) called `name` for `folder` (created when
     * the upload completes if it does not exist then). Refuses with LimitExceededError what would
     * pass the largest file, a quota or the disk's reserve, and more than maxUploadsPerUser at once.
     * An upload of length 0 is complete at once.
     */
    async create({
      userId,
      name: rawName,
      folder: rawFolder,
      lengthBytes,
    }: {
      userId: string;
      name: string;
      folder: string;
      lengthBytes: number | null;
    }): Promise<AppendResult> {
      const name = normalizeName(rawName, "The file name");
      const folder = normalizeFolderPath(rawFolder);
      if (lengthBytes !== null && (!Number.isSafeInteger(lengthBytes) || lengthBytes < 0))
        throw new InvalidInputError("Upload-Length must be a whole number of bytes.");
      quota.check(userId, lengthBytes ?? 0);
      disk.requireRoom(lengthBytes ?? undefined);
      const id = newFileId();
      quota.reserve(id, userId, lengthBytes ?? 0);
      let row: UploadRow;
      try {
        await bytes.createPartial(id);
        row = await writes.run(() => {
          // Counted in the write that adds one, so that creations sent at once cannot all pass.
          if (store.uploadsOf(userId).length >= maxUploadsPerUser)
            throw new LimitExceededError(`You have ${maxUploadsPerUser} unfinished uploads, the most allowed; finish or abort one first.`, {
              details: { limit: maxUploadsPerUser },
            });
          return store.insertUpload({ id, userId, folder, name, lengthBytes }, clock.now(), clock.now() + expiryMs);
        });
      } catch (err) {
        quota.release(id);
        await bytes.removePartial(id);
        throw disk.toDiskFullError(err);
      }
      hashes.set(id, { offsetBytes: 0, hasher: new Bun.CryptoHasher("sha256") });
      if (lengthBytes === 0)
        return { upload: progress(row, 0, "COMPLETED"), file: await complete(row, new Bun.CryptoHasher("sha256").digest("hex"), 0) };
      const upload = progress(row, 0, "PAUSED");
      changes.publishUpload(upload);
      return { upload, file: null };
    },

    /** Where the caller's upload stands (stopping a request still writing to it first). */
    async status(id: string, userId: string): Promise<UploadProgress & { expiresAt: Date }> {
      const { release } = await takeOverOwn(id, userId);
      try {
        const row = ownUpload(id, userId);
        return { ...progress(row, offsetOf(id), "PAUSED"), expiresAt: row.expiresAt };
      } finally {
        release();
      }
    },

    /**
     * Appends the body at `offsetBytes` (ConflictError when the upload stands elsewhere). Bytes
     * received before a dropped connection are kept (unless a checksum was sent, which they can no
     * longer match). Refuses with LimitExceededError a body longer than the upload, or, for an
     * upload without a length, bytes past a limit. A disk that fills up discards the upload with
     * the disk's clear error. Completes the file when the last byte arrives.
     */
    async append(input: AppendInput): Promise<AppendResult & { expiresAt: Date }> {
      const lock = await takeOverOwn(input.id, input.userId);
      try {
        let row = ownUpload(input.id, input.userId);
        const startOffset = offsetOf(input.id);
        if (input.offsetBytes !== startOffset)
          throw new ConflictError(
            `The upload stands at byte ${startOffset}, not ${input.offsetBytes}; ask where it stands (HEAD) and continue from there.`,
            {
              details: { offsetBytes: startOffset },
            },
          );
        if (input.declareLengthBytes !== undefined && input.declareLengthBytes !== null && input.declareLengthBytes !== row.lengthBytes) {
          const lengthBytes = input.declareLengthBytes;
          if (row.lengthBytes !== null) throw new InvalidInputError(`The upload's length is ${row.lengthBytes} already.`);
          if (!Number.isSafeInteger(lengthBytes) || lengthBytes < startOffset)
            throw new InvalidInputError(`Upload-Length must be a whole number of bytes, at least the ${startOffset} received.`);
          quota.check(row.userId, lengthBytes, row.id);
          quota.reserve(row.id, row.userId, lengthBytes);
          await writes.run(() => store.setUploadLength(row.id, lengthBytes));
          row = { ...row, lengthBytes };
        }
        const lengthBytes = row.lengthBytes;
        if (input.bodyBytes !== null) {
          if (lengthBytes !== null && startOffset + input.bodyBytes > lengthBytes)
            throw new LimitExceededError(
              `The upload is ${lengthBytes} bytes and holds ${startOffset}; ${input.bodyBytes} more do not fit.`,
              {
                details: { lengthBytes, offsetBytes: startOffset, httpStatus: 413 },
              },
            );
          if (lengthBytes === null) quota.check(row.userId, startOffset + input.bodyBytes, row.id);
        }
        disk.requireRoom(lengthBytes === null ? undefined : lengthBytes - startOffset);

        const hasher = await hasherAt(row.id, startOffset);
        let lastPublishedAt = clock.now();
        const { offsetBytes: offset, failure } = await writeUploadBody({
          path: bytes.partialPath(row.id),
          startOffset,
          lengthBytes,
          body: input.body,
          bodyBytes: input.bodyBytes,
          sha256: input.sha256,
          hasher,
          runningHash: {
            set: (offsetBytes, current) => hashes.set(row.id, { offsetBytes, hasher: current }),
            forget: () => hashes.delete(row.id),
          },
          checkGrowth: (totalBytes) => quota.check(row.userId, totalBytes, row.id),
          onWritten: (offsetBytes) => {
            if (lengthBytes === null) quota.reserve(row.id, row.userId, offsetBytes);
            if (clock.now() - lastPublishedAt >= PROGRESS_INTERVAL_MS) {
              lastPublishedAt = clock.now();
              changes.publishUpload(progress(row, offsetBytes, "RECEIVING"));
            }
          },
          takeover: lock,
        });
        const diskFull = failure === null ? failure : disk.toDiskFullError(failure);
        if (diskFull !== failure) {
          // A full disk keeps nothing half-written: the upload goes, with the disk's clear error.
          await discard(row, offset);
          throw diskFull;
        }
        if (offset !== startOffset) await writes.run(() => store.extendUpload(row.id, clock.now() + expiryMs));
        if (failure !== null) throw failure;
        if (lock.cancelled()) throw new ConflictError("Another request took over this upload.");
        if (lengthBytes !== null && offset === lengthBytes) {
          const file = await complete(row, hasher.digest("hex"), lengthBytes);
          return { upload: progress(row, offset, "COMPLETED"), file, expiresAt: row.expiresAt };
        }
        const upload = progress(row, offset, "PAUSED");
        changes.publishUpload(upload);
        return { upload, file: null, expiresAt: new Date(clock.now() + expiryMs) };
      } finally {
        lock.release();
      }
    },

    /** Aborts the caller's upload and deletes its bytes. */
    async terminate(id: string, userId: string): Promise<void> {
      const { release } = await takeOverOwn(id, userId);
      try {
        const row = ownUpload(id, userId);
        await discard(row, bytes.partialSize(id) ?? 0);
      } finally {
        release();
      }
    },

    /** The caller's unfinished uploads, oldest first. */
    listOwn(userId: string): UploadProgress[] {
      return store
        .uploadsOf(userId)
        .filter((row) => row.expiresAt.getTime() > clock.now())
        .map((row) => progress(row, bytes.partialSize(row.id) ?? 0, holders.has(row.id) ? "RECEIVING" : "PAUSED"));
    },

    sweep,

    /**
     * At start: every upload whose bytes are on disk holds its reservation again (its length, or
     * the bytes it has); an upload whose bytes are gone is removed, and bytes without an upload too.
     */
    async recover(): Promise<void> {
      for (const row of store.allUploads()) {
        const size = bytes.partialSize(row.id);
        if (size === null) await writes.run(() => store.deleteUpload(row.id));
        else quota.reserve(row.id, row.userId, row.lengthBytes ?? size);
      }
      await sweep();
    },
  };
}

export type ResumableUploads = ReturnType<typeof createResumableUploads>;
