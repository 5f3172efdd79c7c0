// API keys: create (secret shown once), list, revoke.
import { type ApiKey, type ApiKeyPage, apiKeyCursor } from "../server/api-keys/service";
import { auditTarget } from "./audit";
import { UserType } from "./auth";
import { builder } from "./builder";
import { signedInViewer } from "./context";
import { connectionOf, decodeCursor, encodeCursor, type Page } from "./pagination";

const ApiKeyType = builder.objectRef<ApiKey>("ApiKey").implement({
  fields: (t) => ({
    id: t.exposeID("id"),
    name: t.exposeString("name"),
    prefix: t.exposeString("prefix", { description: "The first characters of the secret, to recognise it." }),
    scopes: t.exposeStringList("scopes"),
    createdAt: t.expose("createdAt", { type: "DateTime" }),
    expiresAt: t.expose("expiresAt", { type: "DateTime", nullable: true }),
    lastUsedAt: t.expose("lastUsedAt", { type: "DateTime", nullable: true, description: "To the minute." }),
    revokedAt: t.expose("revokedAt", { type: "DateTime", nullable: true }),
    owner: t.field({ type: UserType, nullable: true, resolve: (key, _args, ctx) => ctx.services.auth.userById(key.userId) }),
  }),
});

const CreatedApiKey = builder.objectRef<{ apiKey: ApiKey; secret: string }>("CreatedApiKey").implement({
  fields: (t) => ({
    apiKey: t.field({ type: ApiKeyType, resolve: (created) => created.apiKey }),
    secret: t.exposeString("secret", { description: "Use as `Authorization: Bearer <secret>`. Shown only now." }),
  }),
});

const ApiKeyConnection = connectionOf("ApiKey", ApiKeyType);

const asConnection = ({ keys, hasNextPage }: ApiKeyPage): Page<ApiKey> => ({
  items: keys,
  hasNextPage,
  cursorOf: (key) => encodeCursor(apiKeyCursor(key)),
});

builder.queryFields((t) => ({
  apiKeys: t.field({
    type: ApiKeyConnection,
    description: "Your own keys, revoked and expired ones too, newest first.",
    authScopes: { permission: "account" },
    args: { first: t.arg.int({ defaultValue: 50 }), after: t.arg.string() },
    resolve: (_root, args, ctx) =>
      asConnection(ctx.services.apiKeys.listOwn(signedInViewer(ctx), { first: args.first ?? 50, after: decodeCursor(args.after) })),
  }),
  allApiKeys: t.field({
    type: ApiKeyConnection,
    description: "Everyone's keys, newest first.",
    authScopes: { permission: "keys:manage" },
    args: { first: t.arg.int({ defaultValue: 50 }), after: t.arg.string() },
    resolve: (_root, args, ctx) => asConnection(ctx.services.apiKeys.listAll({ first: args.first ?? 50, after: decodeCursor(args.after) })),
  }),
  apiKeyScopes: t.stringList({
    description: "The scopes you may grant: `read` (every read permission) or single permissions, never more than your role.",
    authScopes: { permission: "account" },
    resolve: (_root, _args, ctx) => ctx.services.apiKeys.grantableScopes(signedInViewer(ctx)),
  }),
}));

builder.mutationFields((t) => ({
  createApiKey: t.field({
    type: CreatedApiKey,
    description: "Needs your current password; LIMIT_EXCEEDED when you already hold the most active keys one user may have.",
    authScopes: { permission: "account" },
    extensions: auditTarget("name", "scopes", "expiresAt"),
    args: {
      name: t.arg.string({ required: true }),
      scopes: t.arg.stringList({ required: true }),
      expiresAt: t.arg({ type: "DateTime" }),
      password: t.arg.string({ required: true }),
    },
    resolve: async (_root, args, ctx) => {
      const viewer = signedInViewer(ctx);
      // Asked for so that a stolen access token alone cannot mint a credential that outlives it.
      await ctx.services.account.confirmPassword(viewer, args.password);
      return ctx.services.apiKeys.create(viewer, args);
    },
  }),
  revokeApiKey: t.boolean({
    description: "Revokes one of your keys; admins may revoke anyone's.",
    authScopes: { permission: "account" },
    extensions: auditTarget("id"),
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, { id }, ctx) => ctx.services.apiKeys.revoke(signedInViewer(ctx), String(id)),
  }),
}));
