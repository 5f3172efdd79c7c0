// Self-service for a signed-in user: change the password (ending the other sessions) and turn
// two-factor sign-in on (authenticator app + one-time recovery codes) or off.
import { ConflictError, InvalidInputError, LimitExceededError, UnauthenticatedError } from "../errors";
import type { EventBus } from "../events";
import type { RateLimiter } from "../limits/rate-limiter";
import { type LoginGuard, passwordCheckName } from "./login-guard";
import { hashPassword, validatePassword, verifyPassword } from "./passwords";
import type { AuthStore, Credentials } from "./store";
import { hashToken } from "./tokens";
import { generateRecoveryCodes, generateTotpSecret, matchTotpStep, otpauthUri, qrCodeSvg } from "./totp";
import type { SignedInViewer } from "./viewer";

export interface TotpSetup {
  secret: string;
  otpauthUri: string;
  qrSvg: string;
}

const ISSUER = "Outpost";

/**
 * Who wrong current passwords are counted against in the login guard, in place of an address:
 * the session asking, so a stolen token can lock out only itself, not the real user's other
 * sessions. (A key never holds `account` today, so cannot ask; were it to, it would count alone.)
 */
const passwordCheckerOf = (viewer: SignedInViewer) => (viewer.kind === "user" ? `session:${viewer.sessionId}` : `key:${viewer.keyId}`);

export interface AccountServiceOptions {
  store: AuthStore;
  events: EventBus;
  /** Current-password checks draw on the `auth` class, per user. */
  rateLimiter: RateLimiter;
  /** Wrong current passwords per session (or API key): 5 in 5 minutes block its further checks for a while. */
  loginGuard: LoginGuard;
  now?: () => number;
}

export function createAccountService({ store, events, rateLimiter, loginGuard, now = Date.now }: AccountServiceOptions) {
  const credentialsOf = (viewer: SignedInViewer): Credentials => {
    const found = store.credentialsById(viewer.userId);
    if (!found) throw new UnauthenticatedError("Your account no longer exists.");
    return found;
  };
  /** Throws unless `password` is the user's; refused (LIMIT_EXCEEDED) past the rate or after repeated wrong answers from this session. */
  const requirePassword = async (viewer: SignedInViewer, found: Credentials, password: string) => {
    const userId = found.user.id;
    const [checker, name] = [passwordCheckerOf(viewer), passwordCheckName(userId)];
    // The guard first: a session it refuses must not use up the rate the user's other sessions share.
    const waitSeconds = loginGuard.begin(checker, name);
    if (waitSeconds > 0)
      throw new LimitExceededError(`Too many wrong passwords; try again in ${waitSeconds} s.`, {
        details: { retryAfterSeconds: waitSeconds },
      });
    const rate = rateLimiter.take("auth", `user:${userId}`);
    if (!rate.allowed) {
      loginGuard.abandoned(checker, name);
      throw new LimitExceededError(`Too many password checks; try again in ${rate.retryAfterSeconds} s.`, {
        details: { retryAfterSeconds: rate.retryAfterSeconds },
      });
    }
    let correct: boolean;
    try {
      correct = await verifyPassword(password, found.passwordHash);
    } catch (err) {
      loginGuard.abandoned(checker, name);
      throw err;
    }
    if (correct) return loginGuard.succeeded(checker, name);
    loginGuard.failed(checker, name);
    // Not UNAUTHENTICATED: the caller is signed in; this is a wrong answer to a question.
    throw new InvalidInputError("The current password is not correct.");
  };

  return {
    /** Changes the viewer's password and ends every other session of theirs (this one stays signed in). */
    async changePassword(viewer: SignedInViewer, input: { currentPassword: string; newPassword: string }): Promise<boolean> {
      const found = credentialsOf(viewer);
      await requirePassword(viewer, found, input.currentPassword);
      validatePassword(input.newPassword);
      if (input.newPassword === input.currentPassword) throw new InvalidInputError("The new password must differ from the current one.");
      const hash = await hashPassword(input.newPassword);
      store.transaction(() => {
        store.setPasswordHash(viewer.userId, hash, now());
        store.revokeUserSessions(viewer.userId, now(), "password-changed", viewer.kind === "user" ? viewer.sessionId : null);
      });
      events.publish("auth.credentials-changed", { userId: viewer.userId });
      return true;
    },

    /**
     * Starts two-factor setup: a new secret to scan; it takes effect only after `confirmTotp`.
     * Needs the password, so a stolen access token alone cannot put a second factor on the account.
     */
    async beginTotp(viewer: SignedInViewer, password: string): Promise<TotpSetup> {
      const found = credentialsOf(viewer);
      await requirePassword(viewer, found, password);
      if (found.totpSecret) throw new ConflictError("Two-factor sign-in is already on; turn it off first to set it up again.");
      const secret = generateTotpSecret();
      store.setPendingTotp(viewer.userId, secret, now());
      const uri = otpauthUri({ issuer: ISSUER, account: found.user.username, secretBase32: secret });
      return { secret, otpauthUri: uri, qrSvg: qrCodeSvg(uri) };
    },

    /** Throws unless `password` is the viewer's current password (for actions that need it, e.g. creating an API key). */
    async confirmPassword(viewer: SignedInViewer, password: string): Promise<void> {
      await requirePassword(viewer, credentialsOf(viewer), password);
    },

    /** Turns two-factor on when `code` matches the pending secret; returns recovery codes, shown only now. */
    confirmTotp(viewer: SignedInViewer, code: string): string[] {
      const found = credentialsOf(viewer);
      if (!found.totpPendingSecret) throw new ConflictError("Start two-factor setup first.");
      const step = matchTotpStep(found.totpPendingSecret, code, { nowMs: now() });
      if (step === null) throw new InvalidInputError("That code does not match; check the time on your phone and try the current code.");
      const codes = generateRecoveryCodes();
      store.transaction(() => store.enableTotp(viewer.userId, step, codes.map(hashToken), now()));
      return codes;
    },

    /** Turns two-factor off; needs the password. */
    async disableTotp(viewer: SignedInViewer, password: string): Promise<boolean> {
      const found = credentialsOf(viewer);
      await requirePassword(viewer, found, password);
      if (!found.totpSecret) return false;
      store.transaction(() => store.disableTotp(viewer.userId, now()));
      return true;
    },
  };
}

export type AccountService = ReturnType<typeof createAccountService>;
