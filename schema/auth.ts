// Sign-in: first-run setup, login, refresh, logout, the current user, and the public health field.
import { ROLES } from "../server/auth/roles";
import type { AuthSession, User } from "../server/auth/service";
import { UnauthenticatedError } from "../server/errors";
import { clearedSessionCookies, sessionCookies } from "../server/http/cookies";
import { auditTarget } from "./audit";
import { builder } from "./builder";
import type { Context } from "./context";

export const RoleEnum = builder.enumType("Role", {
  description: "viewer reads; operator also changes data; admin also manages users and the server.",
  values: ROLES,
});

export const UserType = builder.objectRef<User>("User").implement({
  fields: (t) => ({
    id: t.exposeID("id"),
    username: t.exposeString("username"),
    role: t.field({ type: RoleEnum, resolve: (u) => u.role }),
    disabled: t.exposeBoolean("disabled"),
    totpEnabled: t.exposeBoolean("totpEnabled", { description: "Whether sign-in needs an authenticator code." }),
    createdAt: t.expose("createdAt", { type: "DateTime" }),
    permissions: t.stringList({
      description:
        "What this user may do: their role's permissions, or for `me` through an API key, what the key may do. The web UI shows what these allow.",
      resolve: (user, _args, ctx) =>
        ctx.viewer.kind !== "anonymous" && ctx.viewer.userId === user.id
          ? [...ctx.viewer.permissions]
          : [...ctx.services.auth.permissionsOfRole(user.role)],
    }),
  }),
});

const AuthPayload = builder.objectRef<AuthSession>("AuthPayload").implement({
  description: "A new session. The web UI receives the same tokens as HttpOnly cookies and need not read them.",
  fields: (t) => ({
    accessToken: t.exposeString("accessToken"),
    accessTokenExpiresAt: t.expose("accessTokenExpiresAt", { type: "DateTime" }),
    refreshToken: t.exposeString("refreshToken"),
    refreshTokenExpiresAt: t.expose("refreshTokenExpiresAt", { type: "DateTime" }),
    user: t.field({ type: UserType, resolve: (s) => s.user }),
  }),
});

const Health = builder.objectRef<{ ok: boolean; setupRequired: boolean }>("Health").implement({
  fields: (t) => ({
    ok: t.exposeBoolean("ok"),
    setupRequired: t.exposeBoolean("setupRequired", { description: "True until the first admin exists." }),
  }),
});

const secure = (ctx: Context) => ctx.secure;
const withCookies = (ctx: Context, session: AuthSession) => {
  ctx.responseCookies.push(...sessionCookies(session, secure(ctx)));
  return session;
};

builder.queryFields((t) => ({
  health: t.field({
    type: Health,
    authScopes: { public: true },
    resolve: (_root, _args, ctx) => ({ ok: true, setupRequired: ctx.services.auth.needsSetup() }),
  }),
  me: t.field({
    type: UserType,
    description: "The signed-in user, or the owner of the API key in use.",
    authScopes: { signedIn: true },
    resolve: (_root, _args, ctx) => {
      const user = ctx.viewer.kind === "anonymous" ? null : ctx.services.auth.userById(ctx.viewer.userId);
      if (!user) throw new UnauthenticatedError();
      return user;
    },
  }),
}));

builder.mutationFields((t) => ({
  setup: t.field({
    type: AuthPayload,
    description: "Creates the first admin with the one-time token from the server log. Works only while no user exists.",
    authScopes: { public: true },
    extensions: auditTarget("username"),
    args: {
      token: t.arg.string({ required: true }),
      username: t.arg.string({ required: true }),
      password: t.arg.string({ required: true }),
    },
    resolve: async (_root, args, ctx) => withCookies(ctx, await ctx.services.auth.setup(args, ctx.client)),
  }),
  login: t.field({
    type: AuthPayload,
    description:
      "Signs in. With two-factor on, totpCode (or a recovery code) is needed too: without it the error has extensions.totpRequired. After 5 failures in 5 minutes, LIMIT_EXCEEDED with extensions.retryAfterSeconds.",
    authScopes: { public: true },
    extensions: auditTarget("username"),
    args: { username: t.arg.string({ required: true }), password: t.arg.string({ required: true }), totpCode: t.arg.string() },
    resolve: async (_root, args, ctx) => withCookies(ctx, await ctx.services.auth.login(args, ctx.client)),
  }),
  refresh: t.field({
    type: AuthPayload,
    description: "Trades a refresh token (argument, or the UI's cookie) for a new pair. Each refresh token works once.",
    authScopes: { public: true },
    args: { refreshToken: t.arg.string() },
    resolve: async (_root, args, ctx) => {
      const token = args.refreshToken ?? ctx.refreshTokenFromCookie;
      if (!token) throw new UnauthenticatedError("No refresh token; sign in again.");
      return withCookies(ctx, await ctx.services.auth.refresh(token, ctx.client));
    },
  }),
  logout: t.boolean({
    description: "Ends the current session everywhere it is used.",
    authScopes: { permission: "account" },
    resolve: (_root, _args, ctx) => {
      ctx.responseCookies.push(...clearedSessionCookies(secure(ctx)));
      return ctx.services.auth.logout(ctx.viewer);
    },
  }),
}));
