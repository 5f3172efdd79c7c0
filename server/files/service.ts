// The rules of the file store: browsing (folders, search, order, pages), folders, moving, renaming
// and deleting, storage use, small uploads handed over whole, and taking complete uploads in as
// files. A file appears atomically: its bytes are renamed into place, then one row is written; if
// the row cannot be written the bytes go back. Every change publishes one `file.changed` event.

import type { Clock } from "../clock";
import type { WriteBatcher } from "../db";
import { ConflictError, InvalidInputError, LimitExceededError, NotFoundError } from "../errors";
import type { EventBus } from "../events";
import type { Logger } from "../log";
import { SNIFF_BYTES, sniffMimeType } from "./mime";
import {
  ancestorsAndSelf,
  baseNameOf,
  displayPath,
  normalizeFolderPath,
  normalizeName,
  numberedName,
  parentOf,
  ROOT_FOLDER,
} from "./names";
import type { Quota } from "./quota";
import { type FileCursor, type FileEntry, type FileOrder, type FilesStore, type FolderEntry, sortValueOf } from "./store";
import { newFileId, type StoredBytes } from "./stored-bytes";

export type { FileEntry, FileOrder, FolderEntry } from "./store";

export type FileChangeKind = "ADDED" | "MOVED" | "RENAMED" | "DELETED" | "FOLDER_CREATED" | "FOLDER_DELETED" | "UPLOAD_PROGRESS";

/** Where an unfinished resumable upload stands. */
export interface UploadProgress {
  id: string;
  userId: string;
  folder: string;
  name: string;
  offsetBytes: number;
  /** Null while the client has not said how long it is. */
  lengthBytes: number | null;
  /** RECEIVING while bytes arrive, PAUSED between requests, then COMPLETED or ABORTED (terminated, expired, refused). */
  state: "RECEIVING" | "PAUSED" | "COMPLETED" | "ABORTED";
}

export interface FileChange {
  kind: FileChangeKind;
  /** The folder it happened in: the file's (its new one when moved), the parent of a created or deleted folder, an upload's target. */
  folder: string;
  /** The folder a moved file left. */
  previousFolder: string | null;
  /** The file as it is now (as it was, when deleted). */
  file: FileEntry | null;
  /** The folder created or deleted. */
  folderPath: string | null;
  /** How many files a folder's deletion took with it. */
  deletedFiles: number | null;
  upload: UploadProgress | null;
  at: Date;
}

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
  writes: WriteBatcher;
  events: EventBus;
  clock: Clock;
  log: Logger;
  /** Largest page of `list`. */
  maxPageSize?: number;
  /** Most folders the store may hold. */
  maxFolders: number;
}

const MAX_SEARCH_CHARS = 256;
const MAX_FOLDER_LISTING = 10_000;
const MAX_USERS_LISTED = 50;
/** How many numbered alternatives ("name (2)") are tried before a taken name is refused. */
const MAX_NAME_ALTERNATIVES = 1000;

/** The new file a complete upload becomes: its bytes are at the upload's partial path. */
export interface CompletedUpload {
  id: string;
  userId: string;
  folder: string;
  name: string;
  sizeBytes: number;
  sha256: string;
  /** A resumable upload: its row goes in the same transaction as the file's. */
  resumable?: boolean;
}

export function createFilesService({
  store,
  bytes,
  quota,
  disk,
  writes,
  events,
  clock,
  log,
  maxPageSize = 500,
  maxFolders,
}: FilesServiceOptions) {
  const publish = (
    change: Omit<FileChange, "at" | "previousFolder" | "file" | "folderPath" | "deletedFiles" | "upload"> & Partial<FileChange>,
  ) =>
    events.publish("file.changed", {
      previousFolder: null,
      file: null,
      folderPath: null,
      deletedFiles: null,
      upload: null,
      ...change,
      at: new Date(clock.now()),
    });

  const existingFile = (id: string): FileEntry => {
    const file = store.getFile(id);
    if (!file) throw new NotFoundError(`No file with id ${JSON.stringify(id)}.`);
    return file;
  };
  const existingFolder = (raw: string): string => {
    const path = normalizeFolderPath(raw);
    if (!store.folderExists(path)) throw new NotFoundError(`No folder ${JSON.stringify(path)}.`);
    return path;
  };

  /** Creates `path` and the folders above it that are missing (in a write); the paths created. */
  const ensureFolders = (path: string, userId: string | null, atMs: number): string[] => {
    const created: string[] = [];
    for (const folder of ancestorsAndSelf(path)) {
      if (store.folderExists(folder)) continue;
      const name = baseNameOf(folder);
      if (store.nameTaken(parentOf(folder), name))
        throw new ConflictError(
          `A file called ${JSON.stringify(name)} already exists where the folder ${JSON.stringify(folder)} would go.`,
        );
      if (store.countFolders() >= maxFolders)
        throw new LimitExceededError(`The store holds ${maxFolders} folders, its limit.`, { details: { limit: maxFolders } });
      store.insertFolder(folder, parentOf(folder), name, userId, atMs);
      created.push(folder);
    }
    return created;
  };
  const publishFoldersCreated = (paths: string[]) => {
    for (const path of paths) publish({ kind: "FOLDER_CREATED", folder: parentOf(path), folderPath: path });
  };

  /** `name` if it is free in `folder`, else the first free numbered alternative. */
  const freeNameIn = (folder: string, name: string): string => {
    if (!store.nameTaken(folder, name)) return name;
    for (let n = 2; n <= MAX_NAME_ALTERNATIVES; n++) {
      const candidate = numberedName(name, n);
      if (!store.nameTaken(folder, candidate)) return candidate;
    }
    throw new ConflictError(`${JSON.stringify(displayPath(folder, name))} and ${MAX_NAME_ALTERNATIVES} numbered names like it are taken.`);
  };

  const readHead = async (path: string) => new Uint8Array(await Bun.file(path).slice(0, SNIFF_BYTES).arrayBuffer());

  /**
   * Turns the complete upload's bytes into a listed file: sniffs its type, moves the bytes into
   * place and writes its row (under a numbered name when the name is taken meanwhile, creating
   * its folder again if it was deleted meanwhile). Publishes ADDED.
   */
  const adopt = async (upload: CompletedUpload): Promise<FileEntry> => {
    const mimeType = sniffMimeType(await readHead(bytes.partialPath(upload.id)), upload.name);
    await bytes.promote(upload.id);
    let createdFolders: string[] = [];
    let file: FileEntry;
    try {
      file = await writes.run(() => {
        createdFolders = ensureFolders(upload.folder, upload.userId, clock.now());
        const name = freeNameIn(upload.folder, upload.name);
        if (upload.resumable) store.deleteUpload(upload.id);
        return store.insertFile(
          {
            id: upload.id,
            folder: upload.folder,
            name,
            sizeBytes: upload.sizeBytes,
            mimeType,
            sha256: upload.sha256,
            uploadedBy: upload.userId,
          },
          clock.now(),
        );
      });
    } catch (err) {
      await bytes
        .demote(upload.id)
        .catch((demoteErr) => log.error("could not move an upload's bytes back", { id: upload.id, err: demoteErr }));
      throw err;
    }
    publishFoldersCreated(createdFolders);
    publish({ kind: "ADDED", folder: file.folder, file });
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
      const path = folder === null ? null : existingFolder(folder);
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

    /** The folders directly inside `parent` ("" for the root), by name; NotFoundError when it does not exist. */
    folders(parent: string): FolderEntry[] {
      return store.childFolders(existingFolder(parent), MAX_FOLDER_LISTING);
    },

    /** Creates a folder (and the ones above it that are missing); CONFLICT when it exists or a file has its name. */
    async createFolder(rawPath: string, userId: string): Promise<FolderEntry> {
      const path = normalizeFolderPath(rawPath);
      if (path === ROOT_FOLDER) throw new InvalidInputError("Give the new folder a name.");
      const created = await writes.run(() => {
        if (store.folderExists(path)) throw new ConflictError(`The folder ${JSON.stringify(path)} already exists.`);
        return ensureFolders(path, userId, clock.now());
      });
      publishFoldersCreated(created);
      return { path, name: baseNameOf(path), parent: parentOf(path), createdAt: new Date(clock.now()) };
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
      if (after !== before) publish({ kind: "MOVED", folder: after.folder, previousFolder: before.folder, file: after });
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
      if (after !== before) publish({ kind: "RENAMED", folder: after.folder, file: after });
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
      publish({ kind: "DELETED", folder: file.folder, file });
      return file;
    },

    /** Deletes a folder with every file and folder in it; returns how many files went. Not the root. */
    async deleteFolder(rawPath: string): Promise<number> {
      const path = normalizeFolderPath(rawPath);
      if (path === ROOT_FOLDER) throw new InvalidInputError("The top folder cannot be deleted.");
      const ids = await writes.run(() => {
        if (!store.folderExists(path)) throw new NotFoundError(`No folder ${JSON.stringify(path)}.`);
        const ids = store.deleteFilesUnder(path);
        store.deleteFoldersUnder(path);
        return ids;
      });
      for (const id of ids) await bytes.removeStored(id);
      publish({ kind: "FOLDER_DELETED", folder: parentOf(path), folderPath: path, deletedFiles: ids.length });
      return ids.length;
    },

    /**
     * Stores a small file handed over whole (a GraphQL multipart upload, bounded at the edge): the
     * same limits and checks as a resumable upload, and the same atomic appearance.
     */
    async upload({
      file,
      userId,
      folder: rawFolder,
    }: {
      file: Blob & { name?: string };
      userId: string;
      folder: string | null;
    }): Promise<FileEntry> {
      const name = normalizeName(file.name ?? "", "The file name");
      const folder = normalizeFolderPath(rawFolder ?? ROOT_FOLDER);
      quota.check(userId, file.size);
      disk.requireRoom(file.size);
      const id = newFileId();
      quota.reserve(id, userId, file.size);
      try {
        const hasher = new Bun.CryptoHasher("sha256");
        hasher.update(await file.arrayBuffer());
        try {
          await Bun.write(bytes.partialPath(id), file);
        } catch (err) {
          throw disk.toDiskFullError(err);
        }
        return await adopt({ id, userId, folder, name, sizeBytes: file.size, sha256: hasher.digest("hex") });
      } catch (err) {
        await bytes.removePartial(id);
        throw err;
      } finally {
        quota.release(id);
      }
    },

    adopt,

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

    /** Changes in `folder` (every folder when null) from now on, uploads in progress included. */
    watch(rawFolder: string | null): AsyncIterableIterator<FileChange> {
      const folder = rawFolder === null ? null : normalizeFolderPath(rawFolder);
      return events.subscribe("file.changed", {
        filter: (change) =>
          folder === null ||
          change.folder === folder ||
          change.previousFolder === folder ||
          (change.kind === "FOLDER_DELETED" &&
            change.folderPath !== null &&
            (folder === change.folderPath || folder.startsWith(`${change.folderPath}/`))),
      });
    },

    /** Publishes where an upload stands (the resumable uploads call it). */
    publishUpload(upload: UploadProgress) {
      publish({ kind: "UPLOAD_PROGRESS", folder: upload.folder, upload });
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
