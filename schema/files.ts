// Files: browsing folders, file metadata, moving, renaming and deleting, small uploads through
// GraphQL multipart, storage use, share links and live changes (uploads in progress included).
// Large files go through the resumable upload at /files/uploads; downloads are GET /files/<id>.

import { InvalidInputError } from "../server/errors";
import type { FileChange, UploadProgress } from "../server/files/changes";
import type { FileEntry, FolderEntry, StorageUse } from "../server/files/service";
import type { CreatedShareLink, ShareLinkRow } from "../server/files/shares";
import { auditTarget } from "./audit";
import { builder } from "./builder";
import { signedInViewer } from "./context";
import { connectionOf, decodeCursor, encodeCursor } from "./pagination";

const SIZE = "A size in bytes (a Float, exact up to 2^53).";

const StoredFileType = builder.objectRef<FileEntry>("StoredFile").implement({
  description: "A complete file. Its bytes are at downloadPath (GET, with Range and ETag).",
  fields: (t) => ({
    id: t.exposeID("id"),
    name: t.exposeString("name"),
    folder: t.exposeString("folder", { description: 'The folder\'s path, "" for the top folder.' }),
    sizeBytes: t.exposeFloat("sizeBytes", { description: SIZE }),
    mimeType: t.exposeString("mimeType", { description: "Sniffed from the first bytes; the name's extension when they say nothing." }),
    sha256: t.exposeString("sha256", { description: "Hex; also the download's ETag." }),
    uploaderId: t.exposeString("uploadedBy", { nullable: true }),
    uploaderName: t.exposeString("uploaderName", { nullable: true, description: "Null once the uploader's account was deleted." }),
    createdAt: t.expose("createdAt", { type: "DateTime" }),
    updatedAt: t.expose("updatedAt", { type: "DateTime" }),
    downloadPath: t.string({ resolve: (file) => `/files/${file.id}` }),
  }),
});

const FolderType = builder.objectRef<FolderEntry>("Folder").implement({
  fields: (t) => ({
    path: t.exposeString("path", { description: 'Names joined by "/".' }),
    name: t.exposeString("name"),
    parent: t.exposeString("parent", { description: '"" for a top-level folder.' }),
    createdAt: t.expose("createdAt", { type: "DateTime" }),
  }),
});

const UploadStateType = builder.enumType("UploadState", { values: ["RECEIVING", "PAUSED", "COMPLETED", "ABORTED"] as const });

const UploadProgressType = builder.objectRef<UploadProgress>("UploadProgress").implement({
  description: "A resumable upload not yet complete (or just completed or aborted).",
  fields: (t) => ({
    id: t.exposeID("id"),
    userId: t.exposeString("userId"),
    folder: t.exposeString("folder"),
    name: t.exposeString("name"),
    offsetBytes: t.exposeFloat("offsetBytes", { description: SIZE }),
    lengthBytes: t.exposeFloat("lengthBytes", { nullable: true, description: "Null while the uploader has not said." }),
    state: t.field({ type: UploadStateType, resolve: (u) => u.state }),
  }),
});

const FileEventKind = builder.enumType("FileEventKind", {
  values: ["ADDED", "MOVED", "RENAMED", "DELETED", "FOLDER_CREATED", "FOLDER_DELETED", "UPLOAD_PROGRESS"] as const,
});

const FileEventType = builder.objectRef<FileChange>("FileEvent").implement({
  fields: (t) => ({
    kind: t.field({ type: FileEventKind, resolve: (e) => e.kind }),
    folder: t.exposeString("folder", {
      description:
        "Where it happened: the file's folder (its new one when moved), a created or deleted folder's parent, an upload's target.",
    }),
    previousFolder: t.exposeString("previousFolder", { nullable: true, description: "The folder a moved file left." }),
    file: t.field({ type: StoredFileType, nullable: true, description: "The file now (as it was, when deleted).", resolve: (e) => e.file }),
    folderPath: t.exposeString("folderPath", { nullable: true, description: "The folder created or deleted." }),
    deletedFiles: t.exposeInt("deletedFiles", { nullable: true, description: "How many files a folder's deletion took." }),
    upload: t.field({ type: UploadProgressType, nullable: true, resolve: (e) => e.upload }),
    at: t.expose("at", { type: "DateTime" }),
  }),
});

const UserStorageType = builder.objectRef<StorageUse["byUser"][number]>("UserStorage").implement({
  fields: (t) => ({
    userId: t.exposeString("userId"),
    username: t.exposeString("username", { nullable: true }),
    usedBytes: t.exposeFloat("usedBytes", { description: SIZE }),
    fileCount: t.exposeInt("fileCount"),
  }),
});

const MyStorageType = builder.objectRef<StorageUse["mine"]>("MyStorage").implement({
  fields: (t) => ({
    usedBytes: t.exposeFloat("usedBytes", { description: SIZE }),
    fileCount: t.exposeInt("fileCount"),
    pendingBytes: t.exposeFloat("pendingBytes", { description: "Held by your unfinished uploads." }),
  }),
});

const StorageType = builder.objectRef<StorageUse>("Storage").implement({
  fields: (t) => ({
    usedBytes: t.exposeFloat("usedBytes", { description: SIZE }),
    fileCount: t.exposeInt("fileCount"),
    pendingBytes: t.exposeFloat("pendingBytes", { description: "Held by unfinished uploads (their declared lengths)." }),
    quotaBytes: t.exposeFloat("quotaBytes", { description: "What all files together may take (files_quota_bytes)." }),
    userQuotaBytes: t.exposeFloat("userQuotaBytes", { nullable: true, description: "What one user's files may take; null for no limit." }),
    mine: t.field({ type: MyStorageType, resolve: (s) => s.mine }),
    byUser: t.field({ type: [UserStorageType], description: "The users who store most, largest first.", resolve: (s) => s.byUser }),
    freeDiskBytes: t.exposeFloat("freeDiskBytes"),
    totalDiskBytes: t.exposeFloat("totalDiskBytes"),
  }),
});

const ShareLinkType = builder.objectRef<ShareLinkRow>("ShareLink").implement({
  fields: (t) => ({
    id: t.exposeID("id"),
    fileId: t.exposeString("fileId"),
    createdBy: t.exposeString("createdBy"),
    createdAt: t.expose("createdAt", { type: "DateTime" }),
    expiresAt: t.expose("expiresAt", { type: "DateTime", nullable: true }),
    maxDownloads: t.exposeInt("maxDownloads", { nullable: true }),
    downloads: t.exposeInt("downloads", { description: "Downloads so far; every GET of the file counts, ranges too." }),
    revokedAt: t.expose("revokedAt", { type: "DateTime", nullable: true }),
    active: t.boolean({ description: "Whether the link works now.", resolve: (link, _args, ctx) => ctx.services.shares.isActive(link) }),
  }),
});

const CreatedShareLinkType = builder.objectRef<CreatedShareLink>("CreatedShareLink").implement({
  description: "A new share link. The token is shown only now; anyone with path can download the file.",
  fields: (t) => ({
    link: t.field({ type: ShareLinkType, resolve: (c) => c.link }),
    token: t.exposeString("token"),
    path: t.string({ description: "/s/<token>, to put after the server's address.", resolve: (c) => `/s/${c.token}` }),
  }),
});

const FileOrderType = builder.enumType("FileOrder", { values: ["NAME", "NEWEST", "OLDEST", "LARGEST", "SMALLEST"] as const });

const StoredFileConnection = connectionOf("StoredFile", StoredFileType);

/** The file of an upload: only a multipart request's variable can hold one. */
function uploadedFile(file: File | null | undefined): File {
  if (!file)
    throw new InvalidInputError(
      "Send the file as a variable of a multipart request (GraphQL multipart request spec), or use the resumable upload at /files/uploads.",
    );
  return file;
}

builder.queryFields((t) => ({
  files: t.field({
    type: StoredFileConnection,
    description:
      'Files in folder ("" for the top folder; every folder when null) whose names contain search, in sortBy order. first is at most 500.',
    authScopes: { permission: "files:read" },
    extensions: auditTarget("folder"),
    args: {
      folder: t.arg.string(),
      search: t.arg.string(),
      sortBy: t.arg({ type: FileOrderType, defaultValue: "NAME" }),
      first: t.arg.int({ defaultValue: 50 }),
      after: t.arg.string(),
    },
    resolve: (_root, args, ctx) => {
      const page = ctx.services.files.list({
        folder: args.folder ?? null,
        search: args.search ?? null,
        order: args.sortBy ?? "NAME",
        first: args.first ?? 50,
        after: decodeCursor(args.after),
      });
      return { items: page.items, hasNextPage: page.hasNextPage, cursorOf: (file: FileEntry) => encodeCursor(page.cursorOf(file)) };
    },
  }),
  file: t.field({
    type: StoredFileType,
    description: "Fails with NOT_FOUND for an unknown id.",
    authScopes: { permission: "files:read" },
    extensions: auditTarget("id"),
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, { id }, ctx) => ctx.services.files.get(String(id)),
  }),
  folders: t.field({
    type: [FolderType],
    description: 'The folders directly inside parent ("" for the top folder), by name.',
    authScopes: { permission: "files:read" },
    extensions: auditTarget("parent"),
    args: { parent: t.arg.string({ defaultValue: "" }) },
    resolve: (_root, { parent }, ctx) => ctx.services.folders.children(parent ?? ""),
  }),
  storage: t.field({
    type: StorageType,
    authScopes: { permission: "files:read" },
    resolve: (_root, _args, ctx) => ctx.services.files.storage(signedInViewer(ctx).userId),
  }),
  shareLinks: t.field({
    type: [ShareLinkType],
    description: "The file's share links, newest first, revoked and expired ones included.",
    authScopes: { permission: "files:write" },
    extensions: auditTarget("fileId"),
    args: { fileId: t.arg.id({ required: true }) },
    resolve: (_root, { fileId }, ctx) => ctx.services.shares.list(String(fileId)),
  }),
}));

builder.mutationFields((t) => ({
  uploadFile: t.field({
    type: StoredFileType,
    description:
      "Stores a small file sent in a multipart request, under its own name (numbered when taken). Requests past max_multipart_body_bytes fail with LIMIT_EXCEEDED naming the resumable upload at /files/uploads; quotas and the largest file as there.",
    authScopes: { permission: "files:write" },
    extensions: auditTarget("folder"),
    args: { file: t.arg({ type: "File", required: true }), folder: t.arg.string() },
    resolve: (_root, { file, folder }, ctx) =>
      ctx.services.fileIntake.upload({ file: uploadedFile(file), userId: signedInViewer(ctx).userId, folder: folder ?? null }),
  }),
  createFolder: t.field({
    type: FolderType,
    description: "Creates a folder and the ones above it that are missing; CONFLICT when it exists.",
    authScopes: { permission: "files:write" },
    extensions: auditTarget("path"),
    args: { path: t.arg.string({ required: true }) },
    resolve: (_root, { path }, ctx) => ctx.services.folders.create(path, signedInViewer(ctx).userId),
  }),
  moveFile: t.field({
    type: StoredFileType,
    description: "Moves a file into an existing folder; CONFLICT when its name is taken there.",
    authScopes: { permission: "files:write" },
    extensions: auditTarget("id", "folder"),
    args: { id: t.arg.id({ required: true }), folder: t.arg.string({ required: true }) },
    resolve: (_root, { id, folder }, ctx) => ctx.services.files.moveFile(String(id), folder),
  }),
  renameFile: t.field({
    type: StoredFileType,
    description: "Renames a file in its folder; CONFLICT when the name is taken there.",
    authScopes: { permission: "files:write" },
    extensions: auditTarget("id", "name"),
    args: { id: t.arg.id({ required: true }), name: t.arg.string({ required: true }) },
    resolve: (_root, { id, name }, ctx) => ctx.services.files.renameFile(String(id), name),
  }),
  deleteFile: t.boolean({
    description: "Deletes a file, its bytes and its share links; NOT_FOUND for an unknown id.",
    authScopes: { permission: "files:write" },
    extensions: auditTarget("id"),
    args: { id: t.arg.id({ required: true }) },
    resolve: async (_root, { id }, ctx) => Boolean(await ctx.services.files.deleteFile(String(id))),
  }),
  deleteFolder: t.int({
    description: "Deletes a folder with everything in it; returns how many files went.",
    authScopes: { permission: "files:write" },
    extensions: auditTarget("path"),
    args: { path: t.arg.string({ required: true }) },
    resolve: (_root, { path }, ctx) => ctx.services.folders.delete(path),
  }),
  createShareLink: t.field({
    type: CreatedShareLinkType,
    description:
      "A public link to download the file without signing in, until expiresAt (null: until revoked), for at most maxDownloads downloads (null: any).",
    authScopes: { permission: "files:write" },
    extensions: auditTarget("fileId", "expiresAt", "maxDownloads"),
    args: { fileId: t.arg.id({ required: true }), expiresAt: t.arg({ type: "DateTime" }), maxDownloads: t.arg.int() },
    resolve: (_root, args, ctx) =>
      ctx.services.shares.create({
        fileId: String(args.fileId),
        userId: signedInViewer(ctx).userId,
        expiresAt: args.expiresAt ?? null,
        maxDownloads: args.maxDownloads ?? null,
      }),
  }),
  revokeShareLink: t.field({
    type: ShareLinkType,
    authScopes: { permission: "files:write" },
    extensions: auditTarget("id"),
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, { id }, ctx) => ctx.services.shares.revoke(String(id)),
  }),
}));

builder.subscriptionFields((t) => ({
  fileEvents: t.field({
    type: FileEventType,
    description:
      'Changes in folder ("" for the top folder; every folder when null) from now on: files added, moved, renamed and deleted, folders, and the progress of resumable uploads.',
    authScopes: { permission: "files:read" },
    extensions: auditTarget("folder"),
    args: { folder: t.arg.string() },
    subscribe: (_root, { folder }, ctx) => ctx.services.fileChanges.watch(folder ?? null),
    resolve: (change) => change,
  }),
}));
