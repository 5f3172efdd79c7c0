// Where file contents live on disk: complete files under <data>/files/<id> and unfinished uploads
// under <data>/tmp/uploads/<id> (the same file system, so completing one is an atomic rename).
// Ids are chosen by the server (32 hex digits) and checked again here; no name a user gave ever
// becomes part of a path.
import { randomBytes } from "node:crypto";
import { mkdirSync, readdirSync, statSync } from "node:fs";
import { open, rename, rm } from "node:fs/promises";
import { join } from "node:path";

const ID = /^[0-9a-f]{32}$/;

/** A new id for a file or an upload: 128 random bits. */
export const newFileId = () => randomBytes(16).toString("hex");

/** True for a string that can be an id; anything else is not looked up at all. */
export const isFileId = (id: string) => ID.test(id);

const quietly = async (work: Promise<unknown>) => {
  try {
    await work;
  } catch (err) {
    if ((err as { code?: string }).code !== "ENOENT") throw err;
  }
};

/** Flushes a file, or a directory's entries, to the disk. */
async function syncToDisk(path: string): Promise<void> {
  const handle = await open(path, "r");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

export function createStoredBytes(dataDir: string) {
  const storedDir = join(dataDir, "files");
  const partialDir = join(dataDir, "tmp", "uploads");
  for (const dir of [storedDir, partialDir]) mkdirSync(dir, { recursive: true, mode: 0o700 });

  const checked = (id: string) => {
    if (!isFileId(id)) throw new Error(`Not a file id: ${JSON.stringify(id)}`);
    return id;
  };

  const listIds = (dir: string) => readdirSync(dir).filter(isFileId);

  return {
    storedPath: (id: string) => join(storedDir, checked(id)),
    partialPath: (id: string) => join(partialDir, checked(id)),
    /** Creates the empty file of a new upload; fails if it exists. */
    async createPartial(id: string): Promise<void> {
      await (await open(join(partialDir, checked(id)), "wx", 0o600)).close();
    },
    /** The bytes an upload holds so far (its offset), or null when its file is gone. */
    partialSize(id: string): number | null {
      try {
        return statSync(join(partialDir, checked(id))).size;
      } catch {
        return null;
      }
    },
    /** Makes an upload's bytes durable and moves them into place as a complete file. */
    async promote(id: string): Promise<void> {
      const path = join(partialDir, checked(id));
      await syncToDisk(path);
      await rename(path, join(storedDir, id));
      // The rename itself lives in the directory: without this a power cut could undo it.
      await syncToDisk(storedDir);
    },
    /** Undoes promote (when the file's row could not be written), so the upload stays resumable. */
    demote: (id: string) => rename(join(storedDir, checked(id)), join(partialDir, id)),
    removeStored: (id: string) => quietly(rm(join(storedDir, checked(id)))),
    removePartial: (id: string) => quietly(rm(join(partialDir, checked(id)))),
    /** Ids of the complete files on disk. */
    storedIds: () => listIds(storedDir),
    /** Ids of the unfinished uploads on disk. */
    partialIds: () => listIds(partialDir),
  };
}

export type StoredBytes = ReturnType<typeof createStoredBytes>;
