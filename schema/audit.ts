// The audit log: its query and live subscription, and the wrapper that records every mutation,
// every sign-in attempt and every denied use of a credential, whichever transport carried it.
import { GraphQLError, type GraphQLFieldResolver, type GraphQLSchema } from "graphql";
import type { AuditEntry } from "../server/audit/service";
import { actorName } from "../server/auth/viewer";
import { AppError } from "../server/errors";
import { builder } from "./builder";
import type { Context } from "./context";
import { connectionOf } from "./pagination";

const AuditEntryType = builder.objectRef<AuditEntry>("AuditEntry").implement({
  fields: (t) => ({
    id: t.id({ resolve: (e) => String(e.id) }),
    at: t.expose("at", { type: "DateTime" }),
    actorKind: t.exposeString("actorKind", { description: "user, apiKey or anonymous." }),
    actorId: t.exposeString("actorId", { nullable: true }),
    actorName: t.exposeString("actorName", { nullable: true }),
    ip: t.exposeString("ip", { nullable: true }),
    userAgent: t.exposeString("userAgent", { nullable: true }),
    action: t.exposeString("action", { description: "operation type and root field, e.g. mutation.setKv." }),
    target: t.expose("target", { type: "JSON", nullable: true, description: "What was acted on; never secrets or contents." }),
    result: t.exposeString("result", { description: "ok, or the error code." }),
    detail: t.exposeString("detail", { nullable: true }),
  }),
});

const AuditFilterInput = builder.inputType("AuditFilter", {
  fields: (t) => ({
    actor: t.string({ description: "Part of the actor's name." }),
    action: t.string({ description: "Start of the action, e.g. mutation.login." }),
    result: t.string({ description: "ok, error (anything but ok), or one error code." }),
    from: t.field({ type: "DateTime" }),
    to: t.field({ type: "DateTime" }),
  }),
});

const AuditEntryConnection = connectionOf("AuditEntry", AuditEntryType);

builder.queryField("auditLog", (t) =>
  t.field({
    type: AuditEntryConnection,
    description: "Newest first.",
    authScopes: { permission: "audit:read" },
    args: { filter: t.arg({ type: AuditFilterInput }), first: t.arg.int({ defaultValue: 50 }), after: t.arg.id() },
    resolve: (_root, args, ctx) => {
      const page = ctx.services.audit.list({
        filter: args.filter ?? {},
        first: args.first ?? 50,
        after: args.after ? Number(args.after) || null : null,
      });
      return { items: page.entries, hasNextPage: page.hasNextPage, cursorOf: (e: AuditEntry) => String(e.id) };
    },
  }),
);

builder.subscriptionField("auditEvents", (t) =>
  t.field({
    type: AuditEntryType,
    description: "Audit entries as they are written.",
    authScopes: { permission: "audit:read" },
    subscribe: (_root, _args, ctx) => ctx.services.audit.watch(),
    resolve: (entry) => entry,
  }),
);

/** Arguments safe to keep in the log: names of things, never passwords, tokens, codes or values. */
const TARGET_ARGS = new Set([
  "id",
  "key",
  "prefix",
  "username",
  "role",
  "disabled",
  "name",
  "scopes",
  "expiresAt",
  "expectedVersion",
  "ttlSeconds",
]);
const DENIALS = new Set(["UNAUTHENTICATED", "FORBIDDEN"]);

/** Longest text kept from any argument, name or message: a log entry must not become a way to fill the disk. */
const MAX_TEXT = 256;
const MAX_LIST = 20;
const clip = (text: string) => (text.length > MAX_TEXT ? `${text.slice(0, MAX_TEXT)}…` : text);
const clipValue = (value: unknown): unknown =>
  typeof value === "string" ? clip(value) : Array.isArray(value) ? value.slice(0, MAX_LIST).map(clipValue) : value;

function targetOf(args: Record<string, unknown>): Record<string, unknown> | null {
  const kept = Object.entries(args).filter(([name, value]) => TARGET_ARGS.has(name) && value !== undefined && value !== null);
  return kept.length ? Object.fromEntries(kept.map(([name, value]) => [name, clipValue(value)])) : null;
}

function errorCode(error: unknown): string {
  const original = error instanceof GraphQLError ? error.originalError : error;
  return original instanceof AppError ? original.code : "INTERNAL";
}

function record(ctx: Context, action: string, args: Record<string, unknown>, result: unknown, error: unknown) {
  const viewer = ctx.viewer;
  // A sign-in (login, setup, refresh) names the user it signed in, whoever was asking; a failed
  // one names the username tried.
  const signedIn = (result as { user?: { id: string; username: string } } | undefined)?.user;
  const tried = typeof args.username === "string" ? clip(args.username) : null;
  const actor = signedIn
    ? { actorKind: "user" as const, actorId: signedIn.id, actorName: signedIn.username }
    : viewer.kind === "anonymous"
      ? { actorKind: "anonymous" as const, actorId: null, actorName: tried }
      : { actorKind: viewer.kind, actorId: viewer.userId, actorName: actorName(viewer) };
  const code = error === undefined ? "ok" : errorCode(error);
  void ctx.services.audit.record({
    ...actor,
    ip: ctx.client.ip,
    userAgent: ctx.client.userAgent,
    action,
    target: targetOf(args),
    result: code,
    detail: error === undefined ? null : code === "INTERNAL" ? "Internal error" : clip((error as Error).message),
  });
}

/** Runs `resolve`, recording its outcome when `shouldRecord` says so; keeps synchronous results synchronous. */
function audited(action: string, resolve: GraphQLFieldResolver<unknown, Context>, shouldRecord: (ctx: Context, error: unknown) => boolean) {
  const wrapped: GraphQLFieldResolver<unknown, Context> = (root, args, ctx, info) => {
    let result: unknown;
    try {
      result = resolve(root, args, ctx, info);
    } catch (error) {
      if (shouldRecord(ctx, error)) record(ctx, action, args, undefined, error);
      throw error;
    }
    if (result instanceof Promise)
      return result.then(
        (value) => {
          if (shouldRecord(ctx, undefined)) record(ctx, action, args, value, undefined);
          return value;
        },
        (error) => {
          if (shouldRecord(ctx, error)) record(ctx, action, args, undefined, error);
          throw error;
        },
      );
    if (shouldRecord(ctx, undefined)) record(ctx, action, args, result, undefined);
    return result;
  };
  return wrapped;
}

const isDenial = (error: unknown) => error !== undefined && DENIALS.has(errorCode(error));
const deniedRequests = new WeakSet<Context>();

/**
 * Denials are recorded once per request and within a per-IP budget, so a caller cannot turn
 * refused requests (many fields each, or a flood of them) into a flood of log rows.
 */
function firstDenialWithinBudget(ctx: Context): boolean {
  if (deniedRequests.has(ctx)) return false;
  deniedRequests.add(ctx);
  return ctx.services.limits.take("denials", `ip:${ctx.client.ip ?? "-"}`).allowed;
}

/** Mutations: every outcome, refusals within the denial budget. */
const mutationOutcome = (ctx: Context, error: unknown) => !isDenial(error) || firstDenialWithinBudget(ctx);

/** Reads: only when a credential was presented (valid or not) and refused. */
const deniedCredential = (ctx: Context, error: unknown) =>
  isDenial(error) && (ctx.viewer.kind !== "anonymous" || ctx.viewer.rejection !== undefined) && firstDenialWithinBudget(ctx);

/** Wraps the root fields of `schema`: every mutation is recorded; queries and subscriptions when a credential is denied. */
export function auditRootFields(schema: GraphQLSchema): GraphQLSchema {
  for (const field of Object.values(schema.getMutationType()?.getFields() ?? {}))
    field.resolve = audited(`mutation.${field.name}`, field.resolve as GraphQLFieldResolver<unknown, Context>, mutationOutcome);
  for (const field of Object.values(schema.getQueryType()?.getFields() ?? {}))
    field.resolve = audited(`query.${field.name}`, field.resolve as GraphQLFieldResolver<unknown, Context>, deniedCredential);
  for (const field of Object.values(schema.getSubscriptionType()?.getFields() ?? {}))
    if (field.subscribe)
      field.subscribe = audited(`subscription.${field.name}`, field.subscribe as GraphQLFieldResolver<unknown, Context>, deniedCredential);
  return schema;
}
