// The audit log: who did what, from where, with what result; kept for a number of days, and
// exported as CSV or JSON.
import { createApiKeyStore } from "../api-keys/store";
import { createAuthStore } from "../auth/store";
import { type Core, defineFeature } from "../feature";
import { exportFilter, exportFormat, exportResponse } from "./export";
import { auditMigrations } from "./migrations";
import { createAuditService, type IdNamer } from "./service";
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

/** The ids audit targets hold, named by the features before this one that own them: users, API keys, sessions. */
function namerOfAccounts(core: Core): IdNamer {
  const accounts = createAuthStore(core.db);
  const apiKeys = createApiKeyStore(core.db);
  return (id) => {
    const user = accounts.userById(id);
    if (user) return user.username;
    const key = apiKeys.stateById(id)?.key;
    if (key) return `${key.name} (${key.prefix}…)`;
    const session = accounts.sessionState(id);
    return session ? `session of ${session.username}` : null;
  };
}

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
      nameId: namerOfAccounts(core),
    }),
  }),
  routes: ({ audit }, core) => [
    {
      method: "GET",
      path: "/audit/export/:format",
      access: "audit:read",
      audit: { action: "http.auditExport", target: (params) => ({ format: params.format }) },
      handle: (request, { params }) =>
        exportResponse(exportFormat(params.format), audit.exportPages(exportFilter(new URL(request.url))), new Date(core.clock.now())),
    },
  ],
  jobs: ({ audit }) => [{ name: "audit.retention", everyMs: RETENTION_INTERVAL_MS, runAtStart: true, run: () => audit.purge() }],
});
