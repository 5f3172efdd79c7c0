// Alerts on the host's metrics: alerts firing and past, the rules that raise them, acknowledging,
// live alert changes, and the webhooks told of each change with every delivery to them.

import type { AlertChange } from "../server/alerts/service";
import type { Alert, AlertRule, AlertRuleInput, Delivery, Webhook } from "../server/alerts/store";
import { DEFAULT_SECRET_HEADER, MAX_DELIVERY_ATTEMPTS } from "../server/alerts/webhooks";
import { actorName } from "../server/auth/viewer";
import { NotFoundError } from "../server/errors";
import { auditTarget } from "./audit";
import { builder } from "./builder";
import { signedInViewer } from "./context";
import { connectionOf } from "./pagination";

/** An id as the API hands it out, back to the number it stands for; NOT_FOUND for anything else. */
function idNumber(id: string | number, what: string): number {
  const n = Number(id);
  if (!Number.isSafeInteger(n) || n < 1) throw new NotFoundError(`No ${what} ${id}.`);
  return n;
}

const SeverityEnum = builder.enumType("AlertSeverity", {
  values: { WARNING: { value: "warning" }, CRITICAL: { value: "critical" } } as const,
});

const AlertStateEnum = builder.enumType("AlertState", {
  values: {
    FIRING: { value: "firing", description: "Past a level for the rule's duration; nobody has acknowledged it yet." },
    ACKNOWLEDGED: { value: "acknowledged", description: "Still past its level; someone has seen it." },
    RESOLVED: { value: "resolved", description: "The value came back past the level and the hysteresis; kept as history." },
  } as const,
});

const ComparisonEnum = builder.enumType("AlertComparison", {
  values: {
    ABOVE: { value: "above", description: "Alert when the value is at or above a level." },
    BELOW: { value: "below", description: "Alert when the value is at or below a level." },
  } as const,
});

const AlertChangeKindEnum = builder.enumType("AlertChangeKind", {
  values: {
    FIRED: { value: "fired" },
    ESCALATED: { value: "escalated" },
    ACKNOWLEDGED: { value: "acknowledged" },
    RESOLVED: { value: "resolved" },
  } as const,
});

const AlertType = builder.objectRef<Alert>("Alert").implement({
  fields: (t) => ({
    id: t.id({ resolve: (a) => String(a.id) }),
    ruleId: t.id({
      nullable: true,
      description: "Null once the rule was deleted.",
      resolve: (a) => (a.ruleId === null ? null : String(a.ruleId)),
    }),
    ruleName: t.exposeString("ruleName"),
    series: t.exposeString("series", { description: "The series that passed the level (disk./.usedPercent)." }),
    severity: t.field({ type: SeverityEnum, resolve: (a) => a.severity }),
    state: t.field({ type: AlertStateEnum, resolve: (a) => a.state }),
    value: t.exposeFloat("value", { description: "The value that fired or escalated it; once resolved, the value that resolved it." }),
    threshold: t.exposeFloat("threshold", { description: "The level it passed." }),
    firedAt: t.expose("firedAt", { type: "DateTime" }),
    acknowledgedAt: t.expose("acknowledgedAt", { type: "DateTime", nullable: true }),
    acknowledgedBy: t.exposeString("acknowledgedBy", { nullable: true }),
    resolvedAt: t.expose("resolvedAt", { type: "DateTime", nullable: true }),
  }),
});

const AlertRuleType = builder.objectRef<AlertRule>("AlertRule").implement({
  fields: (t) => ({
    id: t.id({ resolve: (r) => String(r.id) }),
    name: t.exposeString("name"),
    series: t.exposeString("series", {
      description: "A series name as metricSeries lists it; * stands for any text (disk.*.usedPercent).",
    }),
    comparison: t.field({ type: ComparisonEnum, resolve: (r) => r.comparison }),
    warning: t.exposeFloat("warning", { nullable: true }),
    critical: t.exposeFloat("critical", { nullable: true }),
    forSeconds: t.exposeInt("forSeconds", { description: "How long the value must stay past a level before the alert fires." }),
    hysteresis: t.exposeFloat("hysteresis", {
      description: "How far back past the lowest level (warning, else critical) the value must come before the alert resolves.",
    }),
    enabled: t.exposeBoolean("enabled"),
    createdAt: t.expose("createdAt", { type: "DateTime" }),
    updatedAt: t.expose("updatedAt", { type: "DateTime" }),
  }),
});

const AlertRuleInputType = builder.inputType("AlertRuleInput", {
  fields: (t) => ({
    name: t.string({ required: true, description: "1 to 100 characters." }),
    series: t.string({ required: true, description: "1 to 200 characters; * stands for any text." }),
    comparison: t.field({ type: ComparisonEnum, defaultValue: "above" }),
    warning: t.float(),
    critical: t.float({ description: "At least one level is needed; with both, critical lies past warning." }),
    forSeconds: t.int({ defaultValue: 0, description: "0 to 604800." }),
    hysteresis: t.float({ defaultValue: 0 }),
  }),
});

const AlertChangeType = builder.objectRef<AlertChange>("AlertChange").implement({
  fields: (t) => ({
    kind: t.field({ type: AlertChangeKindEnum, resolve: (c) => c.kind }),
    alert: t.field({ type: AlertType, resolve: (c) => c.alert }),
  }),
});

const AlertWebhookType = builder.objectRef<Webhook>("AlertWebhook").implement({
  description: "Where alert changes are posted as JSON ({ event, host, alert }).",
  fields: (t) => ({
    id: t.id({ resolve: (w) => String(w.id) }),
    name: t.exposeString("name"),
    url: t.exposeString("url"),
    secretHeader: t.exposeString("secretHeader", { description: "The header that carries the secret." }),
    hasSecret: t.exposeBoolean("hasSecret", { description: "Whether a secret is sent; the secret itself is never shown." }),
    enabled: t.exposeBoolean("enabled"),
    createdAt: t.expose("createdAt", { type: "DateTime" }),
  }),
});

const DeliveryStateEnum = builder.enumType("AlertDeliveryState", {
  values: {
    PENDING: { value: "pending", description: "Waiting for its first try or for a retry." },
    DELIVERED: { value: "delivered", description: "The webhook answered 2xx." },
    FAILED: { value: "failed", description: `Given up after ${MAX_DELIVERY_ATTEMPTS} attempts, or dropped from a full queue.` },
  } as const,
});

const AlertDeliveryType = builder.objectRef<Delivery>("AlertDelivery").implement({
  fields: (t) => ({
    id: t.id({ resolve: (d) => String(d.id) }),
    webhookId: t.id({ resolve: (d) => String(d.webhookId) }),
    alertId: t.id({
      nullable: true,
      description: "Null for a test message.",
      resolve: (d) => (d.alertId === 0 ? null : String(d.alertId)),
    }),
    event: t.exposeString("event", { description: "fired, escalated, acknowledged, resolved or test." }),
    payload: t.exposeString("payload", { description: "The JSON body posted." }),
    state: t.field({ type: DeliveryStateEnum, resolve: (d) => d.state }),
    attempts: t.exposeInt("attempts"),
    nextAttemptAt: t.expose("nextAttemptAt", { type: "DateTime", nullable: true }),
    lastStatus: t.exposeInt("lastStatus", { nullable: true, description: "The HTTP status of the last attempt; null when none came." }),
    lastError: t.exposeString("lastError", { nullable: true }),
    createdAt: t.expose("createdAt", { type: "DateTime" }),
    updatedAt: t.expose("updatedAt", { type: "DateTime" }),
  }),
});

const AlertConnection = connectionOf("Alert", AlertType);

const ruleInput = (input: typeof AlertRuleInputType.$inferInput): AlertRuleInput => ({
  name: input.name,
  series: input.series,
  comparison: input.comparison ?? "above",
  warning: input.warning ?? null,
  critical: input.critical ?? null,
  forSeconds: input.forSeconds ?? 0,
  hysteresis: input.hysteresis ?? 0,
});

builder.queryFields((t) => ({
  alerts: t.field({
    type: AlertConnection,
    description: "Alerts in state (every state when left out), newest first; first is 1 to 200.",
    authScopes: { permission: "alerts:read" },
    args: { state: t.arg({ type: AlertStateEnum }), first: t.arg.int({ defaultValue: 50 }), after: t.arg.id() },
    resolve: (_root, args, ctx) => {
      const page = ctx.services.alerts.list({
        state: args.state ?? null,
        first: args.first ?? 50,
        after: args.after ? idNumber(args.after, "alert") : null,
      });
      return { items: page.alerts, hasNextPage: page.hasNextPage, cursorOf: (a: Alert) => String(a.id) };
    },
  }),
  openAlerts: t.field({
    type: [AlertType],
    description: "The alerts firing or acknowledged, oldest first (what the banner shows).",
    authScopes: { permission: "alerts:read" },
    resolve: (_root, _args, ctx) => ctx.services.alerts.open(),
  }),
  alertRules: t.field({
    type: [AlertRuleType],
    authScopes: { permission: "alerts:read" },
    resolve: (_root, _args, ctx) => ctx.services.alerts.rules(),
  }),
  alertWebhooks: t.field({
    type: [AlertWebhookType],
    description: "Webhook URLs often carry credentials, so they are shown to those who manage alerts only.",
    authScopes: { permission: "alerts:manage" },
    resolve: (_root, _args, ctx) => ctx.services.alertWebhooks.webhooks(),
  }),
  alertDeliveries: t.field({
    type: [AlertDeliveryType],
    description: "The newest deliveries (of one webhook when webhookId is given), at most limit (1 to 200).",
    authScopes: { permission: "alerts:manage" },
    args: { webhookId: t.arg.id(), limit: t.arg.int({ defaultValue: 50 }) },
    resolve: (_root, args, ctx) =>
      ctx.services.alertWebhooks.deliveries(args.webhookId ? idNumber(args.webhookId, "webhook") : null, args.limit ?? 50),
  }),
}));

builder.subscriptionField("alertEvents", (t) =>
  t.field({
    type: AlertChangeType,
    description: "Each alert as it fires, escalates, is acknowledged or resolves.",
    authScopes: { permission: "alerts:read" },
    subscribe: (_root, _args, ctx) => ctx.services.alerts.watch(),
    resolve: (change) => change,
  }),
);

builder.mutationFields((t) => ({
  acknowledgeAlert: t.field({
    type: AlertType,
    description: "Marks a firing alert as seen; it stays open until its value clears. CONFLICT for a resolved alert.",
    authScopes: { permission: "alerts:manage" },
    extensions: auditTarget("id"),
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, { id }, ctx) => ctx.services.alerts.acknowledge(idNumber(id, "alert"), actorName(signedInViewer(ctx)) ?? "unknown"),
  }),
  createAlertRule: t.field({
    type: AlertRuleType,
    description: "Adds an enabled rule (at most 100). BAD_USER_INPUT for a rule without levels or with levels in the wrong order.",
    authScopes: { permission: "alerts:manage" },
    extensions: auditTarget("input"),
    args: { input: t.arg({ type: AlertRuleInputType, required: true }) },
    resolve: (_root, { input }, ctx) => ctx.services.alerts.createRule(ruleInput(input)),
  }),
  updateAlertRule: t.field({
    type: AlertRuleType,
    description: "Changes a rule; its open alerts stay open and resolve by the new levels.",
    authScopes: { permission: "alerts:manage" },
    extensions: auditTarget("id", "input"),
    args: { id: t.arg.id({ required: true }), input: t.arg({ type: AlertRuleInputType, required: true }) },
    resolve: (_root, { id, input }, ctx) => ctx.services.alerts.updateRule(idNumber(id, "alert rule"), ruleInput(input)),
  }),
  setAlertRuleEnabled: t.field({
    type: AlertRuleType,
    description: "Turns a rule on or off; turning it off resolves its open alerts.",
    authScopes: { permission: "alerts:manage" },
    extensions: auditTarget("id", "enabled"),
    args: { id: t.arg.id({ required: true }), enabled: t.arg.boolean({ required: true }) },
    resolve: (_root, { id, enabled }, ctx) => ctx.services.alerts.setRuleEnabled(idNumber(id, "alert rule"), enabled),
  }),
  deleteAlertRule: t.boolean({
    description: "Deletes a rule and resolves its open alerts; its past alerts stay in the history.",
    authScopes: { permission: "alerts:manage" },
    extensions: auditTarget("id"),
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, { id }, ctx) => ctx.services.alerts.deleteRule(idNumber(id, "alert rule")),
  }),
  createAlertWebhook: t.field({
    type: AlertWebhookType,
    description: `Adds an enabled webhook (at most 20); secret, when given, is sent in secretHeader (${DEFAULT_SECRET_HEADER} by default) with every delivery.`,
    authScopes: { permission: "alerts:manage" },
    extensions: auditTarget("name"),
    args: {
      name: t.arg.string({ required: true }),
      url: t.arg.string({ required: true, description: "http:// or https://, at most 2000 characters." }),
      secretHeader: t.arg.string({ defaultValue: DEFAULT_SECRET_HEADER }),
      secret: t.arg.string({ description: "At most 1000 characters, one line." }),
    },
    resolve: (_root, args, ctx) =>
      ctx.services.alertWebhooks.createWebhook({
        name: args.name,
        url: args.url,
        secretHeader: args.secretHeader ?? DEFAULT_SECRET_HEADER,
        secret: args.secret ?? null,
      }),
  }),
  updateAlertWebhook: t.field({
    type: AlertWebhookType,
    description: "Changes a webhook; secret replaces its secret when given (an empty one removes it), else the secret stays.",
    authScopes: { permission: "alerts:manage" },
    extensions: auditTarget("id", "name", "enabled"),
    args: {
      id: t.arg.id({ required: true }),
      name: t.arg.string({ required: true }),
      url: t.arg.string({ required: true }),
      secretHeader: t.arg.string({ defaultValue: DEFAULT_SECRET_HEADER }),
      secret: t.arg.string(),
      enabled: t.arg.boolean({ defaultValue: true }),
    },
    resolve: (_root, args, ctx) =>
      ctx.services.alertWebhooks.updateWebhook(idNumber(args.id, "webhook"), {
        name: args.name,
        url: args.url,
        secretHeader: args.secretHeader ?? DEFAULT_SECRET_HEADER,
        enabled: args.enabled ?? true,
        secret: args.secret === undefined ? undefined : args.secret,
      }),
  }),
  deleteAlertWebhook: t.boolean({
    description: "Deletes a webhook and its deliveries.",
    authScopes: { permission: "alerts:manage" },
    extensions: auditTarget("id"),
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, { id }, ctx) => ctx.services.alertWebhooks.deleteWebhook(idNumber(id, "webhook")),
  }),
  testAlertWebhook: t.field({
    type: AlertDeliveryType,
    description: 'Queues a test message ({ event: "test" }) to one webhook, delivered and recorded like any other.',
    authScopes: { permission: "alerts:manage" },
    extensions: auditTarget("id"),
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, { id }, ctx) => ctx.services.alertWebhooks.sendTest(idNumber(id, "webhook")),
  }),
}));
