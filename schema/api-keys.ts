// API keys: create (secret shown once), list, revoke.
import type { ApiKey } from "../server/api-keys/service";
import { auditTarget } from "./audit";
import { UserType } from "./auth";
import { builder } from "./builder";
import { signedInViewer } from "./context";

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

builder.queryFields((t) => ({
  apiKeys: t.field({
    type: [ApiKeyType],
    description: "Your own keys.",
    authScopes: { permission: "account" },
    resolve: (_root, _args, ctx) => ctx.services.apiKeys.listOwn(signedInViewer(ctx)),
  }),
  allApiKeys: t.field({
    type: [ApiKeyType],
    description: "Everyone's keys.",
    authScopes: { permission: "keys:manage" },
    resolve: (_root, _args, ctx) => ctx.services.apiKeys.listAll(),
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
    authScopes: { permission: "account" },
    extensions: auditTarget("name", "scopes", "expiresAt"),
    args: { name: t.arg.string({ required: true }), scopes: t.arg.stringList({ required: true }), expiresAt: t.arg({ type: "DateTime" }) },
    resolve: (_root, args, ctx) => ctx.services.apiKeys.create(signedInViewer(ctx), args),
  }),
  revokeApiKey: t.boolean({
    description: "Revokes one of your keys; admins may revoke anyone's.",
    authScopes: { permission: "account" },
    extensions: auditTarget("id"),
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, { id }, ctx) => ctx.services.apiKeys.revoke(signedInViewer(ctx), String(id)),
  }),
}));
