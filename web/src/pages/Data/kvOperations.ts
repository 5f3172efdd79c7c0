// The key-value store's GraphQL operations, typed for the Data page.

import { type GraphQLRequestError, query, subscribe } from "../../lib/graphql";

export interface KvEntry {
  key: string;
  value: unknown;
  version: number;
  createdAt: string;
  updatedAt: string;
  expiresAt: string | null;
}

export type KvChangeKind = "SET" | "DELETE" | "EXPIRE";

export interface KvChange {
  kind: KvChangeKind;
  key: string;
  version: number;
  at: string;
  entry: KvEntry | null;
}

export interface KvPage {
  entries: KvEntry[];
  endCursor: string | null;
  hasNextPage: boolean;
}

const ENTRY_FIELDS = "key value version createdAt updatedAt expiresAt";

const KV_PAGE_SIZE = 50;

export async function fetchKvPage(prefix: string, after: string | null): Promise<KvPage> {
  const { kvEntries } = await query<{
    kvEntries: { nodes: KvEntry[]; pageInfo: { endCursor: string | null; hasNextPage: boolean } };
  }>(
    `query KvEntries($prefix: String!, $first: Int!, $after: String) {
      kvEntries(prefix: $prefix, first: $first, after: $after) { nodes { ${ENTRY_FIELDS} } pageInfo { endCursor hasNextPage } }
    }`,
    { prefix, first: KV_PAGE_SIZE, after },
  );
  return { entries: kvEntries.nodes, ...kvEntries.pageInfo };
}

export async function fetchKvEntry(key: string): Promise<KvEntry | null> {
  const { kv } = await query<{ kv: KvEntry | null }>(`query Kv($key: String!) { kv(key: $key) { ${ENTRY_FIELDS} } }`, { key });
  return kv;
}

export interface SetKvInput {
  key: string;
  value: unknown;
  ttlSeconds: number | null;
  /** The version the change is based on; 0 to create only. Fails with CONFLICT when stale. */
  expectedVersion: number;
}

export async function setKv(input: SetKvInput): Promise<KvEntry> {
  const { setKv } = await query<{ setKv: KvEntry }>(
    `mutation SetKv($key: String!, $value: JSON!, $ttlSeconds: Int, $expectedVersion: Int) {
      setKv(key: $key, value: $value, ttlSeconds: $ttlSeconds, expectedVersion: $expectedVersion) { ${ENTRY_FIELDS} }
    }`,
    { ...input },
  );
  return setKv;
}

/** Deletes `key` if it is still at `expectedVersion`; resolves false when it was already gone. */
export async function deleteKv(key: string, expectedVersion: number): Promise<boolean> {
  const { deleteKv } = await query<{ deleteKv: boolean }>(
    "mutation DeleteKv($key: String!, $expectedVersion: Int) { deleteKv(key: $key, expectedVersion: $expectedVersion) }",
    { key, expectedVersion },
  );
  return deleteKv;
}

export function watchKv(prefix: string, onChange: (change: KvChange) => void, onError: (error: GraphQLRequestError) => void): () => void {
  return subscribe<{ kvChanged: KvChange }>(
    `subscription KvChanged($prefix: String!) { kvChanged(prefix: $prefix) { kind key version at entry { ${ENTRY_FIELDS} } } }`,
    { prefix },
    ({ kvChanged }) => onChange(kvChanged),
    onError,
  );
}
