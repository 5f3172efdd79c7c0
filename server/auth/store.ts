// The only SQL of users, sessions, refresh tokens and two-factor recovery codes. TOTP secrets are
// stored sealed (AES-256-GCM, server/sealing.ts, bound to their user) and handed out opened: callers
// only see base32. Base32 never contains `:`, so a secret an older version stored in clear is never
// mistaken for a sealed one (`v1:...`).
import type { Database } from "bun:sqlite";
import { rewriteLeavingNoCopy } from "../db";
import { isSealed, open, seal } from "../sealing";
import type { SessionEndReason } from "./credential-end";
import type { Role } from "./roles";

export interface User {
  id: string;
  username: string;
  role: Role;
  disabled: boolean;
  totpEnabled: boolean;
  createdAt: Date;
  updatedAt: Date;
}

export interface Credentials {
  user: User;
  passwordHash: string;
  totpSecret: string | null;
  totpPendingSecret: string | null;
  totpLastStep: number;
}

export interface Session {
  id: string;
  userId: string;
  createdAt: Date;
  lastUsedAt: Date;
  expiresAt: Date;
  ip: string | null;
  userAgent: string | null;
}

export interface SessionState {
  userId: string;
  username: string;
  role: Role;
  userDisabled: boolean;
  expiresAtMs: number;
  revoked: boolean;
  /** Why it was revoked; null while it is not, or when it was revoked before reasons were recorded. */
  endReason: SessionEndReason | null;
}

interface UserRow {
  id: string;
  username: string;
  role: Role;
  disabled: number;
  totp_secret: string | null;
  created_at: number;
  updated_at: number;
}

interface SessionRow {
  id: string;
  user_id: string;
  created_at: number;
  last_used_at: number;
  expires_at: number;
  ip: string | null;
  user_agent: string | null;
}

type CredentialsRow = UserRow & { password_hash: string; totp_pending_secret: string | null; totp_last_step: number };

const USER_COLUMNS = "id, username, role, disabled, totp_secret, created_at, updated_at";

function toUser(row: UserRow): User {
  return {
    id: row.id,
    username: row.username,
    role: row.role,
    disabled: row.disabled !== 0,
    totpEnabled: row.totp_secret !== null,
    createdAt: new Date(row.created_at),
    updatedAt: new Date(row.updated_at),
  };
}

function toSession(row: SessionRow): Session {
  return {
    id: row.id,
    userId: row.user_id,
    createdAt: new Date(row.created_at),
    lastUsedAt: new Date(row.last_used_at),
    expiresAt: new Date(row.expires_at),
    ip: row.ip,
    userAgent: row.user_agent,
  };
}

export interface AuthStoreOptions {
  /** The key TOTP secrets are sealed with (32 bytes); a store without it cannot read or write them. */
  totpSecretKey?: Uint8Array;
}

export function createAuthStore(db: Database, { totpSecretKey }: AuthStoreOptions = {}) {
  const countUsers = db.query<{ n: number }, []>("SELECT COUNT(*) AS n FROM users");
  const countActiveAdmins = db.query<{ n: number }, []>("SELECT COUNT(*) AS n FROM users WHERE role = 'admin' AND disabled = 0");
  const insertUser = db.query("INSERT INTO users (id, username, password_hash, role, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)");
  const allUsers = db.query<UserRow, []>(`SELECT ${USER_COLUMNS} FROM users ORDER BY username`);
  const userById = db.query<UserRow, [string]>(`SELECT ${USER_COLUMNS} FROM users WHERE id = ?`);
  const credentialsWhere = (column: "username" | "id") =>
    db.query<CredentialsRow, [string]>(
      `SELECT ${USER_COLUMNS}, password_hash, totp_pending_secret, totp_last_step FROM users WHERE ${column} = ?`,
    );
  const credentials = credentialsWhere("username");
  const credentialsById = credentialsWhere("id");
  const setRole = db.query("UPDATE users SET role = ?, updated_at = ? WHERE id = ?");
  const setDisabled = db.query("UPDATE users SET disabled = ?, updated_at = ? WHERE id = ?");
  const setPassword = db.query("UPDATE users SET password_hash = ?, updated_at = ? WHERE id = ?");
  const replacePassword = db.query("UPDATE users SET password_hash = ? WHERE id = ? AND password_hash = ?");
  const deleteUser = db.query("DELETE FROM users WHERE id = ?");
  const setPendingTotp = db.query("UPDATE users SET totp_pending_secret = ?, updated_at = ? WHERE id = ?");
  const enableTotp = db.query(
    "UPDATE users SET totp_secret = totp_pending_secret, totp_pending_secret = NULL, totp_last_step = ?, updated_at = ? WHERE id = ?",
  );
  const disableTotp = db.query(
    "UPDATE users SET totp_secret = NULL, totp_pending_secret = NULL, totp_last_step = -1, updated_at = ? WHERE id = ?",
  );
  const clearTotpSecrets = db.query<{ id: string; totp_secret: string | null; totp_pending_secret: string | null }, []>(
    `SELECT id, totp_secret, totp_pending_secret FROM users
     WHERE substr(totp_secret, 1, 3) <> 'v1:' OR substr(totp_pending_secret, 1, 3) <> 'v1:'`,
  );
  const setTotpSecrets = db.query("UPDATE users SET totp_secret = ?, totp_pending_secret = ? WHERE id = ?");
  const setTotpLastStep = db.query("UPDATE users SET totp_last_step = ? WHERE id = ? AND totp_last_step < ?");
  const deleteRecoveryCodes = db.query("DELETE FROM recovery_codes WHERE user_id = ?");
  const insertRecoveryCode = db.query("INSERT INTO recovery_codes (user_id, code_hash) VALUES (?, ?)");
  const useRecoveryCode = db.query("UPDATE recovery_codes SET used_at = ? WHERE user_id = ? AND code_hash = ? AND used_at IS NULL");

  const insertSession = db.query(
    "INSERT INTO sessions (id, user_id, created_at, last_used_at, expires_at, user_agent, ip) VALUES (?, ?, ?, ?, ?, ?, ?)",
  );
  const sessionState = db.query<
    {
      user_id: string;
      username: string;
      role: Role;
      disabled: number;
      expires_at: number;
      revoked_at: number | null;
      end_reason: SessionEndReason | null;
    },
    [string]
  >(
    `SELECT s.user_id, u.username, u.role, u.disabled, s.expires_at, s.revoked_at, s.end_reason
     FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.id = ?`,
  );
  const activeSessions = db.query<SessionRow, [string, number]>(
    `SELECT id, user_id, created_at, last_used_at, expires_at, ip, user_agent FROM sessions
     WHERE user_id = ? AND revoked_at IS NULL AND expires_at > ? ORDER BY last_used_at DESC`,
  );
  const touchSession = db.query("UPDATE sessions SET last_used_at = ? WHERE id = ?");
  const revokeSession = db.query("UPDATE sessions SET revoked_at = ?, end_reason = ? WHERE id = ? AND revoked_at IS NULL");
  const revokeUserSessions = db.query(
    "UPDATE sessions SET revoked_at = ?, end_reason = ? WHERE user_id = ? AND revoked_at IS NULL AND id IS NOT ?",
  );
  const insertRefresh = db.query("INSERT INTO refresh_tokens (token_hash, session_id, created_at) VALUES (?, ?, ?)");
  const refreshByHash = db.query<{ session_id: string; used_at: number | null }, [string]>(
    "SELECT session_id, used_at FROM refresh_tokens WHERE token_hash = ?",
  );
  const markRefreshUsed = db.query("UPDATE refresh_tokens SET used_at = ? WHERE token_hash = ? AND used_at IS NULL");
  const deleteExpiredSessions = db.query("DELETE FROM sessions WHERE expires_at < ?");

  const totpKey = (): Uint8Array => {
    if (!totpSecretKey) throw new Error("This auth store was made without the key for TOTP secrets.");
    return totpSecretKey;
  };
  const sealTotp = (userId: string, secret: string | null) => (secret === null ? null : seal(totpKey(), userId, secret));
  const openTotp = (userId: string, stored: string | null) => {
    if (stored === null) return null;
    try {
      return open(totpKey(), userId, stored);
    } catch (err) {
      throw new Error(`The TOTP secret of user ${userId} does not open; was <data>/secret replaced?`, { cause: err });
    }
  };
  const toCredentials = (row: CredentialsRow | null) =>
    row
      ? {
          user: toUser(row),
          passwordHash: row.password_hash,
          totpSecret: openTotp(row.id, row.totp_secret),
          totpPendingSecret: openTotp(row.id, row.totp_pending_secret),
          totpLastStep: row.totp_last_step,
        }
      : null;

  return {
    countUsers: () => countUsers.get()?.n ?? 0,
    countActiveAdmins: () => countActiveAdmins.get()?.n ?? 0,
    insertUser(user: { id: string; username: string; passwordHash: string; role: Role }, nowMs: number) {
      insertUser.run(user.id, user.username, user.passwordHash, user.role, nowMs, nowMs);
    },
    allUsers: () => allUsers.all().map(toUser),
    userById(id: string): User | null {
      const row = userById.get(id);
      return row ? toUser(row) : null;
    },
    credentialsByName: (username: string): Credentials | null => toCredentials(credentials.get(username)),
    credentialsById: (id: string): Credentials | null => toCredentials(credentialsById.get(id)),
    setRole: (id: string, role: Role, nowMs: number) => setRole.run(role, nowMs, id),
    setDisabled: (id: string, disabled: boolean, nowMs: number) => setDisabled.run(disabled ? 1 : 0, nowMs, id),
    setPasswordHash: (id: string, hash: string, nowMs: number) => setPassword.run(hash, nowMs, id),
    /** Swaps `oldHash` for `newHash` (same password, new parameters); false when the hash changed meanwhile. */
    replacePasswordHash: (id: string, oldHash: string, newHash: string) => replacePassword.run(newHash, id, oldHash).changes > 0,
    deleteUser: (id: string) => deleteUser.run(id).changes > 0,
    setPendingTotp: (id: string, secret: string, nowMs: number) => setPendingTotp.run(sealTotp(id, secret), nowMs, id),
    /** Seals every TOTP secret still stored in clear (from before they were encrypted); returns how many users had one. Idempotent. */
    sealClearTotpSecrets(): number {
      const rows = clearTotpSecrets.all();
      const sealIfClear = (id: string, stored: string | null) => (stored === null || isSealed(stored) ? stored : sealTotp(id, stored));
      if (rows.length > 0)
        rewriteLeavingNoCopy(db, () => {
          for (const row of rows)
            setTotpSecrets.run(sealIfClear(row.id, row.totp_secret), sealIfClear(row.id, row.totp_pending_secret), row.id);
        });
      return rows.length;
    },
    /** Makes the pending secret the active one and stores the hashed recovery codes. */
    enableTotp(id: string, lastStep: number, recoveryCodeHashes: string[], nowMs: number) {
      enableTotp.run(lastStep, nowMs, id);
      deleteRecoveryCodes.run(id);
      for (const hash of recoveryCodeHashes) insertRecoveryCode.run(id, hash);
    },
    disableTotp(id: string, nowMs: number) {
      disableTotp.run(nowMs, id);
      deleteRecoveryCodes.run(id);
    },
    /** Records the time step of an accepted code; false when it (or a later one) was used already. */
    useTotpStep: (id: string, step: number) => setTotpLastStep.run(step, id, step).changes > 0,
    /** Marks a recovery code used; false when unknown or used before. */
    useRecoveryCode: (id: string, codeHash: string, nowMs: number) => useRecoveryCode.run(nowMs, id, codeHash).changes > 0,

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
        endReason: row.end_reason,
      };
    },
    activeSessions: (userId: string, nowMs: number) => activeSessions.all(userId, nowMs).map(toSession),
    touchSession: (sessionId: string, nowMs: number) => touchSession.run(nowMs, sessionId),
    /** Returns true when the session was active and is now revoked, for `reason`. */
    revokeSession: (sessionId: string, nowMs: number, reason: SessionEndReason) => revokeSession.run(nowMs, reason, sessionId).changes > 0,
    /** Revokes every active session of the user except `keepSessionId`, for `reason`; returns how many. */
    revokeUserSessions: (userId: string, nowMs: number, reason: SessionEndReason, keepSessionId: string | null = null) =>
      revokeUserSessions.run(nowMs, reason, userId, keepSessionId).changes,
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
