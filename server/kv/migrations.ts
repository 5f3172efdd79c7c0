// Tables of the key-value store.
import type { Migration } from "../db";

export const kvMigrations: Migration[] = [
  {
    id: "kv-001-entries",
    sql: `
      CREATE TABLE kv_entries (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL,
        version INTEGER NOT NULL,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        expires_at INTEGER
      ) WITHOUT ROWID;
      CREATE INDEX kv_entries_expires_at ON kv_entries (expires_at) WHERE expires_at IS NOT NULL;
    `,
  },
  {
    // The last version of deleted and expired keys, so a re-created key continues its numbering
    // and a compare-and-set holding an old version cannot succeed by accident. Kept for a week.
    id: "kv-002-tombstones",
    sql: `
      CREATE TABLE kv_tombstones (
        key TEXT PRIMARY KEY,
        version INTEGER NOT NULL,
        deleted_at INTEGER NOT NULL
      ) WITHOUT ROWID;
      CREATE INDEX kv_tombstones_deleted_at ON kv_tombstones (deleted_at);
    `,
  },
];
