// Sign-in rules: first-run setup (one-time token or seeded admin password), password login,
// sessions made of rotating refresh tokens (reuse of a rotated token revokes the session), and
// turning an access token into the viewer every request and socket carries.

import { randomUUID, timingSafeEqual } from "node:crypto";
import { ConflictError, InvalidInputError, UnauthenticatedError } from "../errors";
import type { EventBus } from "../events";
import type { Logger } from "../log";
import { isRole, type Role } from "./roles";
import type { AuthStore, SessionState, User } from "./store";
import { hashToken, randomToken, type TokenSigner } from "./tokens";

export type { User } from "./store";

export type Viewer =
  | { kind: "anonymous" /** Why a presented token was not accepted, shown to the client. */; rejection?: string }
  | { kind: "user"; userId: string; username: string; role: Role; sessionId: string; tokenExpiresAtMs: number };

export interface AuthSession {
  accessToken: string;
  accessTokenExpiresAt: Date;
  refreshToken: string;
  refreshTokenExpiresAt: Date;
  user: User;
}

/** Where a request came from, recorded on the session it opens. */
export interface ClientInfo {
  ip: string | null;
  userAgent: string | null;
}

export interface AuthServiceOptions {
  store: AuthStore;
  tokens: TokenSigner;
  events: EventBus;
  log: Logger;
  refreshTtlSeconds: number;
  now?: () => number;
}

const USERNAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const MIN_PASSWORD = 8;
const MAX_PASSWORD = 256;
export const ANONYMOUS: Viewer = { kind: "anonymous" };

function validateCredentials(username: string, password: string) {
  if (!USERNAME.test(username))
    throw new InvalidInputError("Username must be 1 to 64 letters, digits, dots, dashes or underscores, starting with a letter or digit.");
  if (password.length < MIN_PASSWORD || password.length > MAX_PASSWORD)
    throw new InvalidInputError(`Password must be ${MIN_PASSWORD} to ${MAX_PASSWORD} characters long.`);
}

export function createAuthService({ store, tokens, events, log, refreshTtlSeconds, now = Date.now }: AuthServiceOptions) {
  let setupToken: string | null = null;
  // Compared against when the username is unknown, so a login takes as long either way. Made on
  // first need rather than at start, where it would cost every start an argon2 hash.
  let dummyHash: string | null = null;

  // Session state is read on every request: keep it briefly, and forget a user's entries the
  // moment their sessions change (revocations publish auth.sessions-changed).
  const sessionCache = new Map<string, { state: SessionState | null; readAtMs: number }>();
  const SESSION_CACHE_MS = 2_000;
  const MAX_CACHED_SESSIONS = 10_000;
  const sessionState = (sessionId: string): SessionState | null => {
    const cached = sessionCache.get(sessionId);
    if (cached && now() - cached.readAtMs < SESSION_CACHE_MS) return cached.state;
    const state = store.sessionState(sessionId);
    if (sessionCache.size >= MAX_CACHED_SESSIONS) sessionCache.delete(sessionCache.keys().next().value as string);
    sessionCache.set(sessionId, { state, readAtMs: now() });
    return state;
  };
  events.on("auth.sessions-changed", ({ userId }) => {
    for (const [id, cached] of sessionCache) if (cached.state?.userId === userId) sessionCache.delete(id);
  });

  const createUser = async (username: string, password: string, role: Role): Promise<User> => {
    validateCredentials(username, password);
    const passwordHash = await Bun.password.hash(password, { algorithm: "argon2id" });
    const id = randomUUID();
    try {
      store.insertUser({ id, username, passwordHash, role }, now());
    } catch (err) {
      if (String(err).includes("UNIQUE")) throw new ConflictError(`User ${username} already exists.`, { cause: err });
      throw err;
    }
    return store.userById(id) as User;
  };

  const issueTokens = async (user: User, sessionId: string): Promise<Omit<AuthSession, "refreshTokenExpiresAt">> => {
    const refreshToken = randomToken();
    store.insertRefreshToken(hashToken(refreshToken), sessionId, now());
    const access = await tokens.signAccess({ userId: user.id, sessionId, role: user.role });
    return { accessToken: access.token, accessTokenExpiresAt: new Date(access.expiresAtMs), refreshToken, user };
  };

  const openSession = async (user: User, client: ClientInfo): Promise<AuthSession> => {
    const sessionId = randomUUID();
    const expiresAtMs = now() + refreshTtlSeconds * 1000;
    store.insertSession({ id: sessionId, userId: user.id, nowMs: now(), expiresAtMs, userAgent: client.userAgent, ip: client.ip });
    return { ...(await issueTokens(user, sessionId)), refreshTokenExpiresAt: new Date(expiresAtMs) };
  };

  const revoke = (sessionId: string, userId: string) => {
    if (store.revokeSession(sessionId, now())) events.publish("auth.sessions-changed", { userId });
  };

  return {
    /** True while no user exists: only then does `setup` work. */
    needsSetup: () => store.countUsers() === 0,

    /** A one-time token for the setup link, made once per process while setup is needed. */
    setupToken(): string | null {
      if (store.countUsers() > 0) return null;
      setupToken ??= randomToken(24);
      return setupToken;
    },

    /** Creates the first admin from OUTPOST_ADMIN_PASSWORD when no user exists yet. */
    async seedAdmin(password: string): Promise<User | null> {
      if (store.countUsers() > 0) return null;
      const user = await createUser("admin", password, "admin");
      setupToken = null;
      log.info("seeded admin user from OUTPOST_ADMIN_PASSWORD", { userId: user.id });
      return user;
    },

    /** Creates the first admin with the one-time setup token and signs them in. */
    async setup(input: { token: string; username: string; password: string }, client: ClientInfo): Promise<AuthSession> {
      const expected = setupToken;
      const valid =
        expected !== null && input.token.length === expected.length && timingSafeEqual(Buffer.from(input.token), Buffer.from(expected));
      if (store.countUsers() > 0) throw new ConflictError("Outpost is already set up; sign in instead.");
      if (!valid) throw new UnauthenticatedError("The setup link is not valid; use the one printed in the server log.");
      validateCredentials(input.username, input.password);
      setupToken = null;
      const user = await createUser(input.username, input.password, "admin");
      log.info("first admin created through setup", { userId: user.id, username: user.username });
      return openSession(user, client);
    },

    async createUser(input: { username: string; password: string; role: string }): Promise<User> {
      if (!isRole(input.role)) throw new InvalidInputError("Role must be admin, operator or viewer.");
      return createUser(input.username, input.password, input.role);
    },

    /** Checks the password and opens a session; the same error for any wrong pair. */
    async login(input: { username: string; password: string }, client: ClientInfo): Promise<AuthSession> {
      const found = input.username.length <= 64 ? store.credentialsByName(input.username) : null;
      const password = input.password.slice(0, MAX_PASSWORD + 1);
      dummyHash ??= await Bun.password.hash(randomToken(), { algorithm: "argon2id" });
      const ok = await Bun.password.verify(password, found?.passwordHash ?? dummyHash);
      if (!found || !ok || found.user.disabled) throw new UnauthenticatedError("Wrong username or password.");
      return openSession(found.user, client);
    },

    /**
     * Trades a refresh token for a new pair. Each refresh token works once; presenting one that
     * was already used revokes its whole session, since it means the token was copied.
     */
    async refresh(refreshToken: string): Promise<AuthSession> {
      const hash = hashToken(refreshToken);
      const found = store.refreshToken(hash);
      if (!found) throw new UnauthenticatedError("Invalid refresh token; sign in again.");
      const state = store.sessionState(found.session_id);
      if (!state) throw new UnauthenticatedError("Invalid refresh token; sign in again.");
      if (found.used_at !== null || !store.markRefreshTokenUsed(hash, now())) {
        revoke(found.session_id, state.userId);
        log.warn("refresh token reused; session revoked", { sessionId: found.session_id, userId: state.userId });
        throw new UnauthenticatedError("This refresh token was already used; the session has been ended. Sign in again.");
      }
      if (state.revoked || state.userDisabled || state.expiresAtMs <= now())
        throw new UnauthenticatedError("Your session has ended; sign in again.");
      store.touchSession(found.session_id, now());
      const user = store.userById(state.userId) as User;
      return { ...(await issueTokens(user, found.session_id)), refreshTokenExpiresAt: new Date(state.expiresAtMs) };
    },

    /** Ends the viewer's session: its refresh tokens stop working and its sockets close. */
    logout(viewer: Viewer): boolean {
      if (viewer.kind !== "user") return false;
      revoke(viewer.sessionId, viewer.userId);
      return true;
    },

    /** Turns an access token into a viewer; an invalid or ended one yields anonymous with a reason. */
    async viewerFromAccessToken(token: string | null): Promise<Viewer> {
      if (!token) return ANONYMOUS;
      try {
        const claims = await tokens.verifyAccess(token);
        const state = sessionState(claims.sessionId);
        if (!state || state.revoked || state.userDisabled || state.userId !== claims.userId)
          return { kind: "anonymous", rejection: "Your session has ended; sign in again." };
        return {
          kind: "user",
          userId: state.userId,
          username: state.username,
          // The role is read fresh so a role change takes effect without a new sign-in.
          role: state.role,
          sessionId: claims.sessionId,
          tokenExpiresAtMs: claims.expiresAtMs,
        };
      } catch (err) {
        if (err instanceof UnauthenticatedError) return { kind: "anonymous", rejection: err.message };
        throw err;
      }
    },

    /** False once a signed-in viewer's token expired or its session or user was ended. */
    viewerStillValid(viewer: Viewer): boolean {
      if (viewer.kind !== "user") return true;
      if (viewer.tokenExpiresAtMs <= now()) return false;
      const state = sessionState(viewer.sessionId);
      return !!state && !state.revoked && !state.userDisabled;
    },

    userById: (id: string) => store.userById(id),

    /** Removes sessions past their refresh lifetime; run now and then. */
    pruneSessions: () => store.deleteExpiredSessions(now()),
  };
}

export type AuthService = ReturnType<typeof createAuthService>;
