// Key-value data: entries with versions and optional TTL, compare-and-set, live changes, and import,
// export and delete of many entries at once.
import type { KvChange, KvEntry, KvExport, KvExportEntry, KvReadBudget, KvWriteOptions } from "../server/kv/service";
import { auditTarget } from "./audit";
import { builder } from "./builder";
import { type Context, signedInViewer } from "./context";
import { connectionOf, decodeCursor, encodeCursor } from "./pagination";

/** The pages of one request share one page's byte budget, so aliasing kvEntries does not multiply it. */
const readBudgets = new WeakMap<Context, KvReadBudget>();
function readBudget(ctx: Context): KvReadBudget {
  let budget = readBudgets.get(ctx);
  if (!budget) {
    budget = ctx.services.kv.readBudget();
    readBudgets.set(ctx, budget);
  }
  return budget;
}

/** Writes are rated per user, whichever of their sessions or keys makes them. */
const writer = (ctx: Context): KvWriteOptions => ({ writer: `user:${signedInViewer(ctx).userId}` });

const KvEntryType = builder.objectRef<KvEntry>("KvEntry").implement({
  fields: (t) => ({
    key: t.exposeString("key"),
    value: t.expose("value", { type: "JSON" }),
    version: t.exposeInt("version", {
      description:
        "Grows by one on every set. A key deleted or expired and set again (within a week) continues its numbering, so a stale expectedVersion never matches by accident.",
    }),
    createdAt: t.expose("createdAt", { type: "DateTime" }),
    updatedAt: t.expose("updatedAt", { type: "DateTime" }),
    expiresAt: t.expose("expiresAt", { type: "DateTime", nullable: true }),
  }),
});

const KvEntryConnection = connectionOf("KvEntry", KvEntryType);

const KvChangeKind = builder.enumType("KvChangeKind", { values: ["SET", "DELETE", "EXPIRE"] as const });

const KvChangeType = builder.objectRef<KvChange>("KvChange").implement({
  fields: (t) => ({
    kind: t.field({ type: KvChangeKind, resolve: (c) => c.kind }),
    key: t.exposeString("key"),
    version: t.exposeInt("version", { description: "The version set, or the last version of a deleted or expired entry." }),
    entry: t.field({ type: KvEntryType, nullable: true, resolve: (c) => c.entry }),
    at: t.expose("at", { type: "DateTime" }),
  }),
});

const KvExportEntryType = builder.objectRef<KvExportEntry>("KvExportEntry").implement({
  fields: (t) => ({
    key: t.exposeString("key"),
    value: t.expose("value", { type: "JSON" }),
    ttlSeconds: t.exposeInt("ttlSeconds", {
      nullable: true,
      description: "The seconds it had left when exported; null when it never expires.",
    }),
  }),
});

const KvExportType = builder.objectRef<KvExport>("KvExport").implement({
  fields: (t) => ({
    prefix: t.exposeString("prefix"),
    exportedAt: t.expose("exportedAt", { type: "DateTime" }),
    entries: t.field({ type: [KvExportEntryType], description: "Sorted by key.", resolve: (e) => e.entries }),
  }),
});

const KvEntryInput = builder.inputType("KvEntryInput", {
  description: "One entry of importKv, with the arguments of setKv.",
  fields: (t) => ({
    key: t.string({ required: true }),
    value: t.field({ type: "JSON", required: true }),
    ttlSeconds: t.int(),
    expectedVersion: t.int({ description: "As in setKv: 0 sets the entry only if the key is absent." }),
  }),
});

builder.queryFields((t) => ({
  kv: t.field({
    type: KvEntryType,
    nullable: true,
    authScopes: { permission: "kv:read" },
    extensions: auditTarget("key"),
    args: { key: t.arg.string({ required: true }) },
    resolve: (_root, { key }, ctx) => ctx.services.kv.get(key),
  }),
  kvEntries: t.field({
    type: KvEntryConnection,
    description:
      "Entries whose key starts with prefix, sorted by key. A page ends early (hasNextPage) rather than return more value bytes than kv_max_page_bytes (shared by the pages of one request), but always holds one entry.",
    authScopes: { permission: "kv:read" },
    extensions: auditTarget("prefix"),
    args: {
      prefix: t.arg.string({ defaultValue: "" }),
      first: t.arg.int({ defaultValue: 50 }),
      after: t.arg.string(),
    },
    resolve: (_root, args, ctx) => {
      const page = ctx.services.kv.list({
        prefix: args.prefix ?? "",
        first: args.first ?? 50,
        after: decodeCursor(args.after),
        budget: readBudget(ctx),
      });
      return { items: page.entries, hasNextPage: page.hasNextPage, cursorOf: (entry: KvEntry) => encodeCursor(entry.key) };
    },
  }),
  exportKv: t.field({
    type: KvExportType,
    description:
      "Every entry whose key starts with prefix, read at one instant, with the seconds each has left: what importKv takes back. Fails with LIMIT_EXCEEDED (quota, limit) past kv_max_bulk_entries entries or kv_max_bulk_bytes of values.",
    authScopes: { permission: "kv:read" },
    extensions: auditTarget("prefix"),
    args: { prefix: t.arg.string({ defaultValue: "" }) },
    resolve: (_root, { prefix }, ctx) => ctx.services.kv.exportPrefix(prefix ?? ""),
  }),
}));

builder.mutationFields((t) => ({
  setKv: t.field({
    type: KvEntryType,
    description:
      "Creates or replaces an entry. With expectedVersion (0 = must not exist) it is a compare-and-set that fails with CONFLICT when stale. Fails with LIMIT_EXCEEDED when the writer's write rate is spent (with retryAfterSeconds) or the store would pass a quota (kv_max_total_bytes, kv_max_keys; with quota and limit).",
    authScopes: { permission: "kv:write" },
    extensions: auditTarget("key", "ttlSeconds", "expectedVersion"),
    args: {
      key: t.arg.string({ required: true }),
      value: t.arg({ type: "JSON", required: true }),
      ttlSeconds: t.arg.int(),
      expectedVersion: t.arg.int(),
    },
    resolve: (_root, args, ctx) => ctx.services.kv.set(args, writer(ctx)),
  }),
  deleteKv: t.boolean({
    description: "Deletes an entry; false when there was none.",
    authScopes: { permission: "kv:write" },
    extensions: auditTarget("key", "expectedVersion"),
    args: { key: t.arg.string({ required: true }), expectedVersion: t.arg.int() },
    resolve: (_root, { key, expectedVersion }, ctx) => ctx.services.kv.delete(key, expectedVersion, writer(ctx)),
  }),
  importKv: t.int({
    description:
      "Sets every entry in one transaction, or none, and returns how many were set. Each entry follows the rules of setKv; when some are refused it fails with BAD_USER_INPUT (or CONFLICT for expectedVersion) listing them in entryErrors (index, key, message). LIMIT_EXCEEDED (quota, limit) past kv_max_bulk_entries entries, kv_max_bulk_bytes of values or a store quota. Counts as one write of the writer's rate.",
    authScopes: { permission: "kv:write" },
    // Entries carry values, which the audit log never keeps.
    extensions: auditTarget(),
    args: { entries: t.arg({ type: [KvEntryInput], required: true }) },
    resolve: (_root, { entries }, ctx) => ctx.services.kv.setMany(entries, writer(ctx)),
  }),
  deleteKvMany: t.int({
    description:
      "Deletes the entries of keys in one transaction and returns how many existed. LIMIT_EXCEEDED past kv_max_bulk_entries keys; BAD_USER_INPUT listing malformed keys in entryErrors, deleting none. Counts as one write of the writer's rate.",
    authScopes: { permission: "kv:write" },
    extensions: auditTarget("keys"),
    args: { keys: t.arg.stringList({ required: true }) },
    resolve: (_root, { keys }, ctx) => ctx.services.kv.deleteMany(keys, writer(ctx)),
  }),
}));

builder.subscriptionFields((t) => ({
  kvChanged: t.field({
    type: KvChangeType,
    description: "Sets, deletes and expiries of keys starting with prefix, from now on.",
    authScopes: { permission: "kv:read" },
    extensions: auditTarget("prefix"),
    args: { prefix: t.arg.string({ defaultValue: "" }) },
    subscribe: (_root, { prefix }, ctx) => ctx.services.kv.watch(prefix ?? ""),
    resolve: (change) => change,
  }),
}));
