// Alerts on the host's metrics: rules evaluated on every sample the metrics feature takes, alerts
// that fire, are acknowledged and resolve (kept as history), and webhooks told of each change.
// Its own feature beside metrics: it only listens to `metrics.sample`, so the sampler knows
// nothing of it, and its tables, settings and permissions stay in one folder.
import { defineFeature } from "../feature";
import { alertsMigrations } from "./migrations";
import { type AlertChange, createAlertsService } from "./service";
import { createAlertsStore } from "./store";
import { createWebhookDelivery } from "./webhooks";

declare module "../events" {
  interface EventMap {
    "alert.changed": AlertChange;
  }
}
declare module "../auth/permissions" {
  interface Permissions {
    "alerts:read": true;
    "alerts:manage": true;
  }
}
declare module "../settings" {
  interface FeatureSettings {
    alertsHistoryMax: number;
    alertsHistoryDays: number;
    alertsWebhookTimeoutSeconds: number;
    alertsMaxQueuedDeliveries: number;
  }
}

const HOUR_MS = 60 * 60 * 1000;

export const alertsFeature = defineFeature({
  name: "alerts",
  migrations: alertsMigrations,
  settings: [
    { key: "alertsHistoryMax", kind: "int", default: 1000, min: 10, max: 100_000, description: "resolved alerts kept at most" },
    { key: "alertsHistoryDays", kind: "int", default: 90, min: 1, max: 3660, description: "days resolved alerts are kept" },
    {
      key: "alertsWebhookTimeoutSeconds",
      kind: "int",
      default: 10,
      min: 1,
      max: 120,
      description: "seconds a webhook has to answer a delivery before it counts as failed (and is retried)",
    },
    {
      key: "alertsMaxQueuedDeliveries",
      kind: "int",
      default: 500,
      min: 10,
      max: 100_000,
      description: "webhook deliveries waiting at most; past it the oldest are given up",
    },
  ],
  permissions: [
    { name: "alerts:read", roles: ["viewer", "operator"], description: "see alerts, their history and the alert rules" },
    {
      name: "alerts:manage",
      roles: ["operator"],
      description: "acknowledge alerts; create, change and delete alert rules and webhooks; see webhook deliveries",
    },
  ],
  create: (core) => {
    const store = createAlertsStore(core.db, { webhookSecretKey: core.serverKeys.derive("alert-webhook-secrets") });
    store.sealClearWebhookSecrets(); // stored in clear before they were sealed
    const webhooks = createWebhookDelivery({
      store,
      writes: core.writes,
      clock: core.clock,
      jobs: core.jobs,
      log: core.log,
      timeoutMs: core.config.alertsWebhookTimeoutSeconds * 1000,
      maxQueued: core.config.alertsMaxQueuedDeliveries,
    });
    const alerts = createAlertsService({
      store,
      writes: core.writes,
      events: core.events,
      clock: core.clock,
      log: core.log,
      webhooks,
      historyMax: core.config.alertsHistoryMax,
      historyMs: core.config.alertsHistoryDays * 24 * HOUR_MS,
    });
    return { alerts, alertWebhooks: webhooks };
  },
  jobs: ({ alerts, alertWebhooks }) => [
    { name: "alerts.prune", everyMs: HOUR_MS, run: () => Promise.all([alerts.prune(), alertWebhooks.prune()]) },
  ],
  start: ({ alerts, alertWebhooks }) => {
    alerts.start();
    alertWebhooks.kick();
  },
  stop: ({ alerts }) => alerts.stop(),
});
