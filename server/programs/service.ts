// Programs: a single script or a ZIP project, unpacked into its own folder under
// <data>/programs/<id>/, with its detected entry point and interpreter. An upload is staged under
// <data>/tmp/ and moved into place only when complete and safe, so a refused or failed upload
// leaves nothing behind; staging left by a crash is removed at start.
import { chmod, copyFile, lstat, mkdir, open, readdir, rename, rm } from "node:fs/promises";
import { basename, join } from "node:path";
import type { Clock } from "../clock";
import type { WriteBatcher } from "../db";
import type { DiskWatch } from "../disk/watch";
import { ConflictError, InvalidInputError, LimitExceededError, NotFoundError } from "../errors";
import type { FilesService } from "../files/service";
import type { Logger } from "../log";
import { type ExtractLimits, extractZip, looksLikeZip, safeEntryPath } from "./archive";
import { detectEntryPoint, type EntryPoint, interpreterFor, type ProgramFile, SHEBANG_READ_BYTES } from "./entry-point";
import type { ProgramRow, ProgramsStore } from "./store";

export interface Program extends ProgramRow {
  /** Where its files are on disk. */
  folder: string;
}

export interface ProgramsServiceOptions {
  store: ProgramsStore;
  writes: WriteBatcher;
  disk: Pick<DiskWatch, "requireRoom" | "toDiskFullError">;
  clock: Clock;
  log: Logger;
  dataDir: string;
  limits: ExtractLimits;
  /** Whether a run of the program is queued or running (deleting it is refused then). */
  isInUse?: (programId: string) => boolean;
  /** The files feature's stored files, which a program may be installed from. */
  storedFiles: Pick<FilesService, "get" | "contentPath">;
}

/** The bytes a program is made of: a script or a ZIP, at `path`. */
interface ProgramSource {
  path: string;
  /** The name it was uploaded under: a script keeps it; a program is named after it by default. */
  fileName: string;
  sizeBytes: number;
  /** True when the bytes are the program's own upload, to be moved rather than copied. */
  owned: boolean;
}

export interface UploadProgramInput {
  file: File;
  /** Display name; the file's name (without .zip) when absent. */
  name?: string | null;
  userId: string;
}

/** Files a program's listing shows at most (its runs may add more). */
const MAX_LISTED_FILES = 10_000;
const MAX_NAME_CHARS = 200;
const MAX_PAGE = 200;
const STAGING_PREFIX = "program-";

export function createProgramsService({
  store,
  writes,
  disk,
  clock,
  log,
  dataDir,
  limits,
  isInUse = () => false,
  storedFiles,
}: ProgramsServiceOptions) {
  const programsDir = join(dataDir, "programs");
  const tmpDir = join(dataDir, "tmp");
  const folderOf = (id: string) => join(programsDir, id);
  const withFolder = (row: ProgramRow): Program => ({ ...row, folder: folderOf(row.id) });

  const require = (id: string): Program => {
    const row = store.get(id);
    if (!row) throw new NotFoundError("No such program.");
    return withFolder(row);
  };

  const displayName = (name: string): string => {
    const trimmed = name.trim();
    if (!trimmed) throw new InvalidInputError("A program needs a name.");
    if (trimmed.length > MAX_NAME_CHARS) throw new InvalidInputError(`A program's name may have at most ${MAX_NAME_CHARS} characters.`);
    return trimmed;
  };

  /**
   * Files under `folder`, relative paths with "/", at most MAX_LISTED_FILES of them. Links are
   * not followed: runs may change their folder, and a link to / would walk the whole disk as root.
   */
  const listFiles = async (folder: string): Promise<ProgramFile[]> => {
    const files: ProgramFile[] = [];
    const pending = [""];
    while (pending.length > 0 && files.length < MAX_LISTED_FILES) {
      const dir = pending.pop() as string;
      for (const entry of await readdir(join(folder, dir), { withFileTypes: true })) {
        const path = dir ? `${dir}/${entry.name}` : entry.name;
        if (entry.isDirectory()) pending.push(path);
        if (!entry.isFile() || files.length >= MAX_LISTED_FILES) continue;
        const stats = await lstat(join(folder, path));
        files.push({ path, sizeBytes: stats.size, executable: (stats.mode & 0o111) !== 0 });
      }
    }
    return files.sort((a, b) => a.path.localeCompare(b.path));
  };

  const readHead = (folder: string) => async (path: string, maxBytes: number) => {
    const handle = await open(join(folder, path), "r");
    try {
      const buffer = Buffer.alloc(maxBytes);
      const { bytesRead } = await handle.read(buffer, 0, maxBytes, 0);
      return buffer.subarray(0, bytesRead).toString("utf8");
    } finally {
      await handle.close();
    }
  };

  /**
   * Puts the bytes at `source.path` into `staging`: unpacked when a ZIP (streamed from the file,
   * never whole in memory), else as the one script, moved when the source is the program's own
   * upload, copied when it belongs to someone else (a stored file).
   */
  const unpack = async (source: ProgramSource, staging: string): Promise<void> => {
    const head = new Uint8Array(await Bun.file(source.path).slice(0, 4).arrayBuffer());
    if (looksLikeZip(head)) {
      await extractZip(source.path, staging, limits);
      return;
    }
    if (source.sizeBytes > limits.maxFileBytes) {
      throw new LimitExceededError(`A script may have at most ${limits.maxFileBytes} bytes.`, { details: { limit: limits.maxFileBytes } });
    }
    const [name = "script"] = safeEntryPath(basename(source.fileName));
    const script = join(staging, name);
    if (source.owned) await rename(source.path, script);
    else await copyFile(source.path, script);
    // A single script is the program: it may be run directly, so it is made executable.
    await chmod(script, 0o755);
  };

  /** Makes a program of `source` (see unpack), named `name` or after the file; nothing is left behind when refused. */
  const install = async (source: ProgramSource, name: string | null | undefined, userId: string): Promise<Program> => {
    disk.requireRoom(source.sizeBytes);
    const id = crypto.randomUUID();
    const staging = join(tmpDir, `${STAGING_PREFIX}${id}`);
    try {
      await mkdir(staging, { recursive: true, mode: 0o700 });
      await unpack(source, staging);
      const files = await listFiles(staging);
      if (files.length === 0) throw new InvalidInputError("The archive holds no files.");
      const entry = await detectEntryPoint(files, readHead(staging));
      const now = new Date(clock.now());
      const row: ProgramRow = {
        id,
        name: displayName(name ?? (source.fileName.replace(/\.zip$/i, "") || "program")),
        entryPath: entry?.path ?? null,
        interpreter: entry?.interpreter ?? null,
        sizeBytes: files.reduce((sum, f) => sum + f.sizeBytes, 0),
        fileCount: files.length,
        createdBy: userId,
        createdAt: now,
        updatedAt: now,
      };
      await mkdir(programsDir, { recursive: true, mode: 0o700 });
      await rename(staging, folderOf(id));
      try {
        await writes.run(() => store.insert(row));
      } catch (err) {
        await rm(folderOf(id), { recursive: true, force: true });
        throw err;
      }
      log.info("program installed", { programId: id, files: row.fileCount, sizeBytes: row.sizeBytes, entry: row.entryPath });
      return withFolder(row);
    } catch (err) {
      await rm(staging, { recursive: true, force: true });
      throw disk.toDiskFullError(err);
    }
  };

  return {
    folderOf,

    /** Removes staging left by an upload a crash interrupted. */
    async removeStaleStaging(): Promise<void> {
      await mkdir(programsDir, { recursive: true, mode: 0o700 });
      for (const name of await readdir(tmpDir).catch(() => [] as string[])) {
        if (name.startsWith(STAGING_PREFIX)) await rm(join(tmpDir, name), { recursive: true, force: true });
      }
    },

    /**
     * Stores a script or a ZIP project as a new program and detects its entry point. Refuses
     * unsafe or oversized archives (InvalidInputError, LimitExceededError) leaving nothing behind.
     */
    async upload({ file, name, userId }: UploadProgramInput): Promise<Program> {
      disk.requireRoom(file.size);
      const upload = join(tmpDir, `${STAGING_PREFIX}${crypto.randomUUID()}.upload`);
      try {
        await Bun.write(upload, file);
        return await install({ path: upload, fileName: file.name, sizeBytes: file.size, owned: true }, name, userId);
      } catch (err) {
        throw disk.toDiskFullError(err);
      } finally {
        await rm(upload, { force: true });
      }
    },

    /**
     * Like `upload`, from a stored file (one uploaded through the resumable path, however large):
     * a ZIP is unpacked from the file, never held in memory; the file stays as it is.
     * NotFoundError when there is no such file.
     */
    installFromFile({ fileId, name, userId }: { fileId: string; name?: string | null; userId: string }): Promise<Program> {
      const file = storedFiles.get(fileId);
      return install(
        { path: storedFiles.contentPath(file.id), fileName: file.name, sizeBytes: file.sizeBytes, owned: false },
        name,
        userId,
      );
    },

    get: (id: string): Program | null => {
      const row = store.get(id);
      return row ? withFolder(row) : null;
    },

    require,

    /** Newest first, at most 200 a page. */
    list(first: number, after: { createdAt: number; id: string } | null): { items: Program[]; hasNextPage: boolean } {
      const size = Math.max(0, Math.min(first, MAX_PAGE));
      const rows = store.list(size + 1, after);
      return { items: rows.slice(0, size).map(withFolder), hasNextPage: rows.length > size };
    },

    /** The program's files, sorted by path. */
    files: (program: Program): Promise<ProgramFile[]> => listFiles(program.folder),

    /** Makes `path` (a file of the program) its entry point; the interpreter follows from that file. */
    async setEntry(id: string, path: string): Promise<Program> {
      const program = require(id);
      const segments = safeEntryPath(path);
      const relative = segments.join("/");
      const stats = segments.length > 0 ? await lstat(join(program.folder, ...segments)).catch(() => null) : null;
      if (!stats?.isFile()) throw new InvalidInputError(`"${path.slice(0, 200)}" is not a file of this program.`);
      const entry: EntryPoint = {
        path: relative,
        interpreter: interpreterFor(relative, await readHead(program.folder)(relative, SHEBANG_READ_BYTES)),
      };
      const at = new Date(clock.now());
      await writes.run(() => store.setEntry(id, entry.path, entry.interpreter, at));
      return require(id);
    },

    async rename(id: string, name: string): Promise<Program> {
      require(id);
      const newName = displayName(name);
      await writes.run(() => store.rename(id, newName, new Date(clock.now())));
      return require(id);
    },

    /** Removes the program and its folder; refused (ConflictError) while a run of it is queued or running. */
    async delete(id: string): Promise<boolean> {
      if (!store.get(id)) return false;
      if (isInUse(id)) throw new ConflictError("The program is running; cancel its runs first.");
      await writes.run(() => store.remove(id));
      await rm(folderOf(id), { recursive: true, force: true });
      log.info("program deleted", { programId: id });
      return true;
    },
  };
}

export type ProgramsService = ReturnType<typeof createProgramsService>;
