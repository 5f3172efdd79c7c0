// The audit log table.
import type { Migration } from "../db";

export const auditMigrations: Migration[] = [
  {
    id: "audit-001-log",
    sql: `
      CREATE TABLE audit_log (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        at INTEGER NOT NULL,
        actor_kind TEXT NOT NULL,
        actor_id TEXT,
        actor_name TEXT,
        ip TEXT,
        user_agent TEXT,
        action TEXT NOT NULL,
        target TEXT,
        result TEXT NOT NULL,
        detail TEXT
      );
      CREATE INDEX audit_log_at ON audit_log (at);
    `,
  },
  {
    // Named when recorded: what the target was called then (a user deleted since keeps their name here).
    id: "audit-002-target-label",
    sql: "ALTER TABLE audit_log ADD COLUMN target_label TEXT;",
  },
];
