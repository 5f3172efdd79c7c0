// Keeps the visible files in step with live changes: a file added, renamed or moved into the
// folder appears (in its place in the order), one moved out or deleted goes. Applying a change twice
// does no harm, so the live list may replay changes that arrived while a page loaded.

import type { FileEvent, FileListParams, StoredFile } from "./filesOperations";

const before = (a: StoredFile, b: StoredFile, sortBy: FileListParams["sortBy"]): boolean => {
  switch (sortBy) {
    case "NAME":
      return a.name.localeCompare(b.name, undefined, { sensitivity: "base" }) < 0;
    case "NEWEST":
      return a.createdAt > b.createdAt;
    case "OLDEST":
      return a.createdAt < b.createdAt;
    case "LARGEST":
      return a.sizeBytes > b.sizeBytes;
    case "SMALLEST":
      return a.sizeBytes < b.sizeBytes;
  }
};

/** Whether `file` belongs in the list `params` describe. */
function shownIn(file: StoredFile, params: FileListParams): boolean {
  const search = params.search.trim().toLowerCase();
  return search !== "" ? file.name.toLowerCase().includes(search) : file.folder === params.folder;
}

/** The files with `file` in its place (replacing its older self), or without it when it no longer belongs. */
export function placeFile(files: readonly StoredFile[], file: StoredFile, params: FileListParams): readonly StoredFile[] {
  const others = files.filter((each) => each.id !== file.id);
  if (!shownIn(file, params)) return others;
  const at = others.findIndex((each) => before(file, each, params.sortBy));
  return at === -1 ? [...others, file] : [...others.slice(0, at), file, ...others.slice(at)];
}

/** The files after one live change. */
export function applyFileEvent(files: readonly StoredFile[], event: FileEvent, params: FileListParams): readonly StoredFile[] {
  const file = event.file;
  if (!file)
    return event.kind === "FOLDER_DELETED" && event.folderPath !== null
      ? files.filter((f) => !insideFolder(f.folder, event.folderPath as string))
      : files;
  if (event.kind === "DELETED") return files.filter((each) => each.id !== file.id);
  const shown = files.find((each) => each.id === file.id);
  // An older state of a file than the one shown changes nothing.
  if (shown && shown.updatedAt > file.updatedAt) return files;
  return placeFile(files, file, params);
}

/** True when `folder` is `ancestor` or inside it. */
export function insideFolder(folder: string, ancestor: string): boolean {
  return folder === ancestor || folder.startsWith(`${ancestor}/`);
}
