// Who is signed in, and the operations that change it. The session itself is a pair of HttpOnly
// cookies the server sets and clears; this module only ever sees the user.

import { createSignal } from "solid-js";
import { closeSubscriptionSocket, GraphQLRequestError, onSessionEnded, query } from "./graphql";

export type Role = "admin" | "operator" | "viewer";

export interface CurrentUser {
  id: string;
  username: string;
  role: Role;
}

export interface Health {
  ok: boolean;
  setupRequired: boolean;
}

const USER_FIELDS = "id username role";

const [currentUser, setCurrentUser] = createSignal<CurrentUser | null | undefined>(undefined);

/** The signed-in user; null when signed out, undefined until `loadCurrentUser` has answered. */
export { currentUser };

onSessionEnded(() => {
  setCurrentUser(null);
  closeSubscriptionSocket();
});

/** True when `role` may create, change and delete data (everyone but viewers). */
export function mayChangeData(role: Role): boolean {
  return role !== "viewer";
}

/** Asks the server who the session belongs to; resolves null when there is no session. */
export async function loadCurrentUser(): Promise<CurrentUser | null> {
  try {
    const { me } = await query<{ me: CurrentUser }>(`query Me { me { ${USER_FIELDS} } }`);
    setCurrentUser(me);
    return me;
  } catch (error) {
    if (error instanceof GraphQLRequestError && error.code === "UNAUTHENTICATED") {
      setCurrentUser(null);
      return null;
    }
    throw error;
  }
}

/** Whether the server is up and still waits for its first admin. Needs no session. */
export async function fetchHealth(): Promise<Health> {
  const { health } = await query<{ health: Health }>("query Health { health { ok setupRequired } }", undefined, { needsSession: false });
  return health;
}

/** Starts a session; rejects with UNAUTHENTICATED ("Wrong username or password.") and the like. */
export async function login(username: string, password: string): Promise<CurrentUser> {
  const { login } = await query<{ login: { user: CurrentUser } }>(
    `mutation Login($username: String!, $password: String!) { login(username: $username, password: $password) { user { ${USER_FIELDS} } } }`,
    { username, password },
    { needsSession: false },
  );
  closeSubscriptionSocket();
  setCurrentUser(login.user);
  return login.user;
}

/** Creates the first admin with the one-time setup token and signs them in. */
export async function setup(token: string, username: string, password: string): Promise<CurrentUser> {
  const { setup } = await query<{ setup: { user: CurrentUser } }>(
    `mutation Setup($token: String!, $username: String!, $password: String!) { setup(token: $token, username: $username, password: $password) { user { ${USER_FIELDS} } } }`,
    { token, username, password },
    { needsSession: false },
  );
  closeSubscriptionSocket();
  setCurrentUser(setup.user);
  return setup.user;
}

/** Ends the session on the server (everywhere it is used) and forgets the user here. */
export async function logout(): Promise<void> {
  try {
    await query<{ logout: boolean }>("mutation Logout { logout }");
  } catch (error) {
    // Without a session there is nothing left to end on the server.
    if (!(error instanceof GraphQLRequestError && error.code === "UNAUTHENTICATED")) throw error;
  }
  closeSubscriptionSocket();
  setCurrentUser(null);
}
