// How files come into the store: a complete resumable upload is adopted, a small file handed over
// whole (a GraphQL multipart upload) is written and adopted the same way. A file appears
// atomically: its bytes are renamed into place, then one row is written; if the row cannot be
// written the bytes go back. The name a file asked for is numbered when it is taken.
import type { Clock } from "../clock";
import type { WriteBatcher } from "../db";
import { ConflictError } from "../errors";
import type { Logger } from "../log";
import type { FileChanges } from "./changes";
import type { FolderTree } from "./folders";
import { SNIFF_BYTES, sniffMimeType } from "./mime";
import { displayPath, normalizeFolderPath, normalizeName, numberedName, ROOT_FOLDER } from "./names";
import type { Quota } from "./quota";
import type { DiskRoom, FileEntry } from "./service";
import type { FilesStore } from "./store";
import { newFileId, type StoredBytes } from "./stored-bytes";

export interface FileIntakeOptions {
  store: FilesStore;
  bytes: StoredBytes;
  quota: Quota;
  disk: DiskRoom;
  folders: Pick<FolderTree, "ensure">;
  changes: Pick<FileChanges, "publish" | "publishFoldersCreated">;
  writes: WriteBatcher;
  clock: Clock;
  log: Logger;
}

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

/** How many numbered alternatives ("name (2)") are tried before a taken name is refused. */
const MAX_NAME_ALTERNATIVES = 1000;

export function createFileIntake({ store, bytes, quota, disk, folders, changes, writes, clock, log }: FileIntakeOptions) {
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
        createdFolders = folders.ensure(upload.folder, upload.userId, clock.now());
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
    changes.publishFoldersCreated(createdFolders);
    changes.publish({ kind: "ADDED", folder: file.folder, file });
    return file;
  };

  return {
    adopt,

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
  };
}

export type FileIntake = ReturnType<typeof createFileIntake>;
