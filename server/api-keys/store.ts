// The only SQL of API keys.
import type { Database } from "bun:sqlite";
import type { Role } from "../auth/roles";

export interface ApiKey {
  id: string;
  userId: string;
  name: string;
  prefix: string;
  scopes: string[];
  createdAt: Date;
  expiresAt: Date | null;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
}

/** A key found by its secret, with what is needed to decide whether it may be used. */
export interface ApiKeyState {
  key: ApiKey;
  ownerUsername: string;
  ownerRole: Role;
  ownerDisabled: boolean;
}

/** Where a page of keys (newest first) ends: the next page starts after this key. */
export interface ApiKeyPosition {
  createdAtMs: number;
  id: string;
}

export interface NewApiKey {
  id: string;
  userId: string;
  name: string;
  prefix: string;
  secretHash: string;
  scopes: string[];
  nowMs: number;
  expiresAtMs: number | null;
}

interface ApiKeyRow {
  id: string;
  user_id: string;
  name: string;
  prefix: string;
  scopes: string;
  created_at: number;
  expires_at: number | null;
  last_used_at: number | null;
  revoked_at: number | null;
}

const COLUMNS = "k.id, k.user_id, k.name, k.prefix, k.scopes, k.created_at, k.expires_at, k.last_used_at, k.revoked_at";
const toDate = (ms: number | null) => (ms === null ? null : new Date(ms));

function toApiKey(row: ApiKeyRow): ApiKey {
  return {
    id: row.id,
    userId: row.user_id,
    name: row.name,
    prefix: row.prefix,
    scopes: JSON.parse(row.scopes),
    createdAt: new Date(row.created_at),
    expiresAt: toDate(row.expires_at),
    lastUsedAt: toDate(row.last_used_at),
    revokedAt: toDate(row.revoked_at),
  };
}

function toState(row: (ApiKeyRow & { username: string; role: Role; disabled: number }) | null): ApiKeyState | null {
  return row ? { key: toApiKey(row), ownerUsername: row.username, ownerRole: row.role, ownerDisabled: row.disabled !== 0 } : null;
}

export function createApiKeyStore(db: Database) {
  const insert = db.query(
    "INSERT INTO api_keys (id, user_id, name, prefix, secret_hash, scopes, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
  );
  const byHash = db.query<ApiKeyRow & { username: string; role: Role; disabled: number }, [string]>(
    `SELECT ${COLUMNS}, u.username, u.role, u.disabled FROM api_keys k JOIN users u ON u.id = k.user_id WHERE k.secret_hash = ?`,
  );
  const stateById = db.query<ApiKeyRow & { username: string; role: Role; disabled: number }, [string]>(
    `SELECT ${COLUMNS}, u.username, u.role, u.disabled FROM api_keys k JOIN users u ON u.id = k.user_id WHERE k.id = ?`,
  );
  // Newest first; a page continues after the key (created_at, id) that ended the previous one.
  const pageOfUser = db.query<ApiKeyRow, [string, number, string, number]>(
    `SELECT ${COLUMNS} FROM api_keys k WHERE k.user_id = ?1 AND (k.created_at < ?2 OR (k.created_at = ?2 AND k.id < ?3))
     ORDER BY k.created_at DESC, k.id DESC LIMIT ?4`,
  );
  const pageOfAll = db.query<ApiKeyRow, [number, string, number]>(
    `SELECT ${COLUMNS} FROM api_keys k WHERE k.created_at < ?1 OR (k.created_at = ?1 AND k.id < ?2)
     ORDER BY k.created_at DESC, k.id DESC LIMIT ?3`,
  );
  const countActive = db.query<{ n: number }, [string, number]>(
    "SELECT COUNT(*) AS n FROM api_keys WHERE user_id = ? AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > ?)",
  );
  const revoke = db.query("UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL");
  const revokeOfUser = db.query("UPDATE api_keys SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL");
  const touch = db.query("UPDATE api_keys SET last_used_at = ? WHERE id = ? AND (last_used_at IS NULL OR last_used_at < ?)");

  function insertKey(key: NewApiKey) {
    insert.run(key.id, key.userId, key.name, key.prefix, key.secretHash, JSON.stringify(key.scopes), key.nowMs, key.expiresAtMs);
  }

  return {
    /** Inserts `key` unless its owner already has `maxActive` keys that are neither revoked nor expired; false then. */
    insertWithinCap(key: NewApiKey, maxActive: number): boolean {
      return db.transaction(() => {
        if ((countActive.get(key.userId, key.nowMs)?.n ?? 0) >= maxActive) return false;
        insertKey(key);
        return true;
      })();
    },
    stateBySecretHash: (secretHash: string): ApiKeyState | null => toState(byHash.get(secretHash)),
    stateById: (id: string): ApiKeyState | null => toState(stateById.get(id)),
    /** Up to `limit` keys, newest first, after the position `after` (null: from the newest); of one user, or of everyone. */
    page({ userId, after, limit }: { userId: string | null; after: ApiKeyPosition | null; limit: number }): ApiKey[] {
      const from = after ?? { createdAtMs: Number.MAX_SAFE_INTEGER, id: "" };
      const rows =
        userId === null ? pageOfAll.all(from.createdAtMs, from.id, limit) : pageOfUser.all(userId, from.createdAtMs, from.id, limit);
      return rows.map(toApiKey);
    },
    revoke: (id: string, nowMs: number) => revoke.run(nowMs, id).changes > 0,
    /** Revokes every key of the user not revoked yet; returns how many. */
    revokeAllOfUser: (userId: string, nowMs: number) => revokeOfUser.run(nowMs, userId).changes,
    touch: (id: string, atMs: number) => touch.run(atMs, id, atMs),
  };
}

export type ApiKeyStore = ReturnType<typeof createApiKeyStore>;
