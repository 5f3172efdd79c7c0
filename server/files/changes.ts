// What happens in the file store, as `file.changed` events: files added, moved, renamed and
// deleted, folders created and deleted, and where resumable uploads stand. Every part of the store
// publishes through here, so each change has one shape; subscribers watch a folder.
import type { Clock } from "../clock";
import type { EventBus } from "../events";
import { normalizeFolderPath, parentOf } from "./names";
import type { FileEntry } from "./store";

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

export function createFileChanges({ events, clock }: { events: EventBus; clock: Clock }) {
  /** Publishes one change, stamped now; the fields a kind does not use are null. */
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

  return {
    publish,

    /** Publishes FOLDER_CREATED for each of `paths`, in order. */
    publishFoldersCreated(paths: string[]) {
      for (const path of paths) publish({ kind: "FOLDER_CREATED", folder: parentOf(path), folderPath: path });
    },

    /** Publishes where an upload stands (the resumable uploads call it). */
    publishUpload(upload: UploadProgress) {
      publish({ kind: "UPLOAD_PROGRESS", folder: upload.folder, upload });
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
  };
}

export type FileChanges = ReturnType<typeof createFileChanges>;
