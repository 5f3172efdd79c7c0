// The audit log's GraphQL operations (for those with audit:read), typed for the Audit page, and its
// export as a file.

import { downloadFile } from "../../lib/download";
import { type GraphQLRequestError, query, subscribe } from "../../lib/graphql";
import type { Page } from "../../lib/liveList";
import { graphql, type ResultOf, type VariablesOf } from "../../lib/operation";

// An entry's `action` is the operation type and root field ("mutation.createUser"); `result` is
// "ok", "challenged" (a sign-in asked for its second factor) or the error code the attempt ended
// with; `actorKind` is "user", "apiKey" or "anonymous"; `targetLabel` names the raw `target`.
const ENTRY_FIELDS = "id at actorKind actorId actorName ip userAgent action target targetLabel result detail";

const AUDIT_EVENTS = graphql(`subscription AuditEvents { auditEvents { ${ENTRY_FIELDS} } }`);

export type AuditEntry = ResultOf<typeof AUDIT_EVENTS>["auditEvents"];

const AUDIT_LOG = graphql(`query AuditLog($filter: AuditFilter, $first: Int!, $after: ID) {
  auditLog(filter: $filter, first: $first, after: $after) { nodes { ${ENTRY_FIELDS} } pageInfo { endCursor hasNextPage } }
}`);

/**
 * What the server lists: part of the actor's name and part of the action (both in any case), "ok",
 * "challenged", "error" (any error code) or one error code, and entries in [from, to).
 */
export type AuditFilter = NonNullable<VariablesOf<typeof AUDIT_LOG>["filter"]>;

const AUDIT_PAGE_SIZE = 50;

/** Entries matching `filter`, newest first. */
export async function fetchAuditPage(filter: AuditFilter, after: string | null): Promise<Page<AuditEntry>> {
  const { auditLog } = await query(AUDIT_LOG, { filter, first: AUDIT_PAGE_SIZE, after });
  return { items: auditLog.nodes, ...auditLog.pageInfo };
}

export type AuditExportFormat = "csv" | "json";

/** The most rows one export holds: the newest that match (MAX_EXPORT_ROWS in server/audit/service.ts). */
export const AUDIT_EXPORT_MAX_ROWS = 10_000;

/** Downloads the entries matching `filter` as a CSV or JSON file. */
export function exportAuditLog(format: AuditExportFormat, filter: AuditFilter): Promise<void> {
  const params = new URLSearchParams(Object.entries(filter).filter((part): part is [string, string] => typeof part[1] === "string"));
  return downloadFile(`/audit/export/${format}?${params}`);
}

/** Every new entry as it is written, unfiltered. */
export function watchAudit(onEntry: (entry: AuditEntry) => void, onError: (error: GraphQLRequestError) => void): () => void {
  return subscribe(AUDIT_EVENTS, {}, ({ auditEvents }) => onEntry(auditEvents), onError);
}
