// The file store's GraphQL operations, typed for the Files page. Uploads go through tus
// (lib/createResumableUploadQueue); downloads are plain links to /files/<id>.

import { type GraphQLRequestError, query, subscribe } from "../../lib/graphql";
import type { Page } from "../../lib/liveList";
import { graphql, type ResultOf, type SchemaEnum } from "../../lib/operation";

const FILE_FIELDS = "id name folder sizeBytes mimeType sha256 uploaderName createdAt updatedAt downloadPath";

export type FileOrder = SchemaEnum<"FileOrder">;

const FILES = graphql(`query Files($folder: String, $search: String, $sortBy: FileOrder!, $first: Int!, $after: String) {
  files(folder: $folder, search: $search, sortBy: $sortBy, first: $first, after: $after) { nodes { ${FILE_FIELDS} } pageInfo { endCursor hasNextPage } }
}`);

export type StoredFile = ResultOf<typeof FILES>["files"]["nodes"][number];

/** What a list of files shows: one folder (every folder while searching), a search text, an order. */
export interface FileListParams {
  folder: string;
  search: string;
  sortBy: FileOrder;
}

const PAGE_SIZE = 100;

/** A page of the files `params` ask for, after the cursor `after`. */
export async function fetchFilesPage(params: FileListParams, after: string | null): Promise<Page<StoredFile>> {
  const searching = params.search.trim() !== "";
  const { files } = await query(FILES, {
    folder: searching ? null : params.folder,
    search: searching ? params.search.trim() : null,
    sortBy: params.sortBy,
    first: PAGE_SIZE,
    after,
  });
  return { items: files.nodes, ...files.pageInfo };
}

const FOLDERS = graphql("query Folders($parent: String!) { folders(parent: $parent) { path name } }");

export type Folder = ResultOf<typeof FOLDERS>["folders"][number];

/** The folders directly inside `parent`. */
export async function fetchFolders(parent: string): Promise<readonly Folder[]> {
  return (await query(FOLDERS, { parent })).folders;
}

const FILE_EVENTS = graphql(`subscription FileEvents($folder: String) {
  fileEvents(folder: $folder) {
    kind folder previousFolder folderPath at
    file { ${FILE_FIELDS} }
    upload { id userId folder name offsetBytes lengthBytes state }
  }
}`);

export type FileEvent = ResultOf<typeof FILE_EVENTS>["fileEvents"];

/** Every change in `folder` ("" the top folder; every folder when null), uploads in progress included. */
export function watchFiles(folder: string | null, onEvent: (event: FileEvent) => void, onError: (error: GraphQLRequestError) => void) {
  return subscribe(FILE_EVENTS, { folder }, ({ fileEvents }) => onEvent(fileEvents), onError);
}

const STORAGE = graphql(`query Storage { storage {
  usedBytes fileCount pendingBytes quotaBytes userQuotaBytes freeDiskBytes totalDiskBytes mine { usedBytes fileCount }
} }`);

export type Storage = ResultOf<typeof STORAGE>["storage"];

export async function fetchStorage(): Promise<Storage> {
  return (await query(STORAGE)).storage;
}

const FILE = graphql(`query File($id: ID!) { file(id: $id) { ${FILE_FIELDS} } }`);

/** The file as it is now; NOT_FOUND when it is gone. */
export async function fetchFile(id: string): Promise<StoredFile> {
  return (await query(FILE, { id })).file;
}

const CREATE_FOLDER = graphql("mutation CreateFolder($path: String!) { createFolder(path: $path) { path name } }");

export async function createFolder(path: string): Promise<Folder> {
  return (await query(CREATE_FOLDER, { path })).createFolder;
}

const RENAME_FILE = graphql(`mutation RenameFile($id: ID!, $name: String!) { renameFile(id: $id, name: $name) { ${FILE_FIELDS} } }`);

export async function renameFile(id: string, name: string): Promise<StoredFile> {
  return (await query(RENAME_FILE, { id, name })).renameFile;
}

const MOVE_FILE = graphql(`mutation MoveFile($id: ID!, $folder: String!) { moveFile(id: $id, folder: $folder) { ${FILE_FIELDS} } }`);

export async function moveFile(id: string, folder: string): Promise<StoredFile> {
  return (await query(MOVE_FILE, { id, folder })).moveFile;
}

const DELETE_FILE = graphql("mutation DeleteFile($id: ID!) { deleteFile(id: $id) }");

export async function deleteFile(id: string): Promise<void> {
  await query(DELETE_FILE, { id });
}

const DELETE_FOLDER = graphql("mutation DeleteFolder($path: String!) { deleteFolder(path: $path) }");

/** Deletes a folder and everything in it; resolves with how many files went. */
export async function deleteFolder(path: string): Promise<number> {
  return (await query(DELETE_FOLDER, { path })).deleteFolder;
}

const LINK_FIELDS = "id createdAt expiresAt maxDownloads downloads revokedAt active";

const SHARE_LINKS = graphql(`query ShareLinks($fileId: ID!) { shareLinks(fileId: $fileId) { ${LINK_FIELDS} } }`);

export type ShareLink = ResultOf<typeof SHARE_LINKS>["shareLinks"][number];

export async function fetchShareLinks(fileId: string): Promise<readonly ShareLink[]> {
  return (await query(SHARE_LINKS, { fileId })).shareLinks;
}

const CREATE_SHARE_LINK = graphql(`mutation CreateShareLink($fileId: ID!, $expiresAt: DateTime, $maxDownloads: Int) {
  createShareLink(fileId: $fileId, expiresAt: $expiresAt, maxDownloads: $maxDownloads) { path link { ${LINK_FIELDS} } }
}`);

export type CreatedShareLink = ResultOf<typeof CREATE_SHARE_LINK>["createShareLink"];

export async function createShareLink(fileId: string, expiresAt: string | null, maxDownloads: number | null): Promise<CreatedShareLink> {
  return (await query(CREATE_SHARE_LINK, { fileId, expiresAt, maxDownloads })).createShareLink;
}

const REVOKE_SHARE_LINK = graphql(`mutation RevokeShareLink($id: ID!) { revokeShareLink(id: $id) { ${LINK_FIELDS} } }`);

export async function revokeShareLink(id: string): Promise<ShareLink> {
  return (await query(REVOKE_SHARE_LINK, { id })).revokeShareLink;
}
