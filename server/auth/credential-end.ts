// Why a credential stopped working, in words a client can act on. A socket whose credential ends is
// closed with 4403 and one of these as its close reason; a refused refresh carries one in
// `extensions.endedBecause`. The web UI (web/src/lib/auth.ts) says each as a sentence on the
// sign-in page, except "role-changed" (it reconnects and asks again what the user may do) and
// "expired" (it renews the session).

/** Why a session was ended; recorded with it, so every instance and every later refresh can say it. */
export type SessionEndReason =
  /** Signed out (logout, or "sign out" on the session's own row). */
  | "signed-out"
  /** Ended from another session of the same user (Account → Sessions). */
  | "revoked"
  | "signed-out-everywhere"
  /** The user changed their password in another session. */
  | "password-changed"
  /** An admin set a new password for the user. */
  | "password-reset"
  /** A refresh token came back after it was used: someone may hold a copy. */
  | "token-reused"
  | "account-disabled";

/** Why a signed-in viewer (a session or an API key) can no longer act as it did. */
export type CredentialEnd = SessionEndReason | "expired" | "role-changed" | "account-deleted" | "key-revoked";
