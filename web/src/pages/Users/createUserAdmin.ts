// The Users page's state: every user (admins manage them here), the new-user form, and each
// row's actions: role, disabling, a new password (optionally removing two-factor sign-in too),
// removing two-factor sign-in, deletion. Views only read these and call actions.

import { createSignal } from "solid-js";
import { createAction, createRowActions } from "../../lib/action";
import { currentUser, type Role } from "../../lib/auth";
import { MIN_PASSWORD_LENGTH, passwordLengthProblem } from "../../lib/credentials";
import {
  createUser,
  deleteUser,
  fetchUsers,
  removeUserTotp,
  resetUserPassword,
  setUserDisabled,
  setUserRole,
  type User,
} from "./userOperations";

/** The roles a user can be given, in the order the pickers list them; the type check keeps this to the schema's Role enum. */
export const ROLE_CHOICES = Object.keys({ viewer: true, operator: true, admin: true } satisfies Record<Role, true>) as Role[];

export type UserRowAction = "role" | "disabled" | "password" | "totp" | "delete";

const byUsername = (a: User, b: User) => a.username.localeCompare(b.username);

export function createUserAdmin() {
  // ---- The list ----
  const [users, setUsers] = createSignal<readonly User[]>([]);
  const [loaded, setLoaded] = createSignal(false);
  const load = createAction(async () => {
    setUsers([...(await fetchUsers())].sort(byUsername));
    setLoaded(true);
  });
  void load.run();

  const replace = (user: User) => setUsers((list) => list.map((each) => (each.id === user.id ? user : each)));
  const isSelf = (user: User) => currentUser()?.id === user.id;

  // ---- The new-user form ----
  const [newUsername, setNewUsername] = createSignal("");
  const [newPassword, setNewPassword] = createSignal("");
  const [newRole, setNewRole] = createSignal<Role>("viewer");
  const [created, setCreated] = createSignal<string | null>(null);
  const create = createAction(async () => {
    const user = await createUser({ username: newUsername().trim(), password: newPassword(), role: newRole() });
    setUsers((list) => [...list.filter((each) => each.id !== user.id), user].sort(byUsername));
    setCreated(user.username);
    setNewUsername("");
    setNewPassword("");
  });
  // What was typed for the failed attempt is being changed now: its error and the last success go.
  const editingNewUser =
    <T>(set: (value: T) => void) =>
    (value: T) => {
      set(value);
      create.clearError();
      setCreated(null);
    };

  // ---- Row actions ----
  const rows = createRowActions<UserRowAction>();
  // What the last action on a row achieved, shown beside it until the next one.
  const [notices, setNotices] = createSignal<Readonly<Record<string, string>>>({});
  const notify = (id: string, text: string | null) =>
    setNotices((all) => {
      const { [id]: _old, ...rest } = all;
      return text === null ? rest : { ...rest, [id]: text };
    });

  async function changeRole(user: User, role: Role) {
    if (role === user.role) return;
    notify(user.id, null);
    const updated = await rows.run(user.id, "role", () => setUserRole(user.id, role));
    if (updated) {
      replace(updated);
      notify(user.id, `Role changed to ${updated.role}.`);
    }
  }

  async function toggleDisabled(user: User) {
    notify(user.id, null);
    const updated = await rows.run(user.id, "disabled", () => setUserDisabled(user.id, !user.disabled));
    if (updated) {
      replace(updated);
      notify(user.id, updated.disabled ? "Disabled: their sessions and keys no longer work." : "Enabled again.");
    }
  }

  async function removeTotp(user: User) {
    notify(user.id, null);
    const updated = await rows.run(user.id, "totp", () => removeUserTotp(user.id));
    if (updated) {
      replace(updated);
      notify(user.id, `Two-factor sign-in removed: ${updated.username} signs in with the password alone.`);
    }
  }

  async function remove(user: User) {
    notify(user.id, null);
    const deleted = await rows.run(user.id, "delete", () => deleteUser(user.id));
    if (deleted !== undefined) setUsers((list) => list.filter((each) => each.id !== user.id));
  }

  // ---- The new-password form, open on one row at a time ----
  const [resetOpenFor, setResetOpenFor] = createSignal<string | null>(null);
  const [resetPassword, setResetPasswordText] = createSignal("");
  const [resetRemovesTotp, setResetRemovesTotp] = createSignal(false);

  function openReset(user: User) {
    notify(user.id, null);
    rows.clearError(user.id);
    setResetPasswordText("");
    setResetRemovesTotp(false);
    setResetOpenFor(user.id);
  }

  function closeReset() {
    setResetOpenFor(null);
    setResetPasswordText("");
    setResetRemovesTotp(false);
  }

  async function submitReset(user: User) {
    const password = resetPassword();
    if (password.length < MIN_PASSWORD_LENGTH) return;
    const removeTotp = user.totpEnabled && resetRemovesTotp();
    const done = await rows.run(user.id, "password", () => resetUserPassword(user.id, password, { removeTotp }));
    if (done !== undefined) {
      closeReset();
      if (removeTotp) replace({ ...user, totpEnabled: false });
      notify(
        user.id,
        `New password set for ${user.username}; their API keys were revoked${removeTotp ? " and two-factor sign-in removed" : ""}.`,
      );
    }
  }

  return {
    list: { users, loaded, loading: load.busy, error: load.error, reload: () => void load.run() },
    isSelf,
    newUser: {
      username: newUsername,
      setUsername: editingNewUser(setNewUsername),
      password: newPassword,
      setPassword: editingNewUser(setNewPassword),
      role: newRole,
      setRole: editingNewUser(setNewRole),
      passwordProblem: () => passwordLengthProblem(newPassword()),
      created,
      busy: create.busy,
      error: create.error,
      canCreate: () => newUsername().trim() !== "" && newPassword().length >= MIN_PASSWORD_LENGTH && !create.busy(),
      create: () => void create.run(),
    },
    rows: {
      busy: rows.busy,
      error: rows.error,
      notice: (id: string) => notices()[id],
      changeRole,
      toggleDisabled,
      removeTotp,
      remove,
    },
    reset: {
      openFor: resetOpenFor,
      password: resetPassword,
      setPassword: setResetPasswordText,
      removesTotp: resetRemovesTotp,
      setRemovesTotp: setResetRemovesTotp,
      problem: () => passwordLengthProblem(resetPassword()),
      open: openReset,
      close: closeReset,
      submit: submitReset,
      canSubmit: (user: User) => resetPassword().length >= MIN_PASSWORD_LENGTH && !rows.busy(user.id),
    },
  };
}

export type UserAdmin = ReturnType<typeof createUserAdmin>;
