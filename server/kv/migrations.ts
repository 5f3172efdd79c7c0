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
  {
    // The running totals the quotas are checked against: one row, kept by triggers in the same
    // transaction as every insert, replacement and delete (purges of expired entries included), so
    // a check never needs to scan the table. Sizes are the UTF-8 bytes of the stored JSON.
    id: "kv-003-usage",
    sql: `
      CREATE TABLE kv_usage (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        keys INTEGER NOT NULL,
        value_bytes INTEGER NOT NULL
      );
      INSERT INTO kv_usage (id, keys, value_bytes)
        SELECT 1, COUNT(*), COALESCE(SUM(octet_length(value)), 0) FROM kv_entries;
      CREATE TRIGGER kv_usage_insert AFTER INSERT ON kv_entries BEGIN
        UPDATE kv_usage SET keys = keys + 1, value_bytes = value_bytes + octet_length(NEW.value) WHERE id = 1;
      END;
      CREATE TRIGGER kv_usage_update AFTER UPDATE OF value ON kv_entries BEGIN
        UPDATE kv_usage SET value_bytes = value_bytes - octet_length(OLD.value) + octet_length(NEW.value) WHERE id = 1;
      END;
      CREATE TRIGGER kv_usage_delete AFTER DELETE ON kv_entries BEGIN
        UPDATE kv_usage SET keys = keys - 1, value_bytes = value_bytes - octet_length(OLD.value) WHERE id = 1;
      END;
    `,
  },
  {
    // Values stored as JSON null: a non-finite number (1e400) was once accepted and written as
    // null, which no read can return (a value is never null). Such an entry is removed, leaving a
    // tombstone so its key continues its numbering when set again.
    id: "kv-004-null-values",
    sql: `
      INSERT OR REPLACE INTO kv_tombstones (key, version, deleted_at)
        SELECT key, version, CAST(unixepoch('subsec') * 1000 AS INTEGER) FROM kv_entries WHERE value = 'null';
      DELETE FROM kv_entries WHERE value = 'null';
    `,
  },
];
