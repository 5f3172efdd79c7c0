// User management's GraphQL operations (for those with users:manage), typed for the Users page.

import type { Role } from "../../lib/auth";
import { query } from "../../lib/graphql";
import { graphql, type ResultOf, type VariablesOf } from "../../lib/operation";

const USER_FIELDS = "id username role disabled createdAt totpEnabled";

const USERS = graphql(`query Users { users { ${USER_FIELDS} } }`);

export type User = ResultOf<typeof USERS>["users"][number];

export async function fetchUsers(): Promise<readonly User[]> {
  const { users } = await query(USERS);
  return users;
}

const CREATE_USER = graphql(`mutation CreateUser($username: String!, $password: String!, $role: Role!) {
  createUser(username: $username, password: $password, role: $role) { ${USER_FIELDS} }
}`);

export async function createUser(input: VariablesOf<typeof CREATE_USER>): Promise<User> {
  const { createUser } = await query(CREATE_USER, input);
  return createUser;
}

const SET_USER_ROLE = graphql(`mutation SetUserRole($id: ID!, $role: Role!) { setUserRole(id: $id, role: $role) { ${USER_FIELDS} } }`);

export async function setUserRole(id: string, role: Role): Promise<User> {
  const { setUserRole } = await query(SET_USER_ROLE, { id, role });
  return setUserRole;
}

const SET_USER_DISABLED = graphql(`mutation SetUserDisabled($id: ID!, $disabled: Boolean!) {
  setUserDisabled(id: $id, disabled: $disabled) { ${USER_FIELDS} }
}`);

/** Disabling a user ends their sessions, closes their sockets and stops their API keys; enabling lets them sign in again. */
export async function setUserDisabled(id: string, disabled: boolean): Promise<User> {
  const { setUserDisabled } = await query(SET_USER_DISABLED, { id, disabled });
  return setUserDisabled;
}

const DELETE_USER = graphql("mutation DeleteUser($id: ID!) { deleteUser(id: $id) }");

/** Fails with CONFLICT for the last enabled admin. */
export async function deleteUser(id: string): Promise<boolean> {
  const { deleteUser } = await query(DELETE_USER, { id });
  return deleteUser;
}

const RESET_USER_PASSWORD = graphql(`mutation ResetUserPassword($id: ID!, $newPassword: String!, $removeTotp: Boolean) {
  resetUserPassword(id: $id, newPassword: $newPassword, removeTotp: $removeTotp)
}`);

/**
 * Sets another user's password, ends their sessions and revokes their API keys; with `removeTotp`
 * also turns their two-factor sign-in off. Refused for oneself (that is changePassword, under Account).
 */
export async function resetUserPassword(id: string, newPassword: string, { removeTotp = false } = {}): Promise<boolean> {
  const { resetUserPassword } = await query(RESET_USER_PASSWORD, { id, newPassword, removeTotp });
  return resetUserPassword;
}

const REMOVE_USER_TOTP = graphql(`mutation RemoveUserTotp($id: ID!) { removeUserTotp(id: $id) { ${USER_FIELDS} } }`);

/** Turns another user's two-factor sign-in off: they sign in with the password alone. Refused for oneself. */
export async function removeUserTotp(id: string): Promise<User> {
  const { removeUserTotp } = await query(REMOVE_USER_TOTP, { id });
  return removeUserTotp;
}
