// User management's GraphQL operations (admins only), typed for the Users page.

import type { Role } from "../../lib/auth";
import { query } from "../../lib/graphql";

export interface User {
  id: string;
  username: string;
  role: Role;
  disabled: boolean;
  createdAt: string;
  totpEnabled: boolean;
}

const USER_FIELDS = "id username role disabled createdAt totpEnabled";

export async function fetchUsers(): Promise<User[]> {
  const { users } = await query<{ users: User[] }>(`query Users { users { ${USER_FIELDS} } }`);
  return users;
}

export async function createUser(input: { username: string; password: string; role: Role }): Promise<User> {
  const { createUser } = await query<{ createUser: User }>(
    `mutation CreateUser($username: String!, $password: String!, $role: Role!) {
      createUser(username: $username, password: $password, role: $role) { ${USER_FIELDS} }
    }`,
    { ...input },
  );
  return createUser;
}

export async function setUserRole(id: string, role: Role): Promise<User> {
  const { setUserRole } = await query<{ setUserRole: User }>(
    `mutation SetUserRole($id: ID!, $role: Role!) { setUserRole(id: $id, role: $role) { ${USER_FIELDS} } }`,
    { id, role },
  );
  return setUserRole;
}

/** Disabling a user ends their sessions, closes their sockets and stops their API keys; enabling lets them sign in again. */
export async function setUserDisabled(id: string, disabled: boolean): Promise<User> {
  const { setUserDisabled } = await query<{ setUserDisabled: User }>(
    `mutation SetUserDisabled($id: ID!, $disabled: Boolean!) { setUserDisabled(id: $id, disabled: $disabled) { ${USER_FIELDS} } }`,
    { id, disabled },
  );
  return setUserDisabled;
}

/** Fails with CONFLICT for the last enabled admin. */
export async function deleteUser(id: string): Promise<boolean> {
  const { deleteUser } = await query<{ deleteUser: boolean }>("mutation DeleteUser($id: ID!) { deleteUser(id: $id) }", { id });
  return deleteUser;
}

/** Sets another user's password and ends their sessions. */
export async function resetUserPassword(id: string, newPassword: string): Promise<boolean> {
  const { resetUserPassword } = await query<{ resetUserPassword: boolean }>(
    "mutation ResetUserPassword($id: ID!, $newPassword: String!) { resetUserPassword(id: $id, newPassword: $newPassword) }",
    { id, newPassword },
  );
  return resetUserPassword;
}
