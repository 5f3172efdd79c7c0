// The key-value store's GraphQL operations, typed for the Data page.

import { type GraphQLRequestError, query, subscribe } from "../../lib/graphql";
import type { Page } from "../../lib/liveList";
import { graphql, type ResultOf, type VariablesOf } from "../../lib/operation";

const ENTRY_FIELDS = "key value version createdAt updatedAt expiresAt";

const KV = graphql(`query Kv($key: String!) { kv(key: $key) { ${ENTRY_FIELDS} } }`);

export type KvEntry = NonNullable<ResultOf<typeof KV>["kv"]>;

const KV_CHANGED = graphql(
  `subscription KvChanged($prefix: String!) { kvChanged(prefix: $prefix) { kind key version at entry { ${ENTRY_FIELDS} } } }`,
);

export type KvChange = ResultOf<typeof KV_CHANGED>["kvChanged"];

const KV_ENTRIES = graphql(`query KvEntries($prefix: String!, $first: Int!, $after: String) {
  kvEntries(prefix: $prefix, first: $first, after: $after) { nodes { ${ENTRY_FIELDS} } pageInfo { endCursor hasNextPage } }
}`);

const KV_PAGE_SIZE = 50;

/** The entries whose key starts with `prefix`, sorted by key, after the cursor `after`. */
export async function fetchKvPage(prefix: string, after: string | null): Promise<Page<KvEntry>> {
  const { kvEntries } = await query(KV_ENTRIES, { prefix, first: KV_PAGE_SIZE, after });
  return { items: kvEntries.nodes, ...kvEntries.pageInfo };
}

export async function fetchKvEntry(key: string): Promise<KvEntry | null> {
  const { kv } = await query(KV, { key });
  return kv;
}

const SET_KV = graphql(`mutation SetKv($key: String!, $value: JSON!, $ttlSeconds: Int, $expectedVersion: Int) {
  setKv(key: $key, value: $value, ttlSeconds: $ttlSeconds, expectedVersion: $expectedVersion) { ${ENTRY_FIELDS} }
}`);

export type SetKvInput = VariablesOf<typeof SET_KV>;

/**
 * Creates or replaces an entry. With `expectedVersion` (the version the change is based on; 0 to
 * create only) it fails with CONFLICT when the entry has changed meanwhile.
 */
export async function setKv(input: SetKvInput): Promise<KvEntry> {
  const { setKv } = await query(SET_KV, input);
  return setKv;
}

const DELETE_KV = graphql(
  "mutation DeleteKv($key: String!, $expectedVersion: Int) { deleteKv(key: $key, expectedVersion: $expectedVersion) }",
);

/** Deletes `key` if it is still at `expectedVersion`; resolves false when it was already gone. */
export async function deleteKv(key: string, expectedVersion: number): Promise<boolean> {
  const { deleteKv } = await query(DELETE_KV, { key, expectedVersion });
  return deleteKv;
}

/** Every set, delete and expiry of a key starting with `prefix`, from now on. */
export function watchKv(prefix: string, onChange: (change: KvChange) => void, onError: (error: GraphQLRequestError) => void): () => void {
  return subscribe(KV_CHANGED, { prefix }, ({ kvChanged }) => onChange(kvChanged), onError);
}

const EXPORT_KV = graphql(
  "query ExportKv($prefix: String!) { exportKv(prefix: $prefix) { prefix exportedAt entries { key value ttlSeconds } } }",
);

export type KvExport = ResultOf<typeof EXPORT_KV>["exportKv"];

/** Every entry under `prefix`, read at one instant with the seconds each has left; LIMIT_EXCEEDED past the server's bulk bounds. */
export async function exportKv(prefix: string): Promise<KvExport> {
  const { exportKv } = await query(EXPORT_KV, { prefix });
  return exportKv;
}

const IMPORT_KV = graphql("mutation ImportKv($entries: [KvEntryInput!]!) { importKv(entries: $entries) }");

export type KvEntryInput = VariablesOf<typeof IMPORT_KV>["entries"][number];

/**
 * Sets all `entries` in one transaction, or none; resolves how many were set. A refusal lists the
 * entries it is about in `details.entryErrors` (index, key, message).
 */
export async function importKv(entries: readonly KvEntryInput[]): Promise<number> {
  const { importKv } = await query(IMPORT_KV, { entries: [...entries] });
  return importKv;
}

const DELETE_KV_MANY = graphql("mutation DeleteKvMany($keys: [String!]!) { deleteKvMany(keys: $keys) }");

/** Deletes `keys` in one transaction; resolves how many of them existed. */
export async function deleteKvMany(keys: readonly string[]): Promise<number> {
  const { deleteKvMany } = await query(DELETE_KV_MANY, { keys: [...keys] });
  return deleteKvMany;
}
