// Self-service for a signed-in user: change the password (ending the other sessions) and turn
// two-factor sign-in on (authenticator app + one-time recovery codes) or off.
import { ConflictError, InvalidInputError, UnauthenticatedError } from "../errors";
import type { EventBus } from "../events";
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

export function createAccountService({ store, events, now = Date.now }: { store: AuthStore; events: EventBus; now?: () => number }) {
  const credentialsOf = (viewer: SignedInViewer): Credentials => {
    const found = store.credentialsById(viewer.userId);
    if (!found) throw new UnauthenticatedError("Your account no longer exists.");
    return found;
  };
  const requirePassword = async (found: Credentials, password: string) => {
    // Not UNAUTHENTICATED: the caller is signed in; this is a wrong answer to a question.
    if (!(await verifyPassword(password, found.passwordHash))) throw new InvalidInputError("The current password is not correct.");
  };

  return {
    /** Changes the viewer's password and ends every other session of theirs (this one stays signed in). */
    async changePassword(viewer: SignedInViewer, input: { currentPassword: string; newPassword: string }): Promise<boolean> {
      const found = credentialsOf(viewer);
      await requirePassword(found, input.currentPassword);
      validatePassword(input.newPassword);
      if (input.newPassword === input.currentPassword) throw new InvalidInputError("The new password must differ from the current one.");
      const hash = await hashPassword(input.newPassword);
      store.transaction(() => {
        store.setPasswordHash(viewer.userId, hash, now());
        store.revokeUserSessions(viewer.userId, now(), viewer.kind === "user" ? viewer.sessionId : null);
      });
      events.publish("auth.credentials-changed", { userId: viewer.userId });
      return true;
    },

    /** Starts two-factor setup: a new secret to scan; it takes effect only after `confirmTotp`. */
    beginTotp(viewer: SignedInViewer): TotpSetup {
      const found = credentialsOf(viewer);
      if (found.totpSecret) throw new ConflictError("Two-factor sign-in is already on; turn it off first to set it up again.");
      const secret = generateTotpSecret();
      store.setPendingTotp(viewer.userId, secret, now());
      const uri = otpauthUri({ issuer: ISSUER, account: found.user.username, secretBase32: secret });
      return { secret, otpauthUri: uri, qrSvg: qrCodeSvg(uri) };
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
      await requirePassword(found, password);
      if (!found.totpSecret) return false;
      store.transaction(() => store.disableTotp(viewer.userId, now()));
      return true;
    },
  };
}

export type AccountService = ReturnType<typeof createAccountService>;
