// File names and folder paths are display metadata, checked and normalised here before they are
// stored or compared: Unicode NFC (so "é" typed two ways is one name), no separators, no control
// characters, no "." or "..", bounded length and depth. Stored bytes never live under these names.
import { InvalidInputError } from "../errors";

/** Longest file or folder name, in UTF-8 bytes (what most file systems allow). */
export const MAX_NAME_BYTES = 255;
/** Deepest folder nesting. */
export const MAX_FOLDER_DEPTH = 32;
/** Longest folder path ("a/b/c"), in UTF-8 bytes. */
export const MAX_FOLDER_PATH_BYTES = 1024;
/** The root folder's path. */
export const ROOT_FOLDER = "";

// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point.
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
const encoder = new TextEncoder();

/** Why `raw` cannot be a name, or null; `what` names the input in the message. */
function nameProblem(name: string, what: string): string | null {
  if (name.length === 0) return `${what} must not be empty.`;
  if (encoder.encode(name).length > MAX_NAME_BYTES) return `${what} must be at most ${MAX_NAME_BYTES} bytes (UTF-8).`;
  if (name === "." || name === "..") return `${what} must not be "." or "..".`;
  if (name.includes("/") || name.includes("\\")) return `${what} must not contain / or \\.`;
  if (CONTROL.test(name)) return `${what} must not contain control characters.`;
  if (name.trim() !== name) return `${what} must not start or end with spaces.`;
  return null;
}

/** A file or folder name in its stored form (NFC); throws InvalidInputError when it cannot be one. */
export function normalizeName(raw: string, what = "A name"): string {
  // Checked before normalising too: NFC of a huge input is work an attacker should not get for free.
  if (raw.length > MAX_NAME_BYTES * 4) throw new InvalidInputError(`${what} must be at most ${MAX_NAME_BYTES} bytes (UTF-8).`);
  const name = raw.normalize("NFC");
  const problem = nameProblem(name, what);
  if (problem) throw new InvalidInputError(problem, { details: { field: what } });
  return name;
}

/**
 * A folder path in its stored form: names joined by "/", without leading or trailing "/", "" for
 * the root. Throws InvalidInputError for empty segments ("a//b"), "." or "..", and paths too long
 * or too deep.
 */
export function normalizeFolderPath(raw: string): string {
  if (raw.length > MAX_FOLDER_PATH_BYTES * 4) throw new InvalidInputError(`A folder path must be at most ${MAX_FOLDER_PATH_BYTES} bytes.`);
  const trimmed = raw.replace(/^\/+|\/+$/g, "");
  if (trimmed === "") return ROOT_FOLDER;
  const segments = trimmed.split("/");
  if (segments.length > MAX_FOLDER_DEPTH) throw new InvalidInputError(`Folders nest at most ${MAX_FOLDER_DEPTH} deep.`);
  const path = segments.map((segment) => normalizeName(segment, "A folder name")).join("/");
  if (encoder.encode(path).length > MAX_FOLDER_PATH_BYTES)
    throw new InvalidInputError(`A folder path must be at most ${MAX_FOLDER_PATH_BYTES} bytes.`);
  return path;
}

/** The folder holding `path` ("" for a top-level folder). */
export function parentOf(path: string): string {
  const slash = path.lastIndexOf("/");
  return slash === -1 ? ROOT_FOLDER : path.slice(0, slash);
}

/** The last segment of a folder path. */
export function baseNameOf(path: string): string {
  return path.slice(path.lastIndexOf("/") + 1);
}

/** Every folder from the top down to `path` itself ("a", "a/b", "a/b/c"); none for the root. */
export function ancestorsAndSelf(path: string): string[] {
  if (path === ROOT_FOLDER) return [];
  const segments = path.split("/");
  return segments.map((_, i) => segments.slice(0, i + 1).join("/"));
}

/** `folder/name` for messages and listings ("name" in the root). */
export function displayPath(folder: string, name: string): string {
  return folder === ROOT_FOLDER ? name : `${folder}/${name}`;
}

/** "name (2).ext", "name (3).ext", …: the n-th alternative to a name that is taken, within the name limit. */
export function numberedName(name: string, n: number): string {
  const dot = name.lastIndexOf(".");
  // A long "extension" is part of the name: cutting the stem to fit it could leave nothing.
  const [stem, extension] = dot > 0 && name.length - dot <= 16 ? [name.slice(0, dot), name.slice(dot)] : [name, ""];
  const suffix = ` (${n})${extension}`;
  const kept = Array.from(stem);
  while (kept.length > 0 && encoder.encode(kept.join("") + suffix).length > MAX_NAME_BYTES) kept.pop();
  return kept.join("").trimEnd() + suffix;
}
