// Sign-in rules: first-run setup (one-time token or seeded admin password), password login with
// lockout and optional two-factor, sessions made of rotating refresh tokens (reuse of a rotated
// token revokes the session), and turning a bearer credential into the viewer every request and
// socket carries.

import { randomUUID, timingSafeEqual } from "node:crypto";
import type { ApiKeyService } from "../api-keys/service";
import type { CacheFactory } from "../cache";
import type { Clock } from "../clock";
import { ConflictError, LimitExceededError, NotFoundError, UnauthenticatedError } from "../errors";
import type { EventBus } from "../events";
import { clientKey } from "../http/client-info";
import type { RateLimiter } from "../limits/rate-limiter";
import type { Logger } from "../log";
import type { CredentialEnd, SessionEndReason } from "./credential-end";
import { type LoginGuard, signInName } from "./login-guard";
import { hashPassword, needsRehash, validatePassword, validateUsername, verifyPassword } from "./passwords";
import type { AccessControl, Permission } from "./permissions";
import type { Role } from "./roles";
import type { AuthStore, Credentials, Session, SessionState, User } from "./store";
import { hashToken, randomToken, type TokenSigner } from "./tokens";
import { matchTotpStep, normalizeRecoveryCode } from "./totp";
import { ANONYMOUS, rejected, type SignedInViewer, userViewer, type Viewer } from "./viewer";

export type { Session, User } from "./store";
export type { Viewer } from "./viewer";

export interface AuthSession {
  /** When the tokens were issued, by the server's clock (cookie lifetimes count from it). */
  issuedAt: Date;
  accessToken: string;
  accessTokenExpiresAt: Date;
  refreshToken: string;
  refreshTokenExpiresAt: Date;
  user: User;
}

/**
 * A sign-in whose password was right and whose second factor is asked for next: the client must
 * answer again, but nothing failed (the audit log records it as `challenged`, not as an error).
 */
export class SecondFactorRequiredError extends UnauthenticatedError {
  constructor() {
    super("Enter the code from your authenticator app.", { details: { totpRequired: true } });
  }
}

/** Where a request came from, recorded on the session it opens and in the audit log. */
export interface ClientInfo {
  ip: string | null;
  userAgent: string | null;
}

export interface AuthServiceOptions {
  store: AuthStore;
  apiKeys: ApiKeyService;
  tokens: TokenSigner;
  events: EventBus;
  log: Logger;
  loginGuard: LoginGuard;
  rateLimiter: RateLimiter;
  access: AccessControl;
  clock: Clock;
  caches: CacheFactory;
  refreshTtlSeconds: number;
}

const SESSION_CACHE_MS = 2_000;
const MAX_CACHED_SESSIONS = 10_000;

export function createAuthService({
  store,
  apiKeys,
  tokens,
  events,
  log,
  loginGuard,
  rateLimiter,
  access,
  clock,
  caches,
  refreshTtlSeconds,
}: AuthServiceOptions) {
  const now = () => clock.now();
  let setupToken: string | null = null;
  // Compared against when the username is unknown, so a login takes as long either way. Made on
  // first need rather than at start, where it would cost every start an argon2 hash.
  let dummyHash: string | null = null;

  // Session state is read on every request: keep it briefly, and forget a user's entries the
  // moment their credentials change (revocations publish auth.credentials-changed).
  const sessionCache = caches<SessionState | null>({ ttlMs: SESSION_CACHE_MS, maxEntries: MAX_CACHED_SESSIONS });
  const sessionState = (sessionId: string): SessionState | null => {
    const cached = sessionCache.get(sessionId);
    if (cached) return cached.value;
    const state = store.sessionState(sessionId);
    sessionCache.set(sessionId, state);
    return state;
  };
  events.on("auth.credentials-changed", ({ userId }) => sessionCache.forget((state) => !state || state.userId === userId));

  const limitAuthAttempts = (client: ClientInfo) => {
    const decision = rateLimiter.take("auth", `ip:${clientKey(client.ip)}`);
    if (!decision.allowed)
      throw new LimitExceededError(`Too many sign-in requests; try again in ${decision.retryAfterSeconds} s.`, {
        details: { retryAfterSeconds: decision.retryAfterSeconds },
      });
  };

  const createUser = async (username: string, password: string, role: Role): Promise<User> => {
    validateUsername(username);
    validatePassword(password);
    const passwordHash = await hashPassword(password);
    const id = randomUUID();
    try {
      store.insertUser({ id, username, passwordHash, role }, now());
    } catch (err) {
      if (String(err).includes("UNIQUE")) throw new ConflictError(`User ${username} already exists.`, { cause: err });
      throw err;
    }
    return store.userById(id) as User;
  };

  /** Stores a new refresh token of the session; returns it. */
  const storeRefreshToken = (sessionId: string): string => {
    const refreshToken = randomToken();
    store.insertRefreshToken(hashToken(refreshToken), sessionId, now());
    return refreshToken;
  };

  const issueTokens = async (
    user: User,
    sessionId: string,
    refreshToken = storeRefreshToken(sessionId),
  ): Promise<Omit<AuthSession, "refreshTokenExpiresAt">> => {
    const access = await tokens.signAccess({ userId: user.id, sessionId, role: user.role });
    return { issuedAt: new Date(now()), accessToken: access.token, accessTokenExpiresAt: new Date(access.expiresAtMs), refreshToken, user };
  };

  const openSession = async (user: User, client: ClientInfo): Promise<AuthSession> => {
    const sessionId = randomUUID();
    const expiresAtMs = now() + refreshTtlSeconds * 1000;
    store.insertSession({ id: sessionId, userId: user.id, nowMs: now(), expiresAtMs, userAgent: client.userAgent, ip: client.ip });
    return { ...(await issueTokens(user, sessionId)), refreshTokenExpiresAt: new Date(expiresAtMs) };
  };

  /**
   * Replaces a hash made with older parameters once its password is known (after a sign-in), in
   * the background; only if the hash is still the one checked, so a password changed meanwhile stays.
   */
  const upgradeHash = async (found: Credentials, password: string) => {
    try {
      store.replacePasswordHash(found.user.id, found.passwordHash, await hashPassword(password));
    } catch (err) {
      log.warn("could not upgrade a password hash; trying again at the next sign-in", { userId: found.user.id, err });
    }
  };

  const credentialsChanged = (userId: string) => events.publish("auth.credentials-changed", { userId });

  /** Why the session can no longer be refreshed, or null while it can. */
  const sessionEnd = (state: SessionState): SessionEndReason | "expired" | null => {
    if (state.userDisabled) return "account-disabled";
    if (state.revoked) return state.endReason ?? "revoked";
    return state.expiresAtMs <= now() ? "expired" : null;
  };

  /** Checks a second factor: a current authenticator code (each usable once) or an unused recovery code. */
  const secondFactorOk = (found: Credentials, code: string): boolean => {
    const secret = found.totpSecret as string;
    const step = matchTotpStep(secret, code, { nowMs: now(), afterStep: found.totpLastStep });
    if (step !== null) return store.useTotpStep(found.user.id, step);
    return store.useRecoveryCode(found.user.id, hashToken(normalizeRecoveryCode(code)), now());
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
      limitAuthAttempts(client);
      const expected = setupToken;
      const valid =
        expected !== null && input.token.length === expected.length && timingSafeEqual(Buffer.from(input.token), Buffer.from(expected));
      if (store.countUsers() > 0) throw new ConflictError("Outpost is already set up; sign in instead.");
      if (!valid) throw new UnauthenticatedError("The setup link is not valid; use the one printed in the server log.");
      validateUsername(input.username);
      validatePassword(input.password);
      setupToken = null;
      const user = await createUser(input.username, input.password, "admin");
      log.info("first admin created through setup", { userId: user.id, username: user.username });
      return openSession(user, client);
    },

    /** Creates a user (used by user management and tests). */
    createUser,

    /**
     * Checks the password (and the second factor when enabled) and opens a session. The same
     * error for any wrong pair; after 5 failures in 5 minutes from one IP for one username,
     * every attempt is refused with LimitExceededError until the block ends, and after 20 failures
     * in 15 minutes for one username from anywhere, each address waits its own turn (a minute at
     * most, doubled for each failure of that address; see login-guard.ts).
     */
    async login(input: { username: string; password: string; totpCode?: string | null }, client: ClientInfo): Promise<AuthSession> {
      limitAuthAttempts(client);
      const { username } = input;
      // The guard counts an IPv6 client by its /64, like every other limit.
      const guardKey = clientKey(client.ip);
      const guardName = signInName(username);
      const waitSeconds = loginGuard.begin(guardKey, guardName);
      if (waitSeconds > 0)
        throw new LimitExceededError(`Too many failed sign-ins; try again in ${waitSeconds} s.`, {
          details: { retryAfterSeconds: waitSeconds },
        });
      let outcome = "abandoned" as "failed" | "succeeded" | "abandoned";
      const fail = (message: string, details?: Record<string, unknown>): never => {
        outcome = "failed";
        throw new UnauthenticatedError(message, { details });
      };
      try {
        const found = username.length <= 64 ? store.credentialsByName(username) : null;
        dummyHash ??= await hashPassword(randomToken(), { priority: "sign-in" });
        const passwordOk = await verifyPassword(input.password, found?.passwordHash ?? dummyHash, { priority: "sign-in" });
        if (!found || !passwordOk || found.user.disabled) return fail("Wrong username or password.");
        if (found.totpSecret !== null) {
          if (!input.totpCode) throw new SecondFactorRequiredError();
          if (!secondFactorOk(found, input.totpCode)) return fail("That authentication code is not valid.", { totpRequired: true });
        }
        outcome = "succeeded";
        if (needsRehash(found.passwordHash)) void upgradeHash(found, input.password);
        return await openSession(found.user, client);
      } finally {
        if (outcome === "failed") {
          const blockSeconds = loginGuard.failed(guardKey, guardName);
          if (blockSeconds > 0)
            log.warn("sign-in blocked after repeated failures", { username: username.slice(0, 64), ip: client.ip, blockSeconds });
        } else if (outcome === "succeeded") loginGuard.succeeded(guardKey, guardName);
        else loginGuard.abandoned(guardKey, guardName);
      }
    },

    /**
     * Trades a refresh token for a new pair. Each refresh token works once; presenting one that
     * was already used revokes its whole session, since it means the token was copied. A refusal
     * for a session that ended says why in `details.endedBecause` (a CredentialEnd).
     */
    async refresh(refreshToken: string, client: ClientInfo): Promise<AuthSession> {
      limitAuthAttempts(client);
      const hash = hashToken(refreshToken);
      const found = store.refreshToken(hash);
      if (!found) throw new UnauthenticatedError("Invalid refresh token; sign in again.");
      const state = store.sessionState(found.session_id);
      if (!state) throw new UnauthenticatedError("Invalid refresh token; sign in again.");
      const ended = sessionEnd(state);
      // The token is marked used and its successor stored in one transaction: when that fails (a
      // full disk), the token stays unused, so the client's next try is no reuse that ends the session.
      const successor = store.transaction((): string | null | false => {
        if (found.used_at !== null || !store.markRefreshTokenUsed(hash, now())) return false;
        if (ended) return null;
        store.touchSession(found.session_id, now());
        return storeRefreshToken(found.session_id);
      });
      if (successor === false) {
        if (store.revokeSession(found.session_id, now(), "token-reused")) credentialsChanged(state.userId);
        log.warn("refresh token reused; session revoked", { sessionId: found.session_id, userId: state.userId });
        throw new UnauthenticatedError("This refresh token was already used; the session has been ended. Sign in again.", {
          details: { endedBecause: "token-reused" satisfies CredentialEnd },
        });
      }
      if (successor === null)
        throw new UnauthenticatedError("Your session has ended; sign in again.", { details: { endedBecause: ended } });
      const user = store.userById(state.userId) as User;
      return { ...(await issueTokens(user, found.session_id, successor)), refreshTokenExpiresAt: new Date(state.expiresAtMs) };
    },

    /** Ends the viewer's session: its refresh tokens stop working and its sockets close. */
    logout(viewer: Viewer): boolean {
      if (viewer.kind !== "user") return false;
      if (store.revokeSession(viewer.sessionId, now(), "signed-out")) credentialsChanged(viewer.userId);
      return true;
    },

    /** The viewer's active sessions, most recently used first. */
    sessions(viewer: SignedInViewer): Session[] {
      return store.activeSessions(viewer.userId, now());
    },

    /** Ends one of the viewer's own sessions. */
    revokeSession(viewer: SignedInViewer, sessionId: string): boolean {
      const state = store.sessionState(sessionId);
      if (!state || state.userId !== viewer.userId) throw new NotFoundError("No such session of yours.");
      const revoked = store.revokeSession(
        sessionId,
        now(),
        viewer.kind === "user" && viewer.sessionId === sessionId ? "signed-out" : "revoked",
      );
      if (revoked) credentialsChanged(viewer.userId);
      return revoked;
    },

    /** "Sign out everywhere": ends every session of the viewer, this one included; returns how many. */
    revokeAllSessions(viewer: SignedInViewer): number {
      const count = store.revokeUserSessions(viewer.userId, now(), "signed-out-everywhere");
      credentialsChanged(viewer.userId);
      return count;
    },

    /** Turns a bearer credential (access token or API key) into a viewer; a rejected one yields anonymous with a reason. */
    async viewerFromBearer(token: string | null): Promise<Viewer> {
      if (!token) return ANONYMOUS;
      if (apiKeys.looksLikeKey(token)) return apiKeys.viewerForSecret(token);
      try {
        const claims = await tokens.verifyAccess(token);
        const state = sessionState(claims.sessionId);
        if (!state || state.revoked || state.userDisabled || state.userId !== claims.userId)
          return rejected("Your session has ended; sign in again.");
        // The role is read fresh so a role change takes effect without a new sign-in.
        return userViewer(state, access.ofRole(state.role), claims.sessionId, claims.expiresAtMs);
      } catch (err) {
        if (err instanceof UnauthenticatedError) return rejected(err.message);
        throw err;
      }
    },

    /**
     * Why a viewer can no longer act as it did (its session, key or user ended, its token or key
     * expired, or its role changed), or null while it can; anonymous viewers never end.
     */
    endedBecause(viewer: Viewer): CredentialEnd | null {
      if (viewer.kind === "apiKey") return apiKeys.endedBecause(viewer);
      if (viewer.kind !== "user") return null;
      const state = sessionState(viewer.sessionId);
      // A session row goes with its user, or is pruned long after it expired.
      if (!state) return store.userById(viewer.userId) ? "expired" : "account-deleted";
      const ended = sessionEnd(state);
      if (ended) return ended;
      if (viewer.tokenExpiresAtMs <= now()) return "expired";
      return state.role === viewer.role ? null : "role-changed";
    },

    userById: (id: string) => store.userById(id),

    /** What a role may do. */
    permissionsOfRole: (role: Role): ReadonlySet<Permission> => access.ofRole(role),

    /** Removes sessions past their refresh lifetime; run now and then. */
    pruneSessions: () => store.deleteExpiredSessions(now()),
  };
}

export type AuthService = ReturnType<typeof createAuthService>;
