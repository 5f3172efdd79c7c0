// Which file of a program runs, and with what: the entry point is detected from the folder's
// contents, the interpreter from the entry's shebang or extension. Pure logic over a listing and a
// way to read a file's first bytes; the runner turns the result into a command line.
import { extname } from "node:path";

export interface ProgramFile {
  /** Relative to the program's folder, with "/" separators. */
  path: string;
  sizeBytes: number;
  executable: boolean;
}

/** How a program is started. `kind` picks the command; `shebang` is used as the file states it. */
export type Interpreter =
  | { kind: "shebang"; command: string[] }
  | { kind: "python3" }
  | { kind: "sh" }
  | { kind: "bash" }
  /** Outpost's own Bun, as the `bun` CLI (BUN_BE_BUN=1). */
  | { kind: "bun" }
  /** `bun run start` in the folder (package.json scripts.start). */
  | { kind: "bun-start" }
  | { kind: "direct" };

export interface EntryPoint {
  path: string;
  interpreter: Interpreter;
}

/** Bytes read from a file to find its shebang line. */
export const SHEBANG_READ_BYTES = 256;
/** A package.json larger than this is not read for its entry point. */
const PACKAGE_JSON_READ_BYTES = 64 << 10;

const NAMED_ENTRIES = ["main.py", "__main__.py", "app.py", "index.ts", "index.js", "main.ts", "main.js"];
const SHELL_ENTRIES = ["main.sh", "run.sh"];

/** The command of a `#!` line, or null. */
export function parseShebang(head: string): string[] | null {
  if (!head.startsWith("#!")) return null;
  const line = head.slice(2).split("\n", 1)[0]?.trim() ?? "";
  const words = line.split(/\s+/).filter(Boolean);
  return words.length > 0 ? words : null;
}

/** The interpreter of `path`: its shebang first, else by extension, else run directly. */
export function interpreterFor(path: string, head: string): Interpreter {
  const shebang = parseShebang(head);
  if (shebang) return { kind: "shebang", command: shebang };
  switch (extname(path).toLowerCase()) {
    case ".py":
      return { kind: "python3" };
    case ".sh":
      return { kind: head.includes("[[") ? "bash" : "sh" };
    case ".bash":
      return { kind: "bash" };
    case ".js":
    case ".mjs":
    case ".cjs":
    case ".ts":
    case ".mts":
      return { kind: "bun" };
    default:
      return { kind: "direct" };
  }
}

/**
 * Detects the entry point among `files` (all of them, relative to the folder). In order: the named
 * entries main.py, __main__.py, app.py, index.ts, index.js, main.ts, main.js; package.json `main`,
 * else its `scripts.start`; main.sh, run.sh; the only executable file; the only file with a
 * shebang; the only file. Each rule looks at the top of the folder, or inside its one folder when
 * that is all the top holds (an archive of a folder). Null when nothing fits: the user chooses.
 */
export async function detectEntryPoint(
  files: ProgramFile[],
  readHead: (path: string, maxBytes: number) => Promise<string>,
): Promise<EntryPoint | null> {
  const root = projectRoot(files);
  const atRoot = files.filter((f) => f.path.startsWith(root) && !f.path.slice(root.length).includes("/"));
  const byName = new Map(atRoot.map((f) => [f.path.slice(root.length), f]));
  const withInterpreter = async (path: string): Promise<EntryPoint> => ({
    path,
    interpreter: interpreterFor(path, await readHead(path, SHEBANG_READ_BYTES)),
  });

  for (const name of NAMED_ENTRIES) if (byName.has(name)) return withInterpreter(root + name);
  if (byName.has("package.json")) {
    const fromPackage = packageEntry(await readHead(`${root}package.json`, PACKAGE_JSON_READ_BYTES), root, files);
    if (fromPackage) return fromPackage.path === `${root}package.json` ? fromPackage : withInterpreter(fromPackage.path);
  }
  for (const name of SHELL_ENTRIES) if (byName.has(name)) return withInterpreter(root + name);
  const executables = atRoot.filter((f) => f.executable);
  if (executables.length === 1 && executables[0]) return withInterpreter(executables[0].path);
  const heads = await Promise.all(atRoot.map(async (f) => ({ f, head: await readHead(f.path, SHEBANG_READ_BYTES) })));
  const shebangs = heads.filter(({ head }) => parseShebang(head));
  if (shebangs.length === 1 && shebangs[0]) return withInterpreter(shebangs[0].f.path);
  if (atRoot.length === 1 && atRoot[0]) return withInterpreter(atRoot[0].path);
  return null;
}

/** "" or "<folder>/" when every file sits in one top folder. */
function projectRoot(files: ProgramFile[]): string {
  const tops = new Set(files.map((f) => (f.path.includes("/") ? `${f.path.split("/")[0]}/` : "")));
  const [only] = tops;
  return tops.size === 1 && only ? only : "";
}

/** package.json's `main` when that file exists, else `scripts.start` (the package.json itself stands for it). */
function packageEntry(text: string, root: string, files: ProgramFile[]): { path: string; interpreter: Interpreter } | null {
  let manifest: { main?: unknown; scripts?: { start?: unknown } };
  try {
    manifest = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof manifest.main === "string") {
    const main = root + manifest.main.replace(/^\.\//, "");
    if (files.some((f) => f.path === main)) return { path: main, interpreter: { kind: "bun" } };
  }
  if (typeof manifest.scripts?.start === "string") return { path: `${root}package.json`, interpreter: { kind: "bun-start" } };
  return null;
}
