// The only SQL of users and sessions.
import type { Database } from "bun:sqlite";
import type { Role } from "./roles";

export interface User {
  id: string;
  username: string;
  role: Role;
  disabled: boolean;
  createdAt: Date;
  updatedAt: Date;
}

interface UserRow {
  id: string;
  username: string;
  role: Role;
  disabled: number;
  created_at: number;
  updated_at: number;
}

export interface SessionState {
  userId: string;
  username: string;
  role: Role;
  userDisabled: boolean;
  expiresAtMs: number;
  revoked: boolean;
}

const USER_COLUMNS = "id, username, role, disabled, created_at, updated_at";

function toUser(row: UserRow): User {
  return {
    id: row.id,
    username: row.username,
    role: row.role,
    disabled: row.disabled !== 0,
    createdAt: new Date(row.created_at),
    updatedAt: new Date(row.updated_at),
  };
}

export function createAuthStore(db: Database) {
  const countUsers = db.query<{ n: number }, []>("SELECT COUNT(*) AS n FROM users");
  const insertUser = db.query("INSERT INTO users (id, username, password_hash, role, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)");
  const userById = db.query<UserRow, [string]>(`SELECT ${USER_COLUMNS} FROM users WHERE id = ?`);
  const credentialsByName = db.query<UserRow & { password_hash: string }, [string]>(
    `SELECT ${USER_COLUMNS}, password_hash FROM users WHERE username = ?`,
  );
  const insertSession = db.query(
    "INSERT INTO sessions (id, user_id, created_at, last_used_at, expires_at, user_agent, ip) VALUES (?, ?, ?, ?, ?, ?, ?)",
  );
  const sessionState = db.query<
    { user_id: string; username: string; role: Role; disabled: number; expires_at: number; revoked_at: number | null },
    [string]
  >(
    `SELECT s.user_id, u.username, u.role, u.disabled, s.expires_at, s.revoked_at
     FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.id = ?`,
  );
  const touchSession = db.query("UPDATE sessions SET last_used_at = ? WHERE id = ?");
  const revokeSession = db.query("UPDATE sessions SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL");
  const insertRefresh = db.query("INSERT INTO refresh_tokens (token_hash, session_id, created_at) VALUES (?, ?, ?)");
  const refreshByHash = db.query<{ session_id: string; used_at: number | null }, [string]>(
    "SELECT session_id, used_at FROM refresh_tokens WHERE token_hash = ?",
  );
  const markRefreshUsed = db.query("UPDATE refresh_tokens SET used_at = ? WHERE token_hash = ? AND used_at IS NULL");
  const deleteExpiredSessions = db.query("DELETE FROM sessions WHERE expires_at < ?");

  return {
    countUsers: () => countUsers.get()?.n ?? 0,
    insertUser(user: { id: string; username: string; passwordHash: string; role: Role }, nowMs: number) {
      insertUser.run(user.id, user.username, user.passwordHash, user.role, nowMs, nowMs);
    },
    userById(id: string): User | null {
      const row = userById.get(id);
      return row ? toUser(row) : null;
    },
    credentialsByName(username: string): { user: User; passwordHash: string } | null {
      const row = credentialsByName.get(username);
      return row ? { user: toUser(row), passwordHash: row.password_hash } : null;
    },
    insertSession(s: { id: string; userId: string; nowMs: number; expiresAtMs: number; userAgent: string | null; ip: string | null }) {
      insertSession.run(s.id, s.userId, s.nowMs, s.nowMs, s.expiresAtMs, s.userAgent, s.ip);
    },
    sessionState(sessionId: string): SessionState | null {
      const row = sessionState.get(sessionId);
      if (!row) return null;
      return {
        userId: row.user_id,
        username: row.username,
        role: row.role,
        userDisabled: row.disabled !== 0,
        expiresAtMs: row.expires_at,
        revoked: row.revoked_at !== null,
      };
    },
    touchSession: (sessionId: string, nowMs: number) => touchSession.run(nowMs, sessionId),
    /** Returns true when the session was active and is now revoked. */
    revokeSession: (sessionId: string, nowMs: number) => revokeSession.run(nowMs, sessionId).changes > 0,
    insertRefreshToken: (tokenHash: string, sessionId: string, nowMs: number) => insertRefresh.run(tokenHash, sessionId, nowMs),
    refreshToken: (tokenHash: string) => refreshByHash.get(tokenHash),
    /** Returns false when the token had already been used (a reuse). */
    markRefreshTokenUsed: (tokenHash: string, nowMs: number) => markRefreshUsed.run(nowMs, tokenHash).changes > 0,
    deleteExpiredSessions: (nowMs: number) => deleteExpiredSessions.run(nowMs).changes,
    transaction<T>(fn: () => T): T {
      return db.transaction(fn)();
    },
  };
}

export type AuthStore = ReturnType<typeof createAuthStore>;
