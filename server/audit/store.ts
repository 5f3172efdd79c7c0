// The only SQL of the audit log.
import type { Database } from "bun:sqlite";

export interface AuditEntry {
  id: number;
  at: Date;
  actorKind: "user" | "apiKey" | "anonymous";
  actorId: string | null;
  actorName: string | null;
  ip: string | null;
  userAgent: string | null;
  action: string;
  /** What was acted on (ids, keys, names); never secrets or contents. */
  target: Record<string, unknown> | null;
  /** What the target was called when the entry was recorded, e.g. the username behind a user id. */
  targetLabel: string | null;
  /** "ok", "challenged" (a sign-in that asked for the second factor) or the error code. */
  result: string;
  detail: string | null;
}

export type NewAuditEntry = Omit<AuditEntry, "id">;

export interface AuditFilter {
  /** Substring of the actor's name. */
  actor?: string | null;
  /** Part of the action, e.g. "login" or "mutation.setKv". */
  action?: string | null;
  /** "ok", "challenged", "error" (any error code), or one error code. */
  result?: string | null;
  from?: Date | null;
  to?: Date | null;
}

interface AuditRow {
  id: number;
  at: number;
  actor_kind: AuditEntry["actorKind"];
  actor_id: string | null;
  actor_name: string | null;
  ip: string | null;
  user_agent: string | null;
  action: string;
  target: string | null;
  target_label: string | null;
  result: string;
  detail: string | null;
}

function toEntry(row: AuditRow): AuditEntry {
  return {
    id: row.id,
    at: new Date(row.at),
    actorKind: row.actor_kind,
    actorId: row.actor_id,
    actorName: row.actor_name,
    ip: row.ip,
    userAgent: row.user_agent,
    action: row.action,
    target: row.target === null ? null : JSON.parse(row.target),
    targetLabel: row.target_label,
    result: row.result,
    detail: row.detail,
  };
}

const likeEscape = (text: string) => text.replace(/[\\%_]/g, (c) => `\\${c}`);

export function createAuditStore(db: Database) {
  const insert = db.query<
    { id: number },
    [
      number,
      string,
      string | null,
      string | null,
      string | null,
      string | null,
      string,
      string | null,
      string | null,
      string,
      string | null,
    ]
  >(
    `INSERT INTO audit_log (at, actor_kind, actor_id, actor_name, ip, user_agent, action, target, target_label, result, detail)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
  );
  const page = db.query<AuditRow, [string | null, string | null, string | null, number | null, number | null, number | null, number]>(
    `SELECT * FROM audit_log
     WHERE (?1 IS NULL OR actor_name LIKE ?1 ESCAPE '\\')
       AND (?2 IS NULL OR action LIKE ?2 ESCAPE '\\')
       AND (?3 IS NULL OR (?3 = 'error' AND result NOT IN ('ok', 'challenged')) OR result = ?3)
       AND (?4 IS NULL OR at >= ?4)
       AND (?5 IS NULL OR at < ?5)
       AND (?6 IS NULL OR id < ?6)
     ORDER BY id DESC LIMIT ?7`,
  );
  const purge = db.query("DELETE FROM audit_log WHERE at < ?");

  return {
    insert(entry: NewAuditEntry): number {
      const row = insert.get(
        entry.at.getTime(),
        entry.actorKind,
        entry.actorId,
        entry.actorName,
        entry.ip,
        entry.userAgent,
        entry.action,
        entry.target ? JSON.stringify(entry.target) : null,
        entry.targetLabel,
        entry.result,
        entry.detail,
      );
      return (row as { id: number }).id;
    },
    /** Newest first, entries older than the id `beforeId`. */
    list(filter: AuditFilter, beforeId: number | null, limit: number): AuditEntry[] {
      return page
        .all(
          filter.actor ? `%${likeEscape(filter.actor)}%` : null,
          filter.action ? `%${likeEscape(filter.action)}%` : null,
          filter.result || null,
          filter.from?.getTime() ?? null,
          filter.to?.getTime() ?? null,
          beforeId,
          limit,
        )
        .map(toEntry);
    },
    purgeBefore: (atMs: number) => purge.run(atMs).changes,
  };
}

export type AuditStore = ReturnType<typeof createAuditStore>;
