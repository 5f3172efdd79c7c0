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
  // A new key continues after its tombstone's version, if it had one.
  const upsert = db.query<KvRow, [string, string, number, number | null]>(
    `INSERT INTO kv_entries (key, value, version, created_at, updated_at, expires_at)
     VALUES (?1, ?2, COALESCE((SELECT version FROM kv_tombstones WHERE key = ?1), 0) + 1, ?3, ?3, ?4)
     ON CONFLICT (key) DO UPDATE SET value = ?2, version = version + 1, updated_at = ?3, expires_at = ?4
     RETURNING ${COLUMNS}`,
  );
  const dropTombstone = db.query("DELETE FROM kv_tombstones WHERE key = ?");
  const remove = db.query<{ version: number }, [string]>("DELETE FROM kv_entries WHERE key = ? RETURNING version");
  const purge = db.query<{ key: string; version: number }, [number, number]>(
    `DELETE FROM kv_entries WHERE key IN (SELECT key FROM kv_entries WHERE expires_at <= ?1 LIMIT ?2) RETURNING key, version`,
  );
  const bury = db.query("INSERT OR REPLACE INTO kv_tombstones (key, version, deleted_at) VALUES (?, ?, ?)");
  const purgeTombstones = db.query("DELETE FROM kv_tombstones WHERE deleted_at < ?");
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
    /** Creates (continuing a tombstone's numbering) or replaces an entry. Run inside a transaction. */
    upsert(key: string, valueJson: string, nowMs: number, expiresAtMs: number | null): KvEntry {
      const entry = toEntry(upsert.get(key, valueJson, nowMs, expiresAtMs) as KvRow);
      dropTombstone.run(key);
      return entry;
    },
    /** Deletes the row, leaving a tombstone; returns its last version or null when there was none. Run inside a transaction. */
    delete(key: string, nowMs: number): number | null {
      const version = remove.get(key)?.version ?? null;
      if (version !== null) bury.run(key, version, nowMs);
      return version;
    },
    /** Deletes up to `limit` expired entries, leaving tombstones, in one transaction. */
    purgeExpired(nowMs: number, limit: number): { key: string; version: number }[] {
      return db.transaction(() => {
        const purged = purge.all(nowMs, limit);
        for (const { key, version } of purged) bury.run(key, version, nowMs);
        return purged;
      })();
    },
    /** Forgets tombstones older than `beforeMs`. */
    purgeTombstones: (beforeMs: number) => purgeTombstones.run(beforeMs).changes,
    nextExpiryMs(): number | null {
      return nextExpiry.get()?.at ?? null;
    },
  };
}

export type KvStore = ReturnType<typeof createKvStore>;
