// Who is signed in, and the operations that change it. The session itself is a pair of HttpOnly
// cookies the server sets and clears; this module only ever sees the user. When the server ends
// the session (from another device, a disabled account…) the user is forgotten with a sentence
// saying why, for the sign-in page; when it changes their role, the user is asked for afresh.

import { createSignal } from "solid-js";
import {
  closeSubscriptionSocket,
  GraphQLRequestError,
  onRoleChanged,
  onSessionEnded,
  openSubscriptionSocket,
  query,
  type SessionEnd,
} from "./graphql";
import { graphql, type ResultOf, type SchemaEnum } from "./operation";

export type Role = SchemaEnum<"Role">;

// What the UI keeps of the signed-in user; every operation that signs someone in asks for it.
const USER_FIELDS = "id username role permissions";

const ME = graphql(`query Me { me { ${USER_FIELDS} } }`);

export type CurrentUser = ResultOf<typeof ME>["me"];

const [currentUser, setCurrentUser] = createSignal<CurrentUser | null | undefined>(undefined);

/** The signed-in user; null when signed out, undefined until `loadCurrentUser` has answered. */
export { currentUser };

const [signedOutBecause, setSignedOutBecause] = createSignal<string | null>(null);

/** Why the user was last signed out, as a sentence for the sign-in page; null when there is nothing to say. */
export { signedOutBecause };

const SESSION_ENDED = "Your session has ended; sign in again.";

// What the sign-in page says for each reason the server gives (server/auth/credential-end.ts).
const SESSION_END_SENTENCES: Readonly<Record<string, string>> = {
  "signed-out": "You signed out in another tab or window.",
  revoked: "Your session was ended from another device.",
  "signed-out-everywhere": "You signed out everywhere.",
  "password-changed": "Your password was changed in another session, so this one was signed out.",
  "password-reset": "An administrator set a new password for your account; sign in with it.",
  "token-reused":
    "Your session was ended because its sign-in token was used twice, which can mean it was copied. Sign in again, and change your password if this was not you.",
  "account-disabled": "Your account was disabled. Ask an administrator to enable it again.",
  "account-deleted": "Your account was deleted.",
  expired: "Your session expired; sign in again.",
};

// Whether the user ended the session themselves (sign out, sign out everywhere) rather than it
// lapsing: a lapsed session returns to its page after signing in again, an ended one starts afresh.
let endedOnPurpose = false;

/** True when the last session ended because the user asked for it. */
export function sessionEndedOnPurpose(): boolean {
  return endedOnPurpose;
}

/** Shows `user` as signed in, with the socket through which the server tells when that changes. */
function showUser(user: CurrentUser) {
  setCurrentUser(user);
  openSubscriptionSocket();
}

function forgetUser({ onPurpose, because }: { onPurpose: boolean; because: string | null }) {
  endedOnPurpose = onPurpose;
  setSignedOutBecause(because);
  closeSubscriptionSocket();
  setCurrentUser(null);
}

function adoptUser(user: CurrentUser) {
  endedOnPurpose = false;
  setSignedOutBecause(null);
  closeSubscriptionSocket();
  showUser(user);
}

onSessionEnded((endedBecause: SessionEnd) => {
  // Nothing to explain when nobody was signed in here and the server names no reason (a first visit).
  const known = endedBecause ? SESSION_END_SENTENCES[endedBecause] : undefined;
  forgetUser({ onPurpose: false, because: known ?? (endedBecause || currentUser() ? SESSION_ENDED : null) });
});

// The page's buttons and navigation follow the new permissions without a reload. A failure leaves
// the old ones: the server refuses what the new role may not do, and the next change asks again.
onRoleChanged(() => void loadCurrentUser().catch(() => {}));

/**
 * Ends this tab's own session through `end`, then forgets the user here, saying `because`. The
 * socket is closed first: the server closing it for this very request is no news from elsewhere.
 */
async function endOwnSession<Result>(end: () => Promise<Result>, because: string): Promise<Result> {
  closeSubscriptionSocket();
  try {
    const result = await end();
    forgetUser({ onPurpose: true, because });
    return result;
  } catch (error) {
    if (currentUser()) openSubscriptionSocket();
    throw error;
  }
}

/** Asks the server who the session belongs to; resolves null when there is no session. */
export async function loadCurrentUser(): Promise<CurrentUser | null> {
  try {
    const { me } = await query(ME);
    showUser(me);
    return me;
  } catch (error) {
    if (error instanceof GraphQLRequestError && error.code === "UNAUTHENTICATED") {
      endedOnPurpose = false;
      setCurrentUser(null);
      return null;
    }
    throw error;
  }
}

const HEALTH = graphql("query Health { health { ok setupRequired } }");

export type Health = ResultOf<typeof HEALTH>["health"];

/** Whether the server is up and still waits for its first admin. Needs no session. */
export async function fetchHealth(): Promise<Health> {
  const { health } = await query(HEALTH, undefined, { needsSession: false });
  return health;
}

const LOGIN = graphql(`mutation Login($username: String!, $password: String!, $totpCode: String) {
  login(username: $username, password: $password, totpCode: $totpCode) { user { ${USER_FIELDS} } }
}`);

/**
 * Starts a session. `totpCode` is the authenticator's code or a recovery code, for users with
 * two-factor sign-in. Rejects with UNAUTHENTICATED ("Wrong username or password."; with
 * `details.totpRequired` when the code is missing or wrong) or LIMIT_EXCEEDED
 * (`details.retryAfterSeconds`) after too many attempts.
 */
export async function login(username: string, password: string, totpCode?: string): Promise<CurrentUser> {
  const { login } = await query(LOGIN, { username, password, totpCode }, { needsSession: false });
  adoptUser(login.user);
  return login.user;
}

const SETUP = graphql(`mutation Setup($token: String!, $username: String!, $password: String!) {
  setup(token: $token, username: $username, password: $password) { user { ${USER_FIELDS} } }
}`);

/** Creates the first admin with the one-time setup token and signs them in. */
export async function setup(token: string, username: string, password: string): Promise<CurrentUser> {
  const { setup } = await query(SETUP, { token, username, password }, { needsSession: false });
  adoptUser(setup.user);
  return setup.user;
}

const LOGOUT = graphql("mutation Logout { logout }");

/** Ends the session on the server (everywhere it is used) and forgets the user here. */
export async function logout(): Promise<void> {
  await endOwnSession(async () => {
    try {
      await query(LOGOUT);
    } catch (error) {
      // Without a session there is nothing left to end on the server.
      if (!(error instanceof GraphQLRequestError && error.code === "UNAUTHENTICATED")) throw error;
    }
  }, "You signed out.");
}

const REVOKE_ALL_SESSIONS = graphql(
  "mutation RevokeAllSessions($includeApiKeys: Boolean) { revokeAllSessions(includeApiKeys: $includeApiKeys) }",
);

/**
 * Ends every session of the user, this one included (with `includeApiKeys` also revokes all their
 * API keys), and forgets the user here. Resolves how many sessions ended.
 */
export async function signOutEverywhere({ includeApiKeys = false }: { includeApiKeys?: boolean } = {}): Promise<number> {
  const { revokeAllSessions } = await endOwnSession(
    () => query(REVOKE_ALL_SESSIONS, { includeApiKeys }),
    includeApiKeys ? "You signed out everywhere and revoked your API keys." : "You signed out everywhere.",
  );
  return revokeAllSessions;
}

const REVOKE_SESSION = graphql("mutation RevokeSession($id: ID!) { revokeSession(id: $id) }");

/** Ends one of the user's sessions; ending the current one signs out here. Resolves false when it was already over. */
export async function revokeSession(id: string, { current }: { current: boolean }): Promise<boolean> {
  const revoke = () => query(REVOKE_SESSION, { id });
  const { revokeSession } = current ? await endOwnSession(revoke, "You signed out.") : await revoke();
  return revokeSession;
}
