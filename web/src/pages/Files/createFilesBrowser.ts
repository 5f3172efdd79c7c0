// The Files page's state: the folder shown (in the address, so the back button works), its
// subfolders and files (paged, kept live by fileEvents), search and order, storage use, and the
// actions on files and folders. Views only read these signals and call the actions.

import { useSearchParams } from "@solidjs/router";
import { createEffect, createSignal, on, onCleanup, untrack } from "solid-js";
import { currentUser } from "../../lib/auth";
import { confirmAction } from "../../lib/confirm";
import { createLiveList } from "../../lib/createLiveList";
import { type GraphQLRequestError, toRequestError } from "../../lib/graphql";
import { hasPermission } from "../../lib/permissions";
import { childPath } from "./fileDisplay";
import { applyFileEvent, insideFolder } from "./fileListChanges";
import {
  createFolder,
  deleteFile,
  deleteFolder,
  type FileEvent,
  type FileListParams,
  type FileOrder,
  type Folder,
  fetchFile,
  fetchFilesPage,
  fetchFolders,
  fetchStorage,
  moveFile,
  renameFile,
  type Storage,
  type StoredFile,
  watchFiles,
} from "./filesOperations";

const SEARCH_DEBOUNCE_MS = 300;

export function createFilesBrowser() {
  const [searchParams, setSearchParams] = useSearchParams<{ folder: string }>();
  const canWrite = () => hasPermission(currentUser(), "files:write");
  const folder = () => searchParams.folder ?? "";
  const openFolder = (path: string) => setSearchParams({ folder: path || undefined });

  const [searchInput, setSearchInput] = createSignal("");
  const [search, setSearch] = createSignal("");
  let searchTimer: ReturnType<typeof setTimeout> | undefined;
  onCleanup(() => clearTimeout(searchTimer));
  const changeSearch = (value: string) => {
    setSearchInput(value);
    clearTimeout(searchTimer);
    searchTimer = setTimeout(() => setSearch(value), SEARCH_DEBOUNCE_MS);
  };
  const [sortBy, setSortBy] = createSignal<FileOrder>("NAME");
  const params = (): FileListParams => ({ folder: folder(), search: search(), sortBy: sortBy() });

  // ---- Subfolders and storage, loaded again when a change touches them ----
  const [folders, setFolders] = createSignal<readonly Folder[]>([]);
  const [foldersError, setFoldersError] = createSignal<GraphQLRequestError | null>(null);
  const loadFolders = async () => {
    const shown = untrack(folder);
    try {
      const loaded = await fetchFolders(shown);
      if (untrack(folder) === shown) setFolders(loaded);
      setFoldersError(null);
    } catch (error) {
      setFoldersError(toRequestError(error));
    }
  };
  createEffect(on(folder, () => void loadFolders()));

  const [storage, setStorage] = createSignal<Storage | null>(null);
  const loadStorage = () => void fetchStorage().then(setStorage, () => {});
  loadStorage();

  // ---- The files ----
  const list = createLiveList({
    params,
    fetchPage: fetchFilesPage,
    watch: (shown: FileListParams, onEvent: (event: FileEvent) => void, onError) =>
      watchFiles(shown.search.trim() ? null : shown.folder, onEvent, onError),
    applyChange: (files: readonly StoredFile[], event: FileEvent) => applyFileEvent(files, event, untrack(params)),
    keyOf: (file: StoredFile) => file.id,
    onLiveChange: (event: FileEvent, shown) => {
      if (event.kind === "FOLDER_CREATED" || event.kind === "FOLDER_DELETED") {
        if (
          event.kind === "FOLDER_DELETED" &&
          event.folderPath !== null &&
          shown.folder !== "" &&
          insideFolder(shown.folder, event.folderPath)
        )
          openFolder(event.folder);
        void loadFolders();
      }
      if (event.kind !== "UPLOAD_PROGRESS") loadStorage();
      return event.file !== null || event.kind === "FOLDER_DELETED";
    },
  });
  /** Shows the server's answer to the user's own change at once, as its live event would. */
  const showChanged = (file: StoredFile) =>
    list.apply({ kind: "RENAMED", folder: file.folder, previousFolder: null, folderPath: null, at: file.updatedAt, file, upload: null });

  // ---- Actions on one file; their errors show under its row ----
  const [busy, setBusy] = createSignal<{ id: string; what: string } | null>(null);
  const [rowErrors, setRowErrors] = createSignal<Readonly<Record<string, string>>>({});
  const setRowError = (id: string, error: unknown) =>
    setRowErrors((current) => ({ ...current, [id]: error === null ? "" : toRequestError(error).message }));
  async function act(file: StoredFile, what: string, work: () => Promise<void>) {
    if (busy()) return;
    setBusy({ id: file.id, what });
    setRowError(file.id, null);
    try {
      await work();
    } catch (error) {
      setRowError(file.id, error);
    } finally {
      setBusy(null);
    }
  }

  const rename = (file: StoredFile, name: string) =>
    act(file, "rename", async () => {
      showChanged(await renameFile(file.id, name));
    });
  const move = (file: StoredFile, toFolder: string) =>
    act(file, "move", async () => {
      showChanged(await moveFile(file.id, toFolder.replace(/^\/+|\/+$/g, "")));
    });
  const remove = (file: StoredFile) =>
    act(file, "delete", async () => {
      if (
        !(await confirmAction({
          question: `Delete "${file.name}"?`,
          detail: "Its share links stop working. This cannot be undone.",
          confirmLabel: "Delete file",
        }))
      )
        return;
      await deleteFile(file.id);
      list.remove(file.id);
      loadStorage();
    });
  /** Downloads through a plain link, so the browser streams it to disk; the file is looked up first, which renews an expired session. */
  const download = (file: StoredFile) =>
    act(file, "download", async () => {
      const current = await fetchFile(file.id);
      const link = document.createElement("a");
      link.href = current.downloadPath;
      link.download = current.name;
      link.hidden = true;
      document.body.append(link);
      link.click();
      link.remove();
    });

  // ---- Folders ----
  const [newFolderName, setNewFolderName] = createSignal("");
  const [folderBusy, setFolderBusy] = createSignal(false);
  const [folderError, setFolderError] = createSignal<GraphQLRequestError | null>(null);
  async function addFolder() {
    const name = newFolderName().trim();
    if (!name || folderBusy()) return;
    setFolderBusy(true);
    setFolderError(null);
    try {
      await createFolder(childPath(folder(), name));
      setNewFolderName("");
      await loadFolders();
    } catch (error) {
      setFolderError(toRequestError(error));
    } finally {
      setFolderBusy(false);
    }
  }
  async function removeFolder(path: string) {
    if (
      !(await confirmAction({
        question: `Delete the folder "${path}" and everything in it?`,
        detail: "Every file in it and in the folders below it is deleted. This cannot be undone.",
        confirmLabel: "Delete folder",
      }))
    )
      return;
    setFolderError(null);
    try {
      await deleteFolder(path);
      if (insideFolder(folder(), path)) openFolder(path.includes("/") ? path.slice(0, path.lastIndexOf("/")) : "");
      await loadFolders();
      loadStorage();
    } catch (error) {
      setFolderError(toRequestError(error));
    }
  }

  /** A file the user's own upload completed: shown at once (its live event may come later). */
  const showUploaded = async (fileId: string) => {
    try {
      const file = await fetchFile(fileId);
      list.apply({ kind: "ADDED", folder: file.folder, previousFolder: null, folderPath: null, at: file.createdAt, file, upload: null });
      if (file.folder !== folder()) void loadFolders();
      loadStorage();
    } catch {
      // Deleted meanwhile: nothing to show.
    }
  };

  return {
    canWrite,
    folder,
    openFolder,
    search: { input: searchInput, applied: search, change: changeSearch },
    sortBy,
    setSortBy,
    folders,
    foldersError,
    storage,
    list: list.view,
    live: list.live,
    files: { busy, rowErrors, rename, move, remove, download },
    newFolder: {
      name: newFolderName,
      setName: setNewFolderName,
      busy: folderBusy,
      error: folderError,
      create: addFolder,
      remove: removeFolder,
    },
    showUploaded,
  };
}

export type FilesBrowser = ReturnType<typeof createFilesBrowser>;
