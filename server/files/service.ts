// The rules of the file store for files that are in it: browsing (search, order, pages), moving,
// renaming and deleting, storage use, and making the disk agree with the rows at start. Folders
// (./folders), files coming in (./intake) and resumable uploads (./uploads) have their own files;
// every change publishes one `file.changed` event (./changes).

import type { Clock } from "../clock";
import type { WriteBatcher } from "../db";
import { ConflictError, InvalidInputError, NotFoundError } from "../errors";
import type { Logger } from "../log";
import type { FileChanges } from "./changes";
import type { FolderTree } from "./folders";
import { displayPath, normalizeFolderPath, normalizeName } from "./names";
import type { Quota } from "./quota";
import { type FileCursor, type FileEntry, type FileOrder, type FilesStore, sortValueOf } from "./store";
import type { StoredBytes } from "./stored-bytes";

export type { FileEntry, FileOrder, FolderEntry } from "./store";

export interface FilePage {
  items: FileEntry[];
  hasNextPage: boolean;
  /** The cursor of an item of this page, to pass as `after`. */
  cursorOf(file: FileEntry): string;
}

export interface StorageUse {
  usedBytes: number;
  fileCount: number;
  /** Held by unfinished uploads. */
  pendingBytes: number;
  quotaBytes: number;
  userQuotaBytes: number | null;
  /** The asking user's own use. */
  mine: { usedBytes: number; fileCount: number; pendingBytes: number };
  /** The users who store most, largest first. */
  byUser: { userId: string; username: string | null; usedBytes: number; fileCount: number }[];
  freeDiskBytes: number;
  totalDiskBytes: number;
}

/** What the disk watch offers the file store (core.disk). */
export interface DiskRoom {
  requireRoom(bytes?: number): void;
  toDiskFullError(error: unknown): unknown;
  state(): { freeBytes: number; totalBytes: number };
}

export interface FilesServiceOptions {
  store: FilesStore;
  bytes: StoredBytes;
  quota: Quota;
  disk: DiskRoom;
  folders: Pick<FolderTree, "existing">;
  changes: Pick<FileChanges, "publish">;
  writes: WriteBatcher;
  clock: Clock;
  log: Logger;
  /** Largest page of `list`. */
  maxPageSize?: number;
}

const MAX_SEARCH_CHARS = 256;
const MAX_USERS_LISTED = 50;

export function createFilesService({
  store,
  bytes,
  quota,
  disk,
  folders,
  changes,
  writes,
  clock,
  log,
  maxPageSize = 500,
}: FilesServiceOptions) {
  const existingFile = (id: string): FileEntry => {
    const file = store.getFile(id);
    if (!file) throw new NotFoundError(`No file with id ${JSON.stringify(id)}.`);
    return file;
  };

  return {
    /** The file with this id; NotFoundError when there is none. */
    get: existingFile,

    /** Where a file's bytes are, to stream them. */
    contentPath: (id: string) => bytes.storedPath(id),

    /**
     * A page of files: in `folder` (every folder when null), whose names contain `search`
     * (case-insensitive for ASCII), in `order`, after the cursor `after` ("" for the first page).
     */
    list({
      folder,
      search,
      order,
      first,
      after,
    }: {
      folder: string | null;
      search: string | null;
      order: FileOrder;
      first: number;
      after: string;
    }): FilePage {
      if (!Number.isInteger(first) || first < 1 || first > maxPageSize)
        throw new InvalidInputError(`first must be between 1 and ${maxPageSize}.`);
      if (search !== null && search.length > MAX_SEARCH_CHARS)
        throw new InvalidInputError(`search must be at most ${MAX_SEARCH_CHARS} characters.`);
      const path = folder === null ? null : folders.existing(folder);
      let cursor: FileCursor | null = null;
      if (after !== "") {
        try {
          const [value, id] = JSON.parse(after) as [unknown, unknown];
          if ((typeof value !== "string" && typeof value !== "number") || typeof id !== "string") throw new Error("shape");
          cursor = { value, id };
        } catch {
          throw new InvalidInputError("after is not a cursor returned by this list.");
        }
      }
      const rows = store.listFiles({
        folder: path,
        search: search ? search.normalize("NFC") : null,
        order,
        after: cursor,
        limit: first + 1,
      });
      return {
        items: rows.slice(0, first),
        hasNextPage: rows.length > first,
        cursorOf: (file) => JSON.stringify([sortValueOf(file, order), file.id]),
      };
    },

    /** Moves a file into another existing folder, keeping its name; CONFLICT when the name is taken there. */
    async moveFile(id: string, rawFolder: string): Promise<FileEntry> {
      const folder = normalizeFolderPath(rawFolder);
      const { before, after } = await writes.run(() => {
        const before = existingFile(id);
        if (!store.folderExists(folder)) throw new NotFoundError(`No folder ${JSON.stringify(folder)}.`);
        if (before.folder === folder) return { before, after: before };
        if (store.nameTaken(folder, before.name))
          throw new ConflictError(`${JSON.stringify(displayPath(folder, before.name))} already exists.`);
        return { before, after: store.relocateFile(id, folder, before.name, clock.now()) as FileEntry };
      });
      if (after !== before) changes.publish({ kind: "MOVED", folder: after.folder, previousFolder: before.folder, file: after });
      return after;
    },

    /** Renames a file within its folder; CONFLICT when the name is taken there. */
    async renameFile(id: string, rawName: string): Promise<FileEntry> {
      const name = normalizeName(rawName, "The file name");
      const { before, after } = await writes.run(() => {
        const before = existingFile(id);
        if (before.name === name) return { before, after: before };
        if (store.nameTaken(before.folder, name))
          throw new ConflictError(`${JSON.stringify(displayPath(before.folder, name))} already exists.`);
        return { before, after: store.relocateFile(id, before.folder, name, clock.now()) as FileEntry };
      });
      if (after !== before) changes.publish({ kind: "RENAMED", folder: after.folder, file: after });
      return after;
    },

    /** Deletes a file: its row, its share links, then its bytes. NotFoundError when there is none. */
    async deleteFile(id: string): Promise<FileEntry> {
      const file = await writes.run(() => {
        const file = existingFile(id);
        store.deleteFile(id);
        return file;
      });
      await bytes.removeStored(id);
      changes.publish({ kind: "DELETED", folder: file.folder, file });
      return file;
    },

    /** What is stored and may be, for `userId` and overall. */
    storage(userId: string): StorageUse {
      const total = store.usage("*");
      const mine = store.usage(userId);
      const { freeBytes, totalBytes } = disk.state();
      return {
        usedBytes: total.bytes,
        fileCount: total.files,
        pendingBytes: quota.pendingBytes(),
        quotaBytes: quota.limits.quotaBytes,
        userQuotaBytes: quota.limits.userQuotaBytes,
        mine: { usedBytes: mine.bytes, fileCount: mine.files, pendingBytes: quota.pendingBytes(userId) },
        byUser: store
          .usageByOwner(MAX_USERS_LISTED)
          .map((u) => ({ userId: u.userId, username: u.username, usedBytes: u.bytes, fileCount: u.files })),
        freeDiskBytes: freeBytes,
        totalDiskBytes: totalBytes,
      };
    },

    /**
     * Makes the disk agree with the rows at start: bytes of no file are deleted; a file whose
     * bytes are gone loses its row (and says so in the log). Returns what was removed.
     */
    async reconcileStored(): Promise<{ orphanBytes: number; rowsWithoutBytes: number }> {
      const known = new Set(store.allFileIds());
      let orphanBytes = 0;
      for (const id of bytes.storedIds())
        if (!known.delete(id)) {
          await bytes.removeStored(id);
          orphanBytes++;
        }
      // What is left in `known` has a row but no bytes.
      for (const id of known) {
        log.error("a file's bytes are missing; its row is removed", { id });
        await writes.run(() => store.deleteFile(id));
      }
      return { orphanBytes, rowsWithoutBytes: known.size };
    },
  };
}

export type FilesService = ReturnType<typeof createFilesService>;
