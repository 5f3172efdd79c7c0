// The audit log's GraphQL operations (admins only), typed for the Audit page.

import { type GraphQLRequestError, query, subscribe } from "../../lib/graphql";

export interface AuditEntry {
  id: string;
  at: string;
  /** Who acted: "user", "apiKey" or "anonymous". */
  actorKind: string;
  actorId: string | null;
  actorName: string | null;
  ip: string | null;
  userAgent: string | null;
  /** The operation type and root field, e.g. "mutation.createUser", "mutation.login". */
  action: string;
  target: unknown;
  /** "ok", or the error code the attempt ended with (FORBIDDEN, LIMIT_EXCEEDED, ...). */
  result: string;
  detail: string | null;
}

export interface AuditFilter {
  /** Part of the actor's name, in any case. */
  actor?: string;
  /** The start of the action, in any case. */
  action?: string;
  /** "ok", "error" (anything but ok), or one error code. */
  result?: string;
  /** Entries at or after this instant. */
  from?: string;
  /** Entries before this instant. */
  to?: string;
}

export interface AuditPage {
  entries: AuditEntry[];
  endCursor: string | null;
  hasNextPage: boolean;
}

const ENTRY_FIELDS = "id at actorKind actorId actorName ip userAgent action target result detail";

const AUDIT_PAGE_SIZE = 50;

/** Entries matching `filter`, newest first. */
export async function fetchAuditPage(filter: AuditFilter, after: string | null): Promise<AuditPage> {
  const { auditLog } = await query<{
    auditLog: { nodes: AuditEntry[]; pageInfo: { endCursor: string | null; hasNextPage: boolean } };
  }>(
    `query AuditLog($filter: AuditFilter, $first: Int!, $after: ID) {
      auditLog(filter: $filter, first: $first, after: $after) { nodes { ${ENTRY_FIELDS} } pageInfo { endCursor hasNextPage } }
    }`,
    { filter, first: AUDIT_PAGE_SIZE, after },
  );
  return { entries: auditLog.nodes, ...auditLog.pageInfo };
}

/** Every new entry as it is written, unfiltered. */
export function watchAudit(onEntry: (entry: AuditEntry) => void, onError: (error: GraphQLRequestError) => void): () => void {
  return subscribe<{ auditEvents: AuditEntry }>(
    `subscription AuditEvents { auditEvents { ${ENTRY_FIELDS} } }`,
    {},
    ({ auditEvents }) => onEntry(auditEvents),
    onError,
  );
}
