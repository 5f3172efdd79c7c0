// The only SQL of the file store: prepared statements for folders, files, unfinished uploads and
// share links; rows to models.
import type { Database } from "bun:sqlite";

export interface FileEntry {
  id: string;
  folder: string;
  name: string;
  sizeBytes: number;
  mimeType: string;
  sha256: string;
  /** The uploader's user id and name; null once that user was deleted. */
  uploadedBy: string | null;
  uploaderName: string | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface FolderEntry {
  path: string;
  name: string;
  parent: string;
  createdAt: Date;
}

export interface UploadRow {
  id: string;
  userId: string;
  folder: string;
  name: string;
  /** Null while the length is deferred (tus Upload-Defer-Length). */
  lengthBytes: number | null;
  createdAt: Date;
  expiresAt: Date;
}

export interface ShareLinkRow {
  id: string;
  fileId: string;
  createdBy: string;
  createdAt: Date;
  expiresAt: Date | null;
  maxDownloads: number | null;
  downloads: number;
  revokedAt: Date | null;
}

/** The orders a listing can take: the column it sorts by and the direction. */
export const FILE_ORDERS = {
  NAME: { column: "name", collate: " COLLATE NOCASE", descending: false },
  NEWEST: { column: "created_at", collate: "", descending: true },
  OLDEST: { column: "created_at", collate: "", descending: false },
  LARGEST: { column: "size_bytes", collate: "", descending: true },
  SMALLEST: { column: "size_bytes", collate: "", descending: false },
} as const;
export type FileOrder = keyof typeof FILE_ORDERS;

/** Where a page starts: after the row with this sort value and id. */
export interface FileCursor {
  value: string | number;
  id: string;
}

interface FileRow {
  id: string;
  folder: string;
  name: string;
  size_bytes: number;
  mime_type: string;
  sha256: string;
  uploaded_by: string | null;
  uploader_name: string | null;
  created_at: number;
  updated_at: number;
}

const FILE_COLUMNS = "id, folder, name, size_bytes, mime_type, sha256, uploaded_by, created_at, updated_at";
// The uploader's name comes along; the join is by primary key.
const SELECT_FILES = `SELECT ${FILE_COLUMNS.split(", ")
  .map((c) => `f.${c}`)
  .join(", ")}, u.username AS uploader_name FROM files f LEFT JOIN users u ON u.id = f.uploaded_by`;

const toFile = (row: FileRow): FileEntry => ({
  id: row.id,
  folder: row.folder,
  name: row.name,
  sizeBytes: row.size_bytes,
  mimeType: row.mime_type,
  sha256: row.sha256,
  uploadedBy: row.uploaded_by,
  uploaderName: row.uploader_name,
  createdAt: new Date(row.created_at),
  updatedAt: new Date(row.updated_at),
});

/** The sort value of `file` under `order`, for its cursor. */
export function sortValueOf(file: FileEntry, order: FileOrder): string | number {
  const { column } = FILE_ORDERS[order];
  return column === "name" ? file.name : column === "created_at" ? file.createdAt.getTime() : file.sizeBytes;
}

/** A LIKE pattern matching names that contain `text` (its own % and _ taken literally). */
const containsPattern = (text: string) => `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

/** Rows under folder `path` (not the folder itself): paths between "path/" and "path0" ('0' follows '/'). */
const BELOW = (column: string) => `(${column} > ?1 || '/' AND ${column} < ?1 || '0')`;

export function createFilesStore(db: Database) {
  const getFile = db.query<FileRow, [string]>(`${SELECT_FILES} WHERE f.id = ?`);
  const nameTaken = db.query<{ taken: number }, [string, string]>(
    "SELECT EXISTS (SELECT 1 FROM files WHERE folder = ?1 AND name = ?2) OR EXISTS (SELECT 1 FROM file_folders WHERE parent = ?1 AND name = ?2) AS taken",
  );
  const insertFile = db.query(`INSERT INTO files (${FILE_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8)`);
  const relocate = db.query("UPDATE files SET folder = ?2, name = ?3, updated_at = ?4 WHERE id = ?1");
  const deleteFile = db.query("DELETE FROM files WHERE id = ?");
  const deleteFilesUnder = db.query<{ id: string }, [string]>(`DELETE FROM files WHERE folder = ?1 OR ${BELOW("folder")} RETURNING id`);
  const allFileIds = db.query<{ id: string }, []>("SELECT id FROM files");
  const usage = db.query<{ files: number; bytes: number }, [string]>("SELECT files, bytes FROM file_usage WHERE owner = ?");
  const usageByOwner = db.query<{ owner: string; username: string | null; files: number; bytes: number }, [number]>(
    `SELECT owner, username, files, bytes FROM file_usage LEFT JOIN users ON users.id = owner
     WHERE owner <> '*' AND files > 0 ORDER BY bytes DESC LIMIT ?`,
  );

  const folderExists = db.query<{ path: string }, [string]>("SELECT path FROM file_folders WHERE path = ?");
  const insertFolder = db.query<{ path: string }, [string, string, string, string | null, number]>(
    "INSERT INTO file_folders (path, parent, name, created_by, created_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING RETURNING path",
  );
  const childFolders = db.query<{ path: string; name: string; parent: string; created_at: number }, [string, number]>(
    "SELECT path, name, parent, created_at FROM file_folders WHERE parent = ? ORDER BY name COLLATE NOCASE, path LIMIT ?",
  );
  const countFolders = db.query<{ n: number }, []>("SELECT COUNT(*) AS n FROM file_folders WHERE path <> ''");
  const deleteFoldersUnder = db.query<{ path: string }, [string]>(
    `DELETE FROM file_folders WHERE path = ?1 OR ${BELOW("path")} RETURNING path`,
  );

  const upload = (row: {
    id: string;
    user_id: string;
    folder: string;
    name: string;
    length_bytes: number | null;
    created_at: number;
    expires_at: number;
  }): UploadRow => ({
    id: row.id,
    userId: row.user_id,
    folder: row.folder,
    name: row.name,
    lengthBytes: row.length_bytes,
    createdAt: new Date(row.created_at),
    expiresAt: new Date(row.expires_at),
  });
  type RawUpload = Parameters<typeof upload>[0];
  const UPLOAD_COLUMNS = "id, user_id, folder, name, length_bytes, created_at, expires_at";
  const insertUpload = db.query<RawUpload, [string, string, string, string, number | null, number, number]>(
    `INSERT INTO file_uploads (${UPLOAD_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING ${UPLOAD_COLUMNS}`,
  );
  const getUpload = db.query<RawUpload, [string]>(`SELECT ${UPLOAD_COLUMNS} FROM file_uploads WHERE id = ?`);
  const allUploads = db.query<RawUpload, []>(`SELECT ${UPLOAD_COLUMNS} FROM file_uploads`);
  const countUploads = db.query<{ n: number }, []>("SELECT count(*) AS n FROM file_uploads");
  const uploadsOf = db.query<RawUpload, [string]>(`SELECT ${UPLOAD_COLUMNS} FROM file_uploads WHERE user_id = ? ORDER BY created_at`);
  const setUploadLength = db.query("UPDATE file_uploads SET length_bytes = ? WHERE id = ?");
  const extendUpload = db.query("UPDATE file_uploads SET expires_at = ? WHERE id = ?");
  const deleteUpload = db.query<{ id: string }, [string]>("DELETE FROM file_uploads WHERE id = ? RETURNING id");
  const expiredUploads = db.query<RawUpload, [number, number]>(
    `SELECT ${UPLOAD_COLUMNS} FROM file_uploads WHERE expires_at <= ? ORDER BY expires_at LIMIT ?`,
  );

  type RawShare = {
    id: string;
    file_id: string;
    created_by: string;
    created_at: number;
    expires_at: number | null;
    max_downloads: number | null;
    downloads: number;
    revoked_at: number | null;
  };
  const share = (row: RawShare): ShareLinkRow => ({
    id: row.id,
    fileId: row.file_id,
    createdBy: row.created_by,
    createdAt: new Date(row.created_at),
    expiresAt: row.expires_at === null ? null : new Date(row.expires_at),
    maxDownloads: row.max_downloads,
    downloads: row.downloads,
    revokedAt: row.revoked_at === null ? null : new Date(row.revoked_at),
  });
  const SHARE_COLUMNS = "id, file_id, created_by, created_at, expires_at, max_downloads, downloads, revoked_at";
  const insertShare = db.query<RawShare, [string, string, string, string, number, number | null, number | null]>(
    `INSERT INTO file_share_links (id, file_id, token_hash, created_by, created_at, expires_at, max_downloads)
     VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING ${SHARE_COLUMNS}`,
  );
  const sharesOf = db.query<RawShare, [string]>(
    `SELECT ${SHARE_COLUMNS} FROM file_share_links WHERE file_id = ? ORDER BY created_at DESC, id`,
  );
  const getShare = db.query<RawShare, [string]>(`SELECT ${SHARE_COLUMNS} FROM file_share_links WHERE id = ?`);
  const countShares = db.query<{ n: number }, [string]>(
    "SELECT COUNT(*) AS n FROM file_share_links WHERE file_id = ? AND revoked_at IS NULL",
  );
  const revokeShare = db.query<RawShare, [string, number]>(
    `UPDATE file_share_links SET revoked_at = COALESCE(revoked_at, ?2) WHERE id = ?1 RETURNING ${SHARE_COLUMNS}`,
  );
  // One statement, so two downloads at once cannot both take the last allowed one.
  const takeShareDownload = db.query<RawShare, [string, number]>(
    `UPDATE file_share_links SET downloads = downloads + 1
     WHERE token_hash = ?1 AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > ?2)
       AND (max_downloads IS NULL OR downloads < max_downloads)
     RETURNING ${SHARE_COLUMNS}`,
  );
  const peekShare = db.query<RawShare, [string, number]>(
    `SELECT ${SHARE_COLUMNS} FROM file_share_links
     WHERE token_hash = ?1 AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > ?2)
       AND (max_downloads IS NULL OR downloads < max_downloads)`,
  );

  const fileById = (id: string): FileEntry | null => {
    const row = getFile.get(id);
    return row ? toFile(row) : null;
  };

  return {
    getFile: fileById,
    /** True when `folder` holds a file or a subfolder called `name`. */
    nameTaken: (folder: string, name: string) => nameTaken.get(folder, name)?.taken === 1,
    insertFile(file: Omit<FileEntry, "createdAt" | "updatedAt" | "uploaderName">, atMs: number): FileEntry {
      const { id, folder, name, sizeBytes, mimeType, sha256, uploadedBy } = file;
      insertFile.run(id, folder, name, sizeBytes, mimeType, sha256, uploadedBy, atMs);
      return fileById(id) as FileEntry;
    },
    relocateFile(id: string, folder: string, name: string, atMs: number): FileEntry | null {
      return relocate.run(id, folder, name, atMs).changes ? fileById(id) : null;
    },
    /** Deletes the row; true when there was one. */
    deleteFile: (id: string) => deleteFile.run(id).changes > 0,
    /** Deletes every file in `folder` and below; returns their ids. */
    deleteFilesUnder: (folder: string): string[] => deleteFilesUnder.all(folder).map((r) => r.id),
    *allFileIds(): Generator<string> {
      for (const row of allFileIds.iterate()) yield row.id;
    },
    /**
     * Files in `folder` (every folder when null) whose names contain `search`, in `order`, after
     * `after`, at most `limit`.
     */
    listFiles(options: {
      folder: string | null;
      search: string | null;
      order: FileOrder;
      after: FileCursor | null;
      limit: number;
    }): FileEntry[] {
      const { column, collate, descending } = FILE_ORDERS[options.order];
      const where: string[] = [];
      const params: (string | number)[] = [];
      if (options.folder !== null) {
        where.push("f.folder = ?");
        params.push(options.folder);
      }
      if (options.search) {
        where.push("f.name LIKE ? ESCAPE '\\'");
        params.push(containsPattern(options.search));
      }
      if (options.after) {
        where.push(`(f.${column}${collate}, f.id) ${descending ? "<" : ">"} (?, ?)`);
        params.push(options.after.value, options.after.id);
      }
      const direction = descending ? "DESC" : "ASC";
      const sql = `${SELECT_FILES} ${where.length ? `WHERE ${where.join(" AND ")}` : ""}
        ORDER BY f.${column}${collate} ${direction}, f.id ${direction} LIMIT ?`;
      // db.query caches the statement by its text: there are few distinct texts.
      return db
        .query<FileRow, (string | number)[]>(sql)
        .all(...params, options.limit)
        .map(toFile);
    },
    /** Stored files and bytes: of everyone (`*`) or of one uploader. */
    usage: (owner: string) => usage.get(owner) ?? { files: 0, bytes: 0 },
    /** Stored files and bytes of the `limit` uploaders who store most, largest first. */
    usageByOwner: (limit: number) =>
      usageByOwner.all(limit).map((r) => ({ userId: r.owner, username: r.username, files: r.files, bytes: r.bytes })),

    folderExists: (path: string) => folderExists.get(path) !== null,
    /** Creates the folder if it does not exist; true when it was created. */
    insertFolder: (path: string, parent: string, name: string, createdBy: string | null, atMs: number) =>
      insertFolder.get(path, parent, name, createdBy, atMs) !== null,
    childFolders: (parent: string, limit: number): FolderEntry[] =>
      childFolders.all(parent, limit).map((r) => ({ path: r.path, name: r.name, parent: r.parent, createdAt: new Date(r.created_at) })),
    countFolders: () => countFolders.get()?.n ?? 0,
    /** Deletes the folder and every folder below it; returns their paths. */
    deleteFoldersUnder: (path: string): string[] => deleteFoldersUnder.all(path).map((r) => r.path),

    insertUpload(row: Omit<UploadRow, "createdAt" | "expiresAt">, atMs: number, expiresAtMs: number): UploadRow {
      return upload(insertUpload.get(row.id, row.userId, row.folder, row.name, row.lengthBytes, atMs, expiresAtMs) as RawUpload);
    },
    getUpload(id: string): UploadRow | null {
      const row = getUpload.get(id);
      return row ? upload(row) : null;
    },
    allUploads: () => allUploads.all().map(upload),
    /** Resumable uploads started and not yet complete, aborted or expired. */
    unfinishedUploads: () => countUploads.get()?.n ?? 0,
    uploadsOf: (userId: string) => uploadsOf.all(userId).map(upload),
    setUploadLength: (id: string, lengthBytes: number) => void setUploadLength.run(lengthBytes, id),
    extendUpload: (id: string, expiresAtMs: number) => void extendUpload.run(expiresAtMs, id),
    deleteUpload: (id: string) => deleteUpload.get(id) !== null,
    expiredUploads: (nowMs: number, limit: number) => expiredUploads.all(nowMs, limit).map(upload),

    insertShareLink(
      link: { id: string; fileId: string; tokenHash: string; createdBy: string; expiresAtMs: number | null; maxDownloads: number | null },
      atMs: number,
    ): ShareLinkRow {
      const { id, fileId, tokenHash, createdBy, expiresAtMs, maxDownloads } = link;
      return share(insertShare.get(id, fileId, tokenHash, createdBy, atMs, expiresAtMs, maxDownloads) as RawShare);
    },
    shareLinksOf: (fileId: string) => sharesOf.all(fileId).map(share),
    getShareLink(id: string): ShareLinkRow | null {
      const row = getShare.get(id);
      return row ? share(row) : null;
    },
    countActiveShareLinks: (fileId: string) => countShares.get(fileId)?.n ?? 0,
    revokeShareLink(id: string, atMs: number): ShareLinkRow | null {
      const row = revokeShare.get(id, atMs);
      return row ? share(row) : null;
    },
    /** Counts one download through the link with this token hash, if it is still usable; null when it is not. */
    takeShareDownload(tokenHash: string, nowMs: number): ShareLinkRow | null {
      const row = takeShareDownload.get(tokenHash, nowMs);
      return row ? share(row) : null;
    },
    /** The link with this token hash if it is still usable, without counting a download. */
    usableShareLink(tokenHash: string, nowMs: number): ShareLinkRow | null {
      const row = peekShare.get(tokenHash, nowMs);
      return row ? share(row) : null;
    },
  };
}

export type FilesStore = ReturnType<typeof createFilesStore>;
