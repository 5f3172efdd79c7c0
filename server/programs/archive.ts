// Safe extraction of a ZIP project into an empty folder. Entries are read from the central
// directory and streamed one at a time (no whole archive in memory). Refused, before or while
// writing: paths that leave the folder (`../`, absolute, drive letters, backslashes), symlinks and
// other special files, more than `maxEntries` entries, and more than `maxFileBytes` in one file or
// `maxTotalBytes` in all, counted on the bytes actually written rather than the sizes the headers
// claim (a header that lies is caught by yauzl's size check or by the count). The caller removes
// the folder on refusal.
import { mkdir, open } from "node:fs/promises";
import { dirname, join } from "node:path";
import type { Readable } from "node:stream";
import yauzl from "yauzl";
import { InvalidInputError, LimitExceededError } from "../errors";

export interface ExtractLimits {
  maxEntries: number;
  maxFileBytes: number;
  maxTotalBytes: number;
}

export interface ExtractResult {
  files: number;
  totalBytes: number;
}

const S_IFMT = 0o170000;
const S_IFREG = 0o100000;
const S_IFDIR = 0o040000;

/** True for the bytes a ZIP archive starts with (a local file header, or the end record of an empty one). */
export function looksLikeZip(head: Uint8Array): boolean {
  return head[0] === 0x50 && head[1] === 0x4b && ((head[2] === 3 && head[3] === 4) || (head[2] === 5 && head[3] === 6));
}

const unsafePath = (name: string) =>
  new InvalidInputError(`The archive holds a path that would leave the program's folder: "${name.slice(0, 200)}".`);

/** The entry's path split into safe segments, or an error naming it. */
export function safeEntryPath(name: string): string[] {
  if (name.startsWith("/") || name.includes("\\") || name.includes("\0") || /^[A-Za-z]:/.test(name)) throw unsafePath(name);
  const segments = name.split("/").filter((s) => s !== "" && s !== ".");
  if (segments.some((s) => s === "..")) throw unsafePath(name);
  return segments;
}

const openZip = (path: string) =>
  new Promise<yauzl.ZipFile>((resolve, reject) =>
    yauzl.open(path, { lazyEntries: true, autoClose: true, strictFileNames: true, validateEntrySizes: true }, (err, zip) =>
      err || !zip ? reject(err) : resolve(zip),
    ),
  );

const entryStream = (zip: yauzl.ZipFile, entry: yauzl.Entry) =>
  new Promise<Readable>((resolve, reject) => zip.openReadStream(entry, (err, stream) => (err || !stream ? reject(err) : resolve(stream))));

/**
 * Extracts the ZIP at `zipPath` into `targetDir` (which must exist and be empty). Throws
 * InvalidInputError for a malformed or unsafe archive, LimitExceededError past a limit; what was
 * written by then stays for the caller to remove.
 */
export async function extractZip(zipPath: string, targetDir: string, limits: ExtractLimits): Promise<ExtractResult> {
  let zip: yauzl.ZipFile;
  try {
    zip = await openZip(zipPath);
  } catch (err) {
    throw new InvalidInputError("The file is not a readable ZIP archive.", { cause: err });
  }
  if (zip.entryCount > limits.maxEntries) {
    zip.close();
    throw new LimitExceededError(`The archive holds ${zip.entryCount} entries; at most ${limits.maxEntries} are allowed.`, {
      details: { limit: limits.maxEntries },
    });
  }
  const result: ExtractResult = { files: 0, totalBytes: 0 };
  try {
    for (let entry = await nextEntry(zip); entry; entry = await nextEntry(zip)) {
      await extractEntry(zip, entry, targetDir, limits, result);
    }
  } catch (err) {
    zip.close();
    if (err instanceof InvalidInputError || err instanceof LimitExceededError) throw err;
    // yauzl checks every name itself and reports an unsafe one as an error of the archive.
    const unsafeName = /^(?:absolute path|invalid relative path|invalid characters in fileName): (.*)$/s.exec((err as Error).message);
    if (unsafeName) throw unsafePath(unsafeName[1] ?? "");
    throw new InvalidInputError("The ZIP archive is damaged or its headers do not match its contents.", { cause: err });
  }
  return result;
}

function nextEntry(zip: yauzl.ZipFile): Promise<yauzl.Entry | null> {
  return new Promise((resolve, reject) => {
    const cleanup = () => {
      zip.off("entry", onEntry);
      zip.off("end", onEnd);
      zip.off("error", onError);
    };
    const onEntry = (entry: yauzl.Entry) => {
      cleanup();
      resolve(entry);
    };
    const onEnd = () => {
      cleanup();
      resolve(null);
    };
    const onError = (err: Error) => {
      cleanup();
      reject(err);
    };
    zip.on("entry", onEntry);
    zip.on("end", onEnd);
    zip.on("error", onError);
    zip.readEntry();
  });
}

async function extractEntry(zip: yauzl.ZipFile, entry: yauzl.Entry, targetDir: string, limits: ExtractLimits, result: ExtractResult) {
  const segments = safeEntryPath(entry.fileName);
  // Unix mode bits sit in the high half of the external attributes when the archive was made on Unix.
  const mode = (entry.externalFileAttributes >>> 16) & S_IFMT;
  const isDirectory = entry.fileName.endsWith("/") || mode === S_IFDIR;
  if (!isDirectory && mode !== 0 && mode !== S_IFREG) {
    throw new InvalidInputError(
      `The archive holds a link or special file, which programs may not contain: "${entry.fileName.slice(0, 200)}".`,
    );
  }
  if (segments.length === 0) return;
  const path = join(targetDir, ...segments);
  if (isDirectory) {
    await mkdir(path, { recursive: true });
    return;
  }
  if (entry.uncompressedSize > limits.maxFileBytes) throw fileTooLarge(entry.fileName, limits);
  await mkdir(dirname(path), { recursive: true });
  const executable = ((entry.externalFileAttributes >>> 16) & 0o111) !== 0;
  // "wx": an entry listed twice must not overwrite the first (nor follow anything placed there).
  const handle = await open(path, "wx", executable ? 0o755 : 0o644);
  let fileBytes = 0;
  try {
    const stream = await entryStream(zip, entry);
    try {
      for await (const chunk of stream as AsyncIterable<Buffer>) {
        fileBytes += chunk.length;
        result.totalBytes += chunk.length;
        if (fileBytes > limits.maxFileBytes) throw fileTooLarge(entry.fileName, limits);
        if (result.totalBytes > limits.maxTotalBytes) {
          throw new LimitExceededError(`The archive unpacks to more than ${limits.maxTotalBytes} bytes.`, {
            details: { limit: limits.maxTotalBytes },
          });
        }
        await handle.write(chunk);
      }
    } finally {
      stream.destroy();
    }
  } finally {
    await handle.close();
  }
  result.files++;
}

const fileTooLarge = (name: string, limits: ExtractLimits) =>
  new LimitExceededError(`"${name.slice(0, 200)}" unpacks to more than ${limits.maxFileBytes} bytes.`, {
    details: { limit: limits.maxFileBytes },
  });
