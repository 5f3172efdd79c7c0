// The only SQL of alerting: rules, alerts (open and past), webhooks and their deliveries. Webhook
// secrets are stored sealed (AES-256-GCM, server/sealing.ts, bound to their webhook's id) and only
// opened to be sent.
import type { Database } from "bun:sqlite";
import { rewriteLeavingNoCopy } from "../db";
import { open, seal } from "../sealing";

export type Comparison = "above" | "below";
export type Severity = "warning" | "critical";
export type AlertState = "firing" | "acknowledged" | "resolved";
export type DeliveryState = "pending" | "delivered" | "failed";

export interface AlertRuleInput {
  name: string;
  /** A series name as metricSeries lists it; `*` stands for any text (`disk.*.usedPercent`). */
  series: string;
  comparison: Comparison;
  warning: number | null;
  critical: number | null;
  /** How long the value must stay past a level before the alert fires. */
  forSeconds: number;
  /** How far back past the lowest level the value must come before the alert resolves. */
  hysteresis: number;
}

export interface AlertRule extends AlertRuleInput {
  id: number;
  enabled: boolean;
  createdAt: Date;
  updatedAt: Date;
}

export interface Alert {
  id: number;
  /** Null once the rule is deleted. */
  ruleId: number | null;
  ruleName: string;
  series: string;
  severity: Severity;
  state: AlertState;
  /** The latest value seen while open; the value that resolved it once resolved. */
  value: number;
  /** The level the value passed. */
  threshold: number;
  firedAt: Date;
  acknowledgedAt: Date | null;
  acknowledgedBy: string | null;
  resolvedAt: Date | null;
}

export interface NewAlert {
  ruleId: number;
  ruleName: string;
  series: string;
  severity: Severity;
  value: number;
  threshold: number;
  firedAtMs: number;
}

export interface Webhook {
  id: number;
  name: string;
  url: string;
  /** The header that carries the secret. */
  secretHeader: string;
  /** Whether a secret is sent as `secretHeader` with every delivery (`AlertsStore.webhookSecret` reads it). */
  hasSecret: boolean;
  enabled: boolean;
  createdAt: Date;
}

export interface Delivery {
  id: number;
  webhookId: number;
  alertId: number;
  event: string;
  /** The JSON body posted. */
  payload: string;
  state: DeliveryState;
  attempts: number;
  nextAttemptAt: Date | null;
  lastStatus: number | null;
  lastError: string | null;
  createdAt: Date;
  updatedAt: Date;
}

interface RuleRow {
  id: number;
  name: string;
  series: string;
  comparison: Comparison;
  warning: number | null;
  critical: number | null;
  for_seconds: number;
  hysteresis: number;
  enabled: number;
  created_at: number;
  updated_at: number;
}

interface AlertRow {
  id: number;
  rule_id: number | null;
  rule_name: string;
  series: string;
  severity: Severity;
  state: AlertState;
  value: number;
  threshold: number;
  fired_at: number;
  acknowledged_at: number | null;
  acknowledged_by: string | null;
  resolved_at: number | null;
}

interface WebhookRow {
  id: number;
  name: string;
  url: string;
  secret_header: string;
  secret: string | null;
  secret_sealed: number;
  enabled: number;
  created_at: number;
}

interface DeliveryRow {
  id: number;
  webhook_id: number;
  alert_id: number;
  event: string;
  payload: string;
  state: DeliveryState;
  attempts: number;
  next_attempt_at: number | null;
  last_status: number | null;
  last_error: string | null;
  created_at: number;
  updated_at: number;
}

const dateOrNull = (ms: number | null) => (ms === null ? null : new Date(ms));

const toRule = (row: RuleRow): AlertRule => ({
  id: row.id,
  name: row.name,
  series: row.series,
  comparison: row.comparison,
  warning: row.warning,
  critical: row.critical,
  forSeconds: row.for_seconds,
  hysteresis: row.hysteresis,
  enabled: row.enabled === 1,
  createdAt: new Date(row.created_at),
  updatedAt: new Date(row.updated_at),
});

const toAlert = (row: AlertRow): Alert => ({
  id: row.id,
  ruleId: row.rule_id,
  ruleName: row.rule_name,
  series: row.series,
  severity: row.severity,
  state: row.state,
  value: row.value,
  threshold: row.threshold,
  firedAt: new Date(row.fired_at),
  acknowledgedAt: dateOrNull(row.acknowledged_at),
  acknowledgedBy: row.acknowledged_by,
  resolvedAt: dateOrNull(row.resolved_at),
});

const toWebhook = (row: WebhookRow): Webhook => ({
  id: row.id,
  name: row.name,
  url: row.url,
  secretHeader: row.secret_header,
  hasSecret: row.secret !== null,
  enabled: row.enabled === 1,
  createdAt: new Date(row.created_at),
});

const toDelivery = (row: DeliveryRow): Delivery => ({
  id: row.id,
  webhookId: row.webhook_id,
  alertId: row.alert_id,
  event: row.event,
  payload: row.payload,
  state: row.state,
  attempts: row.attempts,
  nextAttemptAt: dateOrNull(row.next_attempt_at),
  lastStatus: row.last_status,
  lastError: row.last_error,
  createdAt: new Date(row.created_at),
  updatedAt: new Date(row.updated_at),
});

/** A rule's columns in the order the statements below take them. */
const ruleColumns = (r: AlertRuleInput) => [r.name, r.series, r.comparison, r.warning, r.critical, r.forSeconds, r.hysteresis] as const;

export interface AlertsStoreOptions {
  /** The key webhook secrets are sealed with (32 bytes). */
  webhookSecretKey: Uint8Array;
}

export function createAlertsStore(db: Database, { webhookSecretKey }: AlertsStoreOptions) {
  const rules = db.query<RuleRow, []>("SELECT * FROM alert_rules ORDER BY id");
  const rule = db.query<RuleRow, [number]>("SELECT * FROM alert_rules WHERE id = ?");
  const ruleCount = db.query<{ n: number }, []>("SELECT count(*) AS n FROM alert_rules");
  const insertRule = db.query<RuleRow, [string, string, string, number | null, number | null, number, number, number]>(
    `INSERT INTO alert_rules (name, series, comparison, warning, critical, for_seconds, hysteresis, enabled, created_at, updated_at)
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 1, ?8, ?8) RETURNING *`,
  );
  const updateRule = db.query<RuleRow, [string, string, string, number | null, number | null, number, number, number, number]>(
    `UPDATE alert_rules SET name = ?1, series = ?2, comparison = ?3, warning = ?4, critical = ?5, for_seconds = ?6, hysteresis = ?7,
     updated_at = ?8 WHERE id = ?9 RETURNING *`,
  );
  const setRuleEnabled = db.query<RuleRow, [number, number, number]>(
    "UPDATE alert_rules SET enabled = ?1, updated_at = ?2 WHERE id = ?3 RETURNING *",
  );
  const deleteRule = db.query<unknown, [number]>("DELETE FROM alert_rules WHERE id = ?");

  const alert = db.query<AlertRow, [number]>("SELECT * FROM alerts WHERE id = ?");
  const openAlerts = db.query<AlertRow, []>("SELECT * FROM alerts WHERE state != 'resolved' ORDER BY id");
  // Newest first, keyset-paged on the id; a null state lists every alert.
  const listAlerts = db.query<AlertRow, [string | null, number | null, number]>(
    "SELECT * FROM alerts WHERE (?1 IS NULL OR state = ?1) AND (?2 IS NULL OR id < ?2) ORDER BY id DESC LIMIT ?3",
  );
  const insertAlert = db.query<AlertRow, [number, string, string, string, number, number, number]>(
    `INSERT INTO alerts (rule_id, rule_name, series, severity, state, value, threshold, fired_at)
     VALUES (?1, ?2, ?3, ?4, 'firing', ?5, ?6, ?7) RETURNING *`,
  );
  const escalate = db.query<AlertRow, [string, number, number, number]>(
    "UPDATE alerts SET severity = ?1, value = ?2, threshold = ?3 WHERE id = ?4 RETURNING *",
  );
  const acknowledge = db.query<AlertRow, [number, string, number]>(
    "UPDATE alerts SET state = 'acknowledged', acknowledged_at = ?1, acknowledged_by = ?2 WHERE id = ?3 AND state = 'firing' RETURNING *",
  );
  const resolve = db.query<AlertRow, [number, number, number]>(
    "UPDATE alerts SET state = 'resolved', value = ?1, resolved_at = ?2 WHERE id = ?3 AND state != 'resolved' RETURNING *",
  );
  const detachRule = db.query<unknown, [number]>("UPDATE alerts SET rule_id = NULL WHERE rule_id = ?");
  // Past alerts beyond the newest `keep` resolved ones, or resolved before `before`.
  const pruneAlerts = db.query<unknown, [number, number]>(
    `DELETE FROM alerts WHERE state = 'resolved' AND (resolved_at < ?1 OR id NOT IN
       (SELECT id FROM alerts WHERE state = 'resolved' ORDER BY id DESC LIMIT ?2))`,
  );

  const webhooks = db.query<WebhookRow, []>("SELECT * FROM alert_webhooks ORDER BY id");
  const webhook = db.query<WebhookRow, [number]>("SELECT * FROM alert_webhooks WHERE id = ?");
  const webhookCount = db.query<{ n: number }, []>("SELECT count(*) AS n FROM alert_webhooks");
  const insertWebhook = db.query<WebhookRow, [string, string, string, number]>(
    "INSERT INTO alert_webhooks (name, url, secret_header, enabled, created_at) VALUES (?1, ?2, ?3, 1, ?4) RETURNING *",
  );
  const updateWebhook = db.query<WebhookRow, [string, string, string, number, number]>(
    "UPDATE alert_webhooks SET name = ?1, url = ?2, secret_header = ?3, enabled = ?4 WHERE id = ?5 RETURNING *",
  );
  const setWebhookSecret = db.query<unknown, [string | null, number]>(
    "UPDATE alert_webhooks SET secret = ?, secret_sealed = 1 WHERE id = ?",
  );
  const webhookSecret = db.query<{ secret: string | null }, [number]>("SELECT secret FROM alert_webhooks WHERE id = ?");
  const clearWebhookSecrets = db.query<{ id: number; secret: string }, []>(
    "SELECT id, secret FROM alert_webhooks WHERE secret IS NOT NULL AND secret_sealed = 0",
  );
  /** Stores `secret` sealed for webhook `id` (null: no secret). */
  const storeSecret = (id: number, secret: string | null) =>
    setWebhookSecret.run(secret === null ? null : seal(webhookSecretKey, String(id), secret), id);
  const deleteWebhook = db.query<unknown, [number]>("DELETE FROM alert_webhooks WHERE id = ?");

  const insertDelivery = db.query<DeliveryRow, [number, number, string, string, number]>(
    `INSERT INTO alert_deliveries (webhook_id, alert_id, event, payload, state, attempts, next_attempt_at, created_at, updated_at)
     VALUES (?1, ?2, ?3, ?4, 'pending', 0, ?5, ?5, ?5) RETURNING *`,
  );
  const pendingCount = db.query<{ n: number }, []>("SELECT count(*) AS n FROM alert_deliveries WHERE state = 'pending'");
  const dropOldestPending = db.query<unknown, [number, number]>(
    `UPDATE alert_deliveries SET state = 'failed', next_attempt_at = NULL, last_error = 'dropped: too many deliveries waiting', updated_at = ?1
     WHERE id IN (SELECT id FROM alert_deliveries WHERE state = 'pending' ORDER BY id LIMIT ?2)`,
  );
  const dueDeliveries = db.query<DeliveryRow, [number, number]>(
    "SELECT * FROM alert_deliveries WHERE state = 'pending' AND next_attempt_at <= ? ORDER BY next_attempt_at, id LIMIT ?",
  );
  const nextDue = db.query<{ at: number | null }, []>("SELECT min(next_attempt_at) AS at FROM alert_deliveries WHERE state = 'pending'");
  const recordAttempt = db.query<unknown, [string, number, number | null, number | null, string | null, number, number]>(
    `UPDATE alert_deliveries SET state = ?1, attempts = ?2, next_attempt_at = ?3, last_status = ?4, last_error = ?5, updated_at = ?6
     WHERE id = ?7`,
  );
  const listDeliveries = db.query<DeliveryRow, [number | null, number]>(
    "SELECT * FROM alert_deliveries WHERE (?1 IS NULL OR webhook_id = ?1) ORDER BY id DESC LIMIT ?2",
  );
  const pruneDeliveries = db.query<unknown, [number, number]>(
    `DELETE FROM alert_deliveries WHERE state != 'pending' AND (updated_at < ?1 OR id NOT IN
       (SELECT id FROM alert_deliveries WHERE state != 'pending' ORDER BY id DESC LIMIT ?2))`,
  );

  return {
    rules: (): AlertRule[] => rules.all().map(toRule),
    rule: (id: number): AlertRule | null => {
      const row = rule.get(id);
      return row ? toRule(row) : null;
    },
    ruleCount: (): number => (ruleCount.get() as { n: number }).n,
    insertRule: (input: AlertRuleInput, nowMs: number): AlertRule => toRule(insertRule.get(...ruleColumns(input), nowMs) as RuleRow),
    updateRule: (id: number, input: AlertRuleInput, nowMs: number): AlertRule | null => {
      const row = updateRule.get(...ruleColumns(input), nowMs, id);
      return row ? toRule(row) : null;
    },
    setRuleEnabled: (id: number, enabled: boolean, nowMs: number): AlertRule | null => {
      const row = setRuleEnabled.get(enabled ? 1 : 0, nowMs, id);
      return row ? toRule(row) : null;
    },
    /** Deletes a rule; its past alerts stay, without the link to it. */
    deleteRule: (id: number): boolean => {
      detachRule.run(id);
      return deleteRule.run(id).changes > 0;
    },

    alert: (id: number): Alert | null => {
      const row = alert.get(id);
      return row ? toAlert(row) : null;
    },
    openAlerts: (): Alert[] => openAlerts.all().map(toAlert),
    listAlerts: (state: AlertState | null, beforeId: number | null, limit: number): Alert[] =>
      listAlerts.all(state, beforeId, limit).map(toAlert),
    insertAlert: (a: NewAlert): Alert =>
      toAlert(insertAlert.get(a.ruleId, a.ruleName, a.series, a.severity, a.value, a.threshold, a.firedAtMs) as AlertRow),
    escalate: (id: number, severity: Severity, value: number, threshold: number): Alert | null => {
      const row = escalate.get(severity, value, threshold, id);
      return row ? toAlert(row) : null;
    },
    /** Acknowledges a firing alert; null when it is not firing. */
    acknowledge: (id: number, by: string, nowMs: number): Alert | null => {
      const row = acknowledge.get(nowMs, by, id);
      return row ? toAlert(row) : null;
    },
    /** Resolves an open alert; null when it is already resolved. */
    resolve: (id: number, value: number, nowMs: number): Alert | null => {
      const row = resolve.get(value, nowMs, id);
      return row ? toAlert(row) : null;
    },
    pruneAlerts: (beforeMs: number, keep: number): number => pruneAlerts.run(beforeMs, keep).changes,

    webhooks: (): Webhook[] => webhooks.all().map(toWebhook),
    webhook: (id: number): Webhook | null => {
      const row = webhook.get(id);
      return row ? toWebhook(row) : null;
    },
    webhookCount: (): number => (webhookCount.get() as { n: number }).n,
    /** Adds an enabled webhook; call inside a write, so that its secret is stored with it. */
    insertWebhook(w: { name: string; url: string; secretHeader: string; secret: string | null }, nowMs: number): Webhook {
      const webhook = toWebhook(insertWebhook.get(w.name, w.url, w.secretHeader, nowMs) as WebhookRow);
      // The id the secret is bound to exists only now.
      if (w.secret !== null) storeSecret(webhook.id, w.secret);
      return { ...webhook, hasSecret: w.secret !== null };
    },
    updateWebhook: (id: number, w: { name: string; url: string; secretHeader: string; enabled: boolean }): Webhook | null => {
      const row = updateWebhook.get(w.name, w.url, w.secretHeader, w.enabled ? 1 : 0, id);
      return row ? toWebhook(row) : null;
    },
    setWebhookSecret: (id: number, secret: string | null): void => {
      storeSecret(id, secret);
    },
    /**
     * The secret of webhook `id`, opened; null when it has none. Throws an `Error` (which names the
     * webhook, never the secret) when the secret does not open: <data>/secret was replaced since it
     * was stored, or the row was changed outside Outpost.
     */
    webhookSecret(id: number): string | null {
      const stored = webhookSecret.get(id)?.secret ?? null;
      if (stored === null) return null;
      try {
        return open(webhookSecretKey, String(id), stored);
      } catch (err) {
        throw new Error(`The secret of alert webhook ${id} does not open; was <data>/secret replaced?`, { cause: err });
      }
    },
    /** Seals every webhook secret still stored in clear (by a version before they were sealed); returns how many. Idempotent. */
    sealClearWebhookSecrets(): number {
      const rows = clearWebhookSecrets.all();
      if (rows.length > 0)
        rewriteLeavingNoCopy(db, () => {
          for (const row of rows) storeSecret(row.id, row.secret);
        });
      return rows.length;
    },
    deleteWebhook: (id: number): boolean => deleteWebhook.run(id).changes > 0,

    insertDelivery: (webhookId: number, alertId: number, event: string, payload: string, nowMs: number): Delivery =>
      toDelivery(insertDelivery.get(webhookId, alertId, event, payload, nowMs) as DeliveryRow),
    pendingCount: (): number => (pendingCount.get() as { n: number }).n,
    /** Gives up on the `count` oldest waiting deliveries, recording why. */
    dropOldestPending: (count: number, nowMs: number): void => {
      dropOldestPending.run(nowMs, count);
    },
    dueDeliveries: (nowMs: number, limit: number): Delivery[] => dueDeliveries.all(nowMs, limit).map(toDelivery),
    /** When the next waiting delivery is due; null when none waits. */
    nextDueMs: (): number | null => (nextDue.get() as { at: number | null }).at,
    recordAttempt: (
      id: number,
      outcome: { state: DeliveryState; attempts: number; nextAttemptMs: number | null; status: number | null; error: string | null },
      nowMs: number,
    ): void => {
      recordAttempt.run(outcome.state, outcome.attempts, outcome.nextAttemptMs, outcome.status, outcome.error, nowMs, id);
    },
    listDeliveries: (webhookId: number | null, limit: number): Delivery[] => listDeliveries.all(webhookId, limit).map(toDelivery),
    pruneDeliveries: (beforeMs: number, keep: number): number => pruneDeliveries.run(beforeMs, keep).changes,
  };
}

export type AlertsStore = ReturnType<typeof createAlertsStore>;
