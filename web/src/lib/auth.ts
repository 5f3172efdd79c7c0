// Who is signed in, and the operations that change it. The session itself is a pair of HttpOnly
// cookies the server sets and clears; this module only ever sees the user.

import { createSignal } from "solid-js";
import { closeSubscriptionSocket, GraphQLRequestError, onSessionEnded, query } from "./graphql";
import { graphql, type ResultOf, type SchemaEnum } from "./operation";

export type Role = SchemaEnum<"Role">;

// What the UI keeps of the signed-in user; every operation that signs someone in asks for it.
const USER_FIELDS = "id username role permissions";

const ME = graphql(`query Me { me { ${USER_FIELDS} } }`);

export type CurrentUser = ResultOf<typeof ME>["me"];

const [currentUser, setCurrentUser] = createSignal<CurrentUser | null | undefined>(undefined);

/** The signed-in user; null when signed out, undefined until `loadCurrentUser` has answered. */
export { currentUser };

// Whether the user ended the session themselves (sign out, sign out everywhere) rather than it
// lapsing: a lapsed session returns to its page after signing in again, an ended one starts afresh.
let endedOnPurpose = false;

/** True when the last session ended because the user asked for it. */
export function sessionEndedOnPurpose(): boolean {
  return endedOnPurpose;
}

function forgetUser({ onPurpose }: { onPurpose: boolean }) {
  endedOnPurpose = onPurpose;
  closeSubscriptionSocket();
  setCurrentUser(null);
}

function adoptUser(user: CurrentUser) {
  endedOnPurpose = false;
  closeSubscriptionSocket();
  setCurrentUser(user);
}

onSessionEnded(() => forgetUser({ onPurpose: false }));

/** Asks the server who the session belongs to; resolves null when there is no session. */
export async function loadCurrentUser(): Promise<CurrentUser | null> {
  try {
    const { me } = await query(ME);
    setCurrentUser(me);
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
  try {
    await query(LOGOUT);
  } catch (error) {
    // Without a session there is nothing left to end on the server.
    if (!(error instanceof GraphQLRequestError && error.code === "UNAUTHENTICATED")) throw error;
  }
  forgetUser({ onPurpose: true });
}

const REVOKE_ALL_SESSIONS = graphql(
  "mutation RevokeAllSessions($includeApiKeys: Boolean) { revokeAllSessions(includeApiKeys: $includeApiKeys) }",
);

/**
 * Ends every session of the user, this one included (with `includeApiKeys` also revokes all their
 * API keys), and forgets the user here. Resolves how many sessions ended.
 */
export async function signOutEverywhere({ includeApiKeys = false }: { includeApiKeys?: boolean } = {}): Promise<number> {
  const { revokeAllSessions } = await query(REVOKE_ALL_SESSIONS, { includeApiKeys });
  forgetUser({ onPurpose: true });
  return revokeAllSessions;
}

const REVOKE_SESSION = graphql("mutation RevokeSession($id: ID!) { revokeSession(id: $id) }");

/** Ends one of the user's sessions; ending the current one signs out here. Resolves false when it was already over. */
export async function revokeSession(id: string, { current }: { current: boolean }): Promise<boolean> {
  const { revokeSession } = await query(REVOKE_SESSION, { id });
  if (current) forgetUser({ onPurpose: true });
  return revokeSession;
}
