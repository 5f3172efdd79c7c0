// The audit log: its query and live subscription, and the wrapper that records every mutation,
// every sign-in attempt and every denied use of a credential, whichever transport carried it, with
// the target each field declares (auditTarget).
import { GraphQLError, type GraphQLField, type GraphQLFieldResolver, type GraphQLSchema } from "graphql";
import { type AuditEntry, outcomeNeedsBudget } from "../server/audit/service";
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
    targetLabel: t.exposeString("targetLabel", {
      nullable: true,
      description: "What the target was called when recorded: the key, username or name, an id replaced by the user's or API key's name.",
    }),
    result: t.exposeString("result", {
      description: "ok; challenged (a sign-in whose password was right, asked for its second factor); or the error code.",
    }),
    detail: t.exposeString("detail", { nullable: true }),
  }),
});

const AuditFilterInput = builder.inputType("AuditFilter", {
  fields: (t) => ({
    actor: t.string({ description: "Part of the actor's name (at most 100 characters)." }),
    action: t.string({ description: "Part of the action, e.g. login or mutation.setKv (at most 100 characters)." }),
    result: t.string({ description: "ok, challenged, error (any error code), or one error code." }),
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

const DENIALS = new Set(["UNAUTHENTICATED", "FORBIDDEN"]);

/**
 * A field's audit declaration, as its `extensions`: the arguments that name what it acts on (ids,
 * keys, names; never passwords, tokens, codes or values). Every mutation is recorded, with these
 * as its target; queries and subscriptions when a credential is refused.
 */
export function auditTarget(...args: string[]): { audit: { args: string[] } } {
  return { audit: { args } };
}

/** The audit declaration of a subscription whose every start is recorded, like a mutation's (attaching to a terminal). */
export function auditEverySubscribe(...args: string[]): { audit: { args: string[]; everySubscribe: true } } {
  return { audit: { args, everySubscribe: true } };
}

/**
 * The audit declaration of a mutation a user makes with every key they type (writeTerminal): only
 * its refusals are recorded, so the log holds who opened and closed what, not one entry per keystroke.
 */
export function auditRefusalsOnly(...args: string[]): { audit: { args: string[]; refusalsOnly: true } } {
  return { audit: { args, refusalsOnly: true } };
}

const unwrap = (error: unknown) => (error instanceof GraphQLError && error.originalError ? error.originalError : error);
const isDenial = (error: unknown) => {
  const original = unwrap(error);
  return original instanceof AppError && DENIALS.has(original.code);
};
const deniedRequests = new WeakSet<Context>();

/** Refusals (and anonymous failures) are recorded once per request and within a per-IP budget. */
function firstDenialWithinBudget(ctx: Context): boolean {
  if (deniedRequests.has(ctx)) return false;
  deniedRequests.add(ctx);
  return ctx.services.audit.denialWithinBudget(ctx.client.ip);
}

/** Mutations: every outcome; refusals and anonymous failures once per request and within the per-IP budget. */
const mutationOutcome = (ctx: Context, error: unknown) => !outcomeNeedsBudget(ctx.viewer, unwrap(error)) || firstDenialWithinBudget(ctx);

/** Reads: only when a credential was presented (valid or not) and refused. */
const deniedCredential = (ctx: Context, error: unknown) =>
  isDenial(error) && (ctx.viewer.kind !== "anonymous" || ctx.viewer.rejection !== undefined) && firstDenialWithinBudget(ctx);

/**
 * Runs `resolve`, recording its outcome when `shouldRecord` says so; keeps synchronous results
 * synchronous. With `labelFirst` the target is named before `resolve` runs, since a deletion leaves
 * nothing to name afterwards.
 */
function audited(
  action: string,
  targetArgs: readonly string[],
  resolve: GraphQLFieldResolver<unknown, Context>,
  shouldRecord: (ctx: Context, error: unknown) => boolean,
  { labelFirst = false } = {},
) {
  const targetOf = (args: Record<string, unknown>) =>
    Object.fromEntries(targetArgs.filter((name) => args[name] != null).map((name) => [name, args[name]]));
  const record = (ctx: Context, args: Record<string, unknown>, targetLabel: string | null | undefined, result: unknown, error: unknown) => {
    if (!shouldRecord(ctx, error)) return;
    void ctx.services.audit.recordOutcome({
      viewer: ctx.viewer,
      client: ctx.client,
      action,
      target: targetOf(args),
      targetLabel,
      error: error === undefined ? undefined : unwrap(error),
      // A sign-in (login, setup, refresh) names the user it signed in; a failed one the username tried.
      signedIn: (result as { user?: { id: string; username: string } } | undefined)?.user,
      triedUsername: typeof args.username === "string" ? args.username : null,
    });
  };
  const wrapped: GraphQLFieldResolver<unknown, Context> = (root, args, ctx, info) => {
    const label = labelFirst ? ctx.services.audit.labelTarget(targetOf(args)) : undefined;
    let result: unknown;
    try {
      result = resolve(root, args, ctx, info);
    } catch (error) {
      record(ctx, args, label, undefined, error);
      throw error;
    }
    if (result instanceof Promise)
      return result.then(
        (value) => {
          record(ctx, args, label, value, undefined);
          return value;
        },
        (error) => {
          record(ctx, args, label, undefined, error);
          throw error;
        },
      );
    record(ctx, args, label, result, undefined);
    return result;
  };
  return wrapped;
}

const declaredTarget = (field: GraphQLField<unknown, Context>) => (field.extensions?.audit as { args?: string[] } | undefined)?.args ?? [];
const refusalsOnly = (field: GraphQLField<unknown, Context>) =>
  (field.extensions?.audit as { refusalsOnly?: boolean } | undefined)?.refusalsOnly === true;
const everySubscribe = (field: GraphQLField<unknown, Context>) =>
  (field.extensions?.audit as { everySubscribe?: boolean } | undefined)?.everySubscribe === true;
const mutationRefusal = (ctx: Context, error: unknown) => isDenial(error) && mutationOutcome(ctx, error);

/**
 * Wraps the root fields of `schema`: every mutation is recorded (some only when refused); queries
 * and subscriptions when a credential is denied (some subscriptions at every start).
 */
export function auditRootFields(schema: GraphQLSchema): GraphQLSchema {
  for (const field of Object.values(schema.getMutationType()?.getFields() ?? {}))
    field.resolve = audited(
      `mutation.${field.name}`,
      declaredTarget(field),
      field.resolve as GraphQLFieldResolver<unknown, Context>,
      refusalsOnly(field) ? mutationRefusal : mutationOutcome,
      { labelFirst: true },
    );
  for (const field of Object.values(schema.getQueryType()?.getFields() ?? {}))
    field.resolve = audited(
      `query.${field.name}`,
      declaredTarget(field),
      field.resolve as GraphQLFieldResolver<unknown, Context>,
      deniedCredential,
    );
  for (const field of Object.values(schema.getSubscriptionType()?.getFields() ?? {}))
    if (field.subscribe)
      field.subscribe = audited(
        `subscription.${field.name}`,
        declaredTarget(field),
        field.subscribe as GraphQLFieldResolver<unknown, Context>,
        everySubscribe(field) ? mutationOutcome : deniedCredential,
      );
  return schema;
}
