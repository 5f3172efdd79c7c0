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
  const listRange = db.query<KvRow & { value_bytes: number }, [string, string, string | null, string | null, number, number]>(
    `SELECT ${COLUMNS}, octet_length(value) AS value_bytes FROM kv_entries
     WHERE key >= ?1 AND key > ?2 AND (?3 IS NULL OR key < ?4) AND (expires_at IS NULL OR expires_at > ?5)
     ORDER BY key LIMIT ?6`,
  );
  const getAnyMeta = db.query<{ version: number; expires_at: number | null; value_bytes: number }, [string]>(
    "SELECT version, expires_at, octet_length(value) AS value_bytes FROM kv_entries WHERE key = ?",
  );
  const usage = db.query<{ keys: number; value_bytes: number }, []>("SELECT keys, value_bytes FROM kv_usage WHERE id = 1");
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
  const trimTombstones = db.query(
    "DELETE FROM kv_tombstones WHERE key IN (SELECT key FROM kv_tombstones ORDER BY deleted_at DESC LIMIT -1 OFFSET ?)",
  );
  const nextExpiry = db.query<{ at: number | null }, []>("SELECT MIN(expires_at) AS at FROM kv_entries WHERE expires_at IS NOT NULL");

  return {
    /** The entry unless it is missing or expired at `nowMs`. */
    get(key: string, nowMs: number): KvEntry | null {
      const row = getLive.get(key, nowMs);
      return row ? toEntry(row) : null;
    },
    /** The version, raw expiry and value size (UTF-8 bytes of its JSON) of the stored row even if expired, without parsing the value. */
    getStoredMeta(key: string): { version: number; expiresAtMs: number | null; valueBytes: number } | null {
      const row = getAnyMeta.get(key);
      return row ? { version: row.version, expiresAtMs: row.expires_at, valueBytes: row.value_bytes } : null;
    },
    /**
     * Live entries with `from <= key < to` and `key > after`, in key order, one row read at a time
     * (stop early and the rest is never read), each with the size of its value's JSON.
     */
    *scan(
      range: { from: string; to: string | null; after: string; limit: number },
      nowMs: number,
    ): Generator<{ entry: KvEntry; valueBytes: number }> {
      for (const row of listRange.iterate(range.from, range.after, range.to, range.to, nowMs, range.limit))
        yield { entry: toEntry(row), valueBytes: row.value_bytes };
    },
    /** How many keys are stored and the total size of their values (expired ones until purged). */
    usage(): { keys: number; valueBytes: number } {
      const row = usage.get() as { keys: number; value_bytes: number };
      return { keys: row.keys, valueBytes: row.value_bytes };
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
    /** Forgets tombstones older than `beforeMs`, and the oldest beyond the newest `keep`; returns how many. */
    purgeTombstones: (beforeMs: number, keep: number) =>
      db.transaction(() => purgeTombstones.run(beforeMs).changes + trimTombstones.run(keep).changes)(),
    nextExpiryMs(): number | null {
      return nextExpiry.get()?.at ?? null;
    },
  };
}

export type KvStore = ReturnType<typeof createKvStore>;
