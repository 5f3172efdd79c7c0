// User management, for admins.

import { auditTarget } from "./audit";
import { RoleEnum, UserType } from "./auth";
import { builder } from "./builder";
import { signedInViewer } from "./context";

builder.queryField("users", (t) =>
  t.field({ type: [UserType], authScopes: { permission: "users:manage" }, resolve: (_root, _args, ctx) => ctx.services.users.list() }),
);

builder.mutationFields((t) => ({
  createUser: t.field({
    type: UserType,
    authScopes: { permission: "users:manage" },
    extensions: auditTarget("username", "role"),
    args: {
      username: t.arg.string({ required: true }),
      password: t.arg.string({ required: true }),
      role: t.arg({ type: RoleEnum, required: true }),
    },
    resolve: (_root, args, ctx) => ctx.services.users.create(args),
  }),
  setUserRole: t.field({
    type: UserType,
    description: "Takes effect on the user's next request; the last enabled admin cannot be demoted.",
    authScopes: { permission: "users:manage" },
    extensions: auditTarget("id", "role"),
    args: { id: t.arg.id({ required: true }), role: t.arg({ type: RoleEnum, required: true }) },
    resolve: (_root, { id, role }, ctx) => ctx.services.users.setRole(String(id), role),
  }),
  setUserDisabled: t.field({
    type: UserType,
    description: "Disabling ends the user's sessions, closes their sockets and stops their API keys.",
    authScopes: { permission: "users:manage" },
    extensions: auditTarget("id", "disabled"),
    args: { id: t.arg.id({ required: true }), disabled: t.arg.boolean({ required: true }) },
    resolve: (_root, { id, disabled }, ctx) => ctx.services.users.setDisabled(String(id), disabled),
  }),
  deleteUser: t.boolean({
    description: "Refuses to delete the last enabled admin (CONFLICT).",
    authScopes: { permission: "users:manage" },
    extensions: auditTarget("id"),
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, { id }, ctx) => ctx.services.users.delete(String(id)),
  }),
  resetUserPassword: t.boolean({
    description:
      "Sets a new password for another user, ends their sessions and revokes their API keys; with removeTotp also turns their two-factor sign-in off. Your own password changes with changePassword.",
    authScopes: { permission: "users:manage" },
    extensions: auditTarget("id", "removeTotp"),
    args: {
      id: t.arg.id({ required: true }),
      newPassword: t.arg.string({ required: true }),
      removeTotp: t.arg.boolean({ defaultValue: false }),
    },
    resolve: (_root, { id, newPassword, removeTotp }, ctx) =>
      ctx.services.users.resetPassword(signedInViewer(ctx), String(id), newPassword, { removeTotp: removeTotp ?? false }),
  }),
  removeUserTotp: t.field({
    type: UserType,
    description:
      "Turns another user's two-factor sign-in off (a lost phone, or a factor put on by someone else): they sign in with the password alone. Your own turns off with disableTotp.",
    authScopes: { permission: "users:manage" },
    extensions: auditTarget("id"),
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, { id }, ctx) => ctx.services.users.removeTotp(signedInViewer(ctx), String(id)),
  }),
}));
