// User management for admins: list, create, change role, disable or enable, delete, reset a
// password. There is always at least one enabled admin. Changes that take rights away end the
// user's sessions and close their sockets at once.

import { hashPassword, validatePassword } from "../auth/passwords";
import { isRole, type Role } from "../auth/roles";
import type { AuthStore, User } from "../auth/store";
import { ConflictError, InvalidInputError, NotFoundError } from "../errors";
import type { EventBus } from "../events";

export function createUserService({
  store,
  events,
  createUser,
  now = Date.now,
}: {
  store: AuthStore;
  events: EventBus;
  createUser: (username: string, password: string, role: Role) => Promise<User>;
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
  const endSessions = (userId: string) => {
    store.revokeUserSessions(userId, now());
    events.publish("auth.credentials-changed", { userId });
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
        if (disabled) store.revokeUserSessions(id, now());
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

    /** Sets a new password and ends the user's sessions. */
    async resetPassword(id: string, newPassword: string): Promise<boolean> {
      existing(id);
      validatePassword(newPassword);
      store.setPasswordHash(id, await hashPassword(newPassword), now());
      endSessions(id);
      return true;
    },
  };
}

export type UserService = ReturnType<typeof createUserService>;
