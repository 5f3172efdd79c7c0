// The folder tree of the file store: listing, creating and deleting folders, and creating the ones
// a file's folder needs (an upload may name a folder that does not exist yet, or that was deleted
// while it arrived). Folders are rows with paths; no folder exists on disk.
import type { Clock } from "../clock";
import type { WriteBatcher } from "../db";
import { ConflictError, InvalidInputError, LimitExceededError, NotFoundError } from "../errors";
import type { FileChanges } from "./changes";
import { ancestorsAndSelf, baseNameOf, normalizeFolderPath, parentOf, ROOT_FOLDER } from "./names";
import type { FilesStore, FolderEntry } from "./store";
import type { StoredBytes } from "./stored-bytes";

export interface FolderTreeOptions {
  store: FilesStore;
  bytes: StoredBytes;
  writes: WriteBatcher;
  changes: FileChanges;
  clock: Clock;
  /** Most folders the store may hold. */
  maxFolders: number;
}

const MAX_FOLDER_LISTING = 10_000;

export function createFolderTree({ store, bytes, writes, changes, clock, maxFolders }: FolderTreeOptions) {
  /** The normalized path of an existing folder; NotFoundError when it does not exist. */
  const existing = (raw: string): string => {
    const path = normalizeFolderPath(raw);
    if (!store.folderExists(path)) throw new NotFoundError(`No folder ${JSON.stringify(path)}.`);
    return path;
  };

  /**
   * Creates `path` and the folders above it that are missing; call it inside a write. Returns the
   * paths created, for `changes.publishFoldersCreated` once the write is done. ConflictError when
   * a file has the name of one of them, LimitExceededError past maxFolders.
   */
  const ensure = (path: string, userId: string | null, atMs: number): string[] => {
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

  return {
    existing,
    ensure,

    /** The folders directly inside `parent` ("" for the root), by name; NotFoundError when it does not exist. */
    children(parent: string): FolderEntry[] {
      return store.childFolders(existing(parent), MAX_FOLDER_LISTING);
    },

    /** Creates a folder (and the ones above it that are missing); CONFLICT when it exists or a file has its name. */
    async create(rawPath: string, userId: string): Promise<FolderEntry> {
      const path = normalizeFolderPath(rawPath);
      if (path === ROOT_FOLDER) throw new InvalidInputError("Give the new folder a name.");
      const created = await writes.run(() => {
        if (store.folderExists(path)) throw new ConflictError(`The folder ${JSON.stringify(path)} already exists.`);
        return ensure(path, userId, clock.now());
      });
      changes.publishFoldersCreated(created);
      return { path, name: baseNameOf(path), parent: parentOf(path), createdAt: new Date(clock.now()) };
    },

    /** Deletes a folder with every file and folder in it; returns how many files went. Not the root. */
    async delete(rawPath: string): Promise<number> {
      const path = normalizeFolderPath(rawPath);
      if (path === ROOT_FOLDER) throw new InvalidInputError("The top folder cannot be deleted.");
      const ids = await writes.run(() => {
        if (!store.folderExists(path)) throw new NotFoundError(`No folder ${JSON.stringify(path)}.`);
        const ids = store.deleteFilesUnder(path);
        store.deleteFoldersUnder(path);
        return ids;
      });
      for (const id of ids) await bytes.removeStored(id);
      changes.publish({ kind: "FOLDER_DELETED", folder: parentOf(path), folderPath: path, deletedFiles: ids.length });
      return ids.length;
    },
  };
}

export type FolderTree = ReturnType<typeof createFolderTree>;
