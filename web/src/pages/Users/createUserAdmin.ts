// The Users page's state: every user (admins manage them here), the new-user form, and each
// row's actions: role, disabling, a new password (optionally removing two-factor sign-in too),
// removing two-factor sign-in, deletion. Each of those row actions asks first, since none can be
// taken back as it was (sessions end, keys are revoked). Views only read these and call actions.

import { createSignal } from "solid-js";
import { type SavedNotice, savedNotice } from "../../components/Saved";
import { createAction, createRowActions } from "../../lib/action";
import { currentUser, type Role } from "../../lib/auth";
import { confirmAction } from "../../lib/confirm";
import { MIN_PASSWORD_LENGTH, passwordLengthProblem, usernameProblem } from "../../lib/credentials";
import { createFormChecks } from "../../lib/formChecks";
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

/** "an operator", "a viewer". */
const withArticle = (role: Role) => `${/^[aeiou]/.test(role) ? "an" : "a"} ${role}`;

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
  const [created, setCreated] = createSignal<SavedNotice | null>(null);
  const newUserChecks = createFormChecks({
    username: {
      empty: () => newUsername().trim() === "",
      required: "Choose a username.",
      check: () => usernameProblem(newUsername().trim()),
    },
    password: {
      empty: () => newPassword() === "",
      required: "Choose a first password.",
      check: () => passwordLengthProblem(newPassword()),
    },
  });
  const create = createAction(async () => {
    const user = await createUser({ username: newUsername().trim(), password: newPassword(), role: newRole() });
    setUsers((list) => [...list.filter((each) => each.id !== user.id), user].sort(byUsername));
    setCreated(savedNotice(`Created ${user.username}.`));
    setNewUsername("");
    setNewPassword("");
    newUserChecks.reset();
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
  // What the last action on a row achieved, shown beside it briefly.
  const [notices, setNotices] = createSignal<Readonly<Record<string, SavedNotice>>>({});
  const notify = (id: string, text: string | null) =>
    setNotices((all) => {
      const { [id]: _old, ...rest } = all;
      return text === null ? rest : { ...rest, [id]: savedNotice(text) };
    });

  async function changeRole(user: User, role: Role) {
    if (role === user.role) return;
    notify(user.id, null);
    const goAhead = await confirmAction({
      question: `Make ${user.username} ${withArticle(role)}?`,
      detail: `They are ${withArticle(user.role)} now. What they may do changes at once, on every device they use.`,
      confirmLabel: `Make ${role}`,
    });
    if (!goAhead) return;
    const updated = await rows.run(user.id, "role", () => setUserRole(user.id, role));
    if (updated) {
      replace(updated);
      notify(user.id, `Role changed to ${updated.role}.`);
    }
  }

  async function toggleDisabled(user: User) {
    notify(user.id, null);
    // Enabling gives back what disabling took; only disabling asks.
    if (
      !user.disabled &&
      !(await confirmAction({
        question: `Disable ${user.username}?`,
        detail: "They are signed out everywhere at once and their API keys stop working, until you enable them again.",
        confirmLabel: "Disable",
      }))
    )
      return;
    const updated = await rows.run(user.id, "disabled", () => setUserDisabled(user.id, !user.disabled));
    if (updated) {
      replace(updated);
      notify(user.id, updated.disabled ? "Disabled: their sessions and keys no longer work." : "Enabled again.");
    }
  }

  async function removeTotp(user: User) {
    notify(user.id, null);
    const goAhead = await confirmAction({
      question: `Remove two-factor sign-in for ${user.username}?`,
      detail: "They sign in with their password alone until they set it up again.",
      confirmLabel: "Remove 2FA",
    });
    if (!goAhead) return;
    const updated = await rows.run(user.id, "totp", () => removeUserTotp(user.id));
    if (updated) {
      replace(updated);
      notify(user.id, `Two-factor sign-in removed: ${updated.username} signs in with the password alone.`);
    }
  }

  async function remove(user: User) {
    notify(user.id, null);
    const goAhead = await confirmAction({
      question: `Delete the user ${user.username}?`,
      detail: "Their sessions and API keys stop working. This cannot be undone.",
      confirmLabel: "Delete user",
    });
    if (!goAhead) return;
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
    const goAhead = await confirmAction({
      question: `Set a new password for ${user.username}?`,
      detail: `Their sessions end and their API keys are revoked${removeTotp ? "; two-factor sign-in is removed" : ""}. They sign in with the new password from now on.`,
      confirmLabel: "Set password",
    });
    if (!goAhead) return;
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
      problem: newUserChecks.problem,
      created,
      busy: create.busy,
      error: create.error,
      canCreate: () => !create.busy(),
      create: () => {
        if (newUserChecks.passes()) void create.run();
      },
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
