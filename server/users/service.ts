// User management for admins: list, create, change role, disable or enable, delete, reset a
// password, remove a second factor. There is always at least one enabled admin. Changes that take
// rights away end the user's sessions and close their sockets at once. An admin's own password and
// second factor change only under Account, where the current password is asked for.

import { hashPassword, validatePassword } from "../auth/passwords";
import { isRole, type Role } from "../auth/roles";
import type { AuthStore, User } from "../auth/store";
import type { SignedInViewer } from "../auth/viewer";
import { ConflictError, InvalidInputError, NotFoundError } from "../errors";
import type { EventBus } from "../events";

export function createUserService({
  store,
  events,
  createUser,
  revokeApiKeys,
  now = Date.now,
}: {
  store: AuthStore;
  events: EventBus;
  createUser: (username: string, password: string, role: Role) => Promise<User>;
  /** Revokes every API key of a user. */
  revokeApiKeys: (userId: string) => number;
  now?: () => number;
}) {
  const existing = (id: string): User => {
    const user = store.userById(id);
    if (!user) throw new NotFoundError(`No user with id ${id}.`);
    return user;
  };
  const role = (value: string): Role => {
    if (!isRole(value)) throw new InvalidInputError("Role must be admin, operator or viewer.");
    return value;
  };
  /** Throws when `user` is the last enabled admin and the change would remove them. */
  const keepAnAdmin = (user: User, what: string) => {
    if (user.role === "admin" && !user.disabled && store.countActiveAdmins() <= 1)
      throw new ConflictError(`Cannot ${what} the last enabled admin; make another user admin first.`);
  };
  /** Throws when `id` is the viewer: their own password and second factor need their password (Account). */
  const notSelf = (viewer: SignedInViewer, id: string, what: string) => {
    if (viewer.userId === id) throw new InvalidInputError(`Change your own ${what} under Account, with your current password.`);
  };

  return {
    list: (): User[] => store.allUsers(),

    create: (input: { username: string; password: string; role: string }) => createUser(input.username, input.password, role(input.role)),

    /** Changes the role; it applies to the user's next request (sockets re-check at once). */
    setRole(id: string, newRole: string): User {
      const user = existing(id);
      const next = role(newRole);
      if (next !== "admin") keepAnAdmin(user, "demote");
      store.setRole(id, next, now());
      events.publish("auth.credentials-changed", { userId: id });
      return existing(id);
    },

    /** Disabling ends every session of the user and stops their API keys. */
    setDisabled(id: string, disabled: boolean): User {
      const user = existing(id);
      if (disabled) keepAnAdmin(user, "disable");
      store.transaction(() => {
        store.setDisabled(id, disabled, now());
        if (disabled) store.revokeUserSessions(id, now(), "account-disabled");
      });
      events.publish("auth.credentials-changed", { userId: id });
      return existing(id);
    },

    delete(id: string): boolean {
      keepAnAdmin(existing(id), "delete");
      const deleted = store.deleteUser(id);
      events.publish("auth.credentials-changed", { userId: id });
      return deleted;
    },

    /**
     * Sets another user's password, ends their sessions and revokes their API keys (whoever made
     * them may have known the old password); with `removeTotp` also turns their second factor off.
     */
    async resetPassword(viewer: SignedInViewer, id: string, newPassword: string, { removeTotp = false } = {}): Promise<boolean> {
      notSelf(viewer, id, "password");
      existing(id);
      validatePassword(newPassword);
      const hash = await hashPassword(newPassword);
      store.transaction(() => {
        store.setPasswordHash(id, hash, now());
        store.revokeUserSessions(id, now(), "password-reset");
        if (removeTotp) store.disableTotp(id, now());
        revokeApiKeys(id);
      });
      events.publish("auth.credentials-changed", { userId: id });
      return true;
    },

    /**
     * Turns another user's two-factor sign-in off (a lost phone, or a factor someone else put on
     * the account), so they sign in with the password alone. Their sessions and keys stay.
     */
    removeTotp(viewer: SignedInViewer, id: string): User {
      notSelf(viewer, id, "two-factor sign-in");
      existing(id);
      store.transaction(() => store.disableTotp(id, now()));
      return existing(id);
    },
  };
}

export type UserService = ReturnType<typeof createUserService>;
