// The only SQL of the key-value store: prepared statements, rows to models.
import type { Database } from "bun:sqlite";

export interface KvEntry {
  key: string;
  value: unknown;
  version: number;
  createdAt: Date;
  updatedAt: Date;
  expiresAt: Date | null;
}

interface KvRow {
  key: string;
  value: string;
  version: number;
  created_at: number;
  updated_at: number;
  expires_at: number | null;
}

const COLUMNS = "key, value, version, created_at, updated_at, expires_at";

function toEntry(row: KvRow): KvEntry {
  return {
    key: row.key,
    value: JSON.parse(row.value),
    version: row.version,
    createdAt: new Date(row.created_at),
    updatedAt: new Date(row.updated_at),
    expiresAt: row.expires_at === null ? null : new Date(row.expires_at),
  };
}

export function createKvStore(db: Database) {
  const getLive = db.query<KvRow, [string, number]>(
    `SELECT ${COLUMNS} FROM kv_entries WHERE key = ? AND (expires_at IS NULL OR expires_at > ?)`,
  );
  const getAny = db.query<KvRow, [string]>(`SELECT ${COLUMNS} FROM kv_entries WHERE key = ?`);
  const listRange = db.query<KvRow, [string, string, string | null, string | null, number, number]>(
    `SELECT ${COLUMNS} FROM kv_entries
     WHERE key >= ?1 AND key > ?2 AND (?3 IS NULL OR key < ?4) AND (expires_at IS NULL OR expires_at > ?5)
     ORDER BY key LIMIT ?6`,
  );
  const upsert = db.query<KvRow, [string, string, number, number | null]>(
    `INSERT INTO kv_entries (key, value, version, created_at, updated_at, expires_at) VALUES (?1, ?2, 1, ?3, ?3, ?4)
     ON CONFLICT (key) DO UPDATE SET value = ?2, version = version + 1, updated_at = ?3, expires_at = ?4
     RETURNING ${COLUMNS}`,
  );
  const remove = db.query<{ version: number }, [string]>("DELETE FROM kv_entries WHERE key = ? RETURNING version");
  const purge = db.query<{ key: string; version: number }, [number, number]>(
    `DELETE FROM kv_entries WHERE key IN (SELECT key FROM kv_entries WHERE expires_at <= ?1 LIMIT ?2) RETURNING key, version`,
  );
  const nextExpiry = db.query<{ at: number | null }, []>("SELECT MIN(expires_at) AS at FROM kv_entries WHERE expires_at IS NOT NULL");

  return {
    /** The entry unless it is missing or expired at `nowMs`. */
    get(key: string, nowMs: number): KvEntry | null {
      const row = getLive.get(key, nowMs);
      return row ? toEntry(row) : null;
    },
    /** The stored row even if expired, with its raw expiry, for write rules. */
    getStored(key: string): KvEntry | null {
      const row = getAny.get(key);
      return row ? toEntry(row) : null;
    },
    /** Live entries with `from <= key < to` and `key > after`, in key order. */
    list(range: { from: string; to: string | null; after: string; limit: number }, nowMs: number): KvEntry[] {
      return listRange.all(range.from, range.after, range.to, range.to, nowMs, range.limit).map(toEntry);
    },
    upsert(key: string, valueJson: string, nowMs: number, expiresAtMs: number | null): KvEntry {
      return toEntry(upsert.get(key, valueJson, nowMs, expiresAtMs) as KvRow);
    },
    /** Deletes the row; returns its last version or null when there was none. */
    delete(key: string): number | null {
      return remove.get(key)?.version ?? null;
    },
    purgeExpired(nowMs: number, limit: number): { key: string; version: number }[] {
      return purge.all(nowMs, limit);
    },
    nextExpiryMs(): number | null {
      return nextExpiry.get()?.at ?? null;
    },
  };
}

export type KvStore = ReturnType<typeof createKvStore>;
