// The audit log: who did what, from where, with what result; kept for a number of days.
import { defineFeature } from "../feature";
import { auditMigrations } from "./migrations";
import { createAuditService } from "./service";
import { type AuditEntry, createAuditStore } from "./store";

declare module "../events" {
  interface EventMap {
    "audit.recorded": AuditEntry;
  }
}
declare module "../auth/permissions" {
  interface Permissions {
    "audit:read": true;
  }
}
declare module "../limits/rate-limiter" {
  interface RateClasses {
    denials: true;
  }
}
declare module "../settings" {
  interface FeatureSettings {
    auditRetentionDays: number;
  }
}

const RETENTION_INTERVAL_MS = 60 * 60 * 1000;

export const auditFeature = defineFeature({
  name: "audit",
  migrations: auditMigrations,
  settings: [{ key: "auditRetentionDays", kind: "int", default: 90, min: 1, max: 3650, description: "days the audit log is kept" }],
  permissions: [{ name: "audit:read", roles: [], description: "read the audit log" }],
  rateClasses: [{ name: "denials", defaultPerMinute: 60, description: "refused requests recorded in the audit log per IP" }],
  create: (core) => ({
    audit: createAuditService({
      store: createAuditStore(core.db),
      writes: core.writes,
      events: core.events,
      log: core.log,
      rateLimiter: core.rateLimiter,
      retentionDays: core.config.auditRetentionDays,
      clock: core.clock,
    }),
  }),
  jobs: ({ audit }) => [{ name: "audit.retention", everyMs: RETENTION_INTERVAL_MS, runAtStart: true, run: () => audit.purge() }],
});
