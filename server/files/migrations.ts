// Tables of the file store: folders (paths as metadata), files (one row per complete file whose
// bytes live under <data>/files/<id>), unfinished resumable uploads, share links, and running
// usage totals kept by triggers so quota checks never scan.
import type { Migration } from "../db";

export const filesMigrations: Migration[] = [
  {
    id: "files-001-store",
    sql: `
      CREATE TABLE file_folders (
        path TEXT PRIMARY KEY,
        parent TEXT REFERENCES file_folders (path),
        name TEXT NOT NULL,
        created_by TEXT REFERENCES users (id) ON DELETE SET NULL,
        created_at INTEGER NOT NULL,
        CHECK ((path = '') = (parent IS NULL))
      ) WITHOUT ROWID;
      CREATE INDEX file_folders_parent ON file_folders (parent, name COLLATE NOCASE);
      INSERT INTO file_folders (path, parent, name, created_by, created_at) VALUES ('', NULL, '', NULL, 0);

      CREATE TABLE files (
        id TEXT PRIMARY KEY,
        folder TEXT NOT NULL REFERENCES file_folders (path),
        name TEXT NOT NULL,
        size_bytes INTEGER NOT NULL,
        mime_type TEXT NOT NULL,
        sha256 TEXT NOT NULL,
        uploaded_by TEXT REFERENCES users (id) ON DELETE SET NULL,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        UNIQUE (folder, name)
      );
      CREATE INDEX files_folder_name ON files (folder, name COLLATE NOCASE, id);
      CREATE INDEX files_folder_created ON files (folder, created_at, id);
      CREATE INDEX files_folder_size ON files (folder, size_bytes, id);
      CREATE INDEX files_uploaded_by ON files (uploaded_by);

      -- '*' holds the totals; other rows are per uploader.
      CREATE TABLE file_usage (
        owner TEXT PRIMARY KEY,
        files INTEGER NOT NULL,
        bytes INTEGER NOT NULL
      ) WITHOUT ROWID;
      INSERT INTO file_usage (owner, files, bytes) VALUES ('*', 0, 0);
      CREATE TRIGGER file_usage_insert AFTER INSERT ON files BEGIN
        UPDATE file_usage SET files = files + 1, bytes = bytes + NEW.size_bytes WHERE owner = '*';
        INSERT INTO file_usage (owner, files, bytes) SELECT NEW.uploaded_by, 1, NEW.size_bytes WHERE NEW.uploaded_by IS NOT NULL
          ON CONFLICT (owner) DO UPDATE SET files = files + 1, bytes = bytes + NEW.size_bytes;
      END;
      CREATE TRIGGER file_usage_delete AFTER DELETE ON files BEGIN
        UPDATE file_usage SET files = files - 1, bytes = bytes - OLD.size_bytes WHERE owner = '*';
        UPDATE file_usage SET files = files - 1, bytes = bytes - OLD.size_bytes WHERE owner = OLD.uploaded_by;
      END;
      CREATE TRIGGER file_usage_owner AFTER UPDATE OF uploaded_by ON files BEGIN
        UPDATE file_usage SET files = files - 1, bytes = bytes - OLD.size_bytes WHERE owner = OLD.uploaded_by;
        INSERT INTO file_usage (owner, files, bytes) SELECT NEW.uploaded_by, 1, NEW.size_bytes WHERE NEW.uploaded_by IS NOT NULL
          ON CONFLICT (owner) DO UPDATE SET files = files + 1, bytes = bytes + NEW.size_bytes;
      END;

      -- Resumable uploads not yet complete; their bytes are <data>/tmp/uploads/<id>, whose size is the offset.
      CREATE TABLE file_uploads (
        id TEXT PRIMARY KEY,
        user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        folder TEXT NOT NULL,
        name TEXT NOT NULL,
        length_bytes INTEGER,
        created_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL
      );
      CREATE INDEX file_uploads_user ON file_uploads (user_id);
      CREATE INDEX file_uploads_expires ON file_uploads (expires_at);

      CREATE TABLE file_share_links (
        id TEXT PRIMARY KEY,
        file_id TEXT NOT NULL REFERENCES files (id) ON DELETE CASCADE,
        token_hash TEXT NOT NULL UNIQUE,
        created_by TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        created_at INTEGER NOT NULL,
        expires_at INTEGER,
        max_downloads INTEGER,
        downloads INTEGER NOT NULL DEFAULT 0,
        revoked_at INTEGER
      );
      CREATE INDEX file_share_links_file ON file_share_links (file_id);
    `,
  },
];
