// The alerts' GraphQL operations: open and past alerts and their live changes (alerts:read),
// acknowledging, rules and webhooks with their deliveries (alerts:manage).

import { type GraphQLRequestError, query, subscribe } from "../../lib/graphql";
import { graphql, type ResultOf, type SchemaEnum, type VariablesOf } from "../../lib/operation";

const ALERT_FIELDS = "id ruleName series severity state value threshold firedAt acknowledgedAt acknowledgedBy resolvedAt";
const RULE_FIELDS = "id name series comparison warning critical forSeconds hysteresis enabled";
const WEBHOOK_FIELDS = "id name url secretHeader hasSecret enabled";
const DELIVERY_FIELDS = "id webhookId alertId event state attempts nextAttemptAt lastStatus lastError createdAt updatedAt";

const OPEN_ALERTS = graphql(`query OpenAlerts { openAlerts { ${ALERT_FIELDS} } }`);
const PAST_ALERTS = graphql(`query PastAlerts($after: ID) {
  alerts(state: RESOLVED, first: 50, after: $after) { nodes { ${ALERT_FIELDS} } pageInfo { hasNextPage endCursor } }
}`);
const ALERT_EVENTS = graphql(`subscription AlertEvents { alertEvents { kind alert { ${ALERT_FIELDS} } } }`);
const ACKNOWLEDGE = graphql(`mutation AcknowledgeAlert($id: ID!) { acknowledgeAlert(id: $id) { ${ALERT_FIELDS} } }`);
const RULES = graphql(`query AlertRules { alertRules { ${RULE_FIELDS} } }`);
const CREATE_RULE = graphql(`mutation CreateAlertRule($input: AlertRuleInput!) { createAlertRule(input: $input) { ${RULE_FIELDS} } }`);
const UPDATE_RULE = graphql(`mutation UpdateAlertRule($id: ID!, $input: AlertRuleInput!) {
  updateAlertRule(id: $id, input: $input) { ${RULE_FIELDS} }
}`);
const SET_RULE_ENABLED = graphql(`mutation SetAlertRuleEnabled($id: ID!, $enabled: Boolean!) {
  setAlertRuleEnabled(id: $id, enabled: $enabled) { ${RULE_FIELDS} }
}`);
const DELETE_RULE = graphql("mutation DeleteAlertRule($id: ID!) { deleteAlertRule(id: $id) }");
const WEBHOOKS = graphql(`query AlertWebhooks { alertWebhooks { ${WEBHOOK_FIELDS} } alertDeliveries(limit: 50) { ${DELIVERY_FIELDS} } }`);
const CREATE_WEBHOOK = graphql(`mutation CreateAlertWebhook($name: String!, $url: String!, $secret: String) {
  createAlertWebhook(name: $name, url: $url, secret: $secret) { ${WEBHOOK_FIELDS} }
}`);
const SET_WEBHOOK_SECRET = graphql(`mutation SetAlertWebhookSecret(
  $id: ID!, $name: String!, $url: String!, $secretHeader: String!, $enabled: Boolean!, $secret: String!
) {
  updateAlertWebhook(id: $id, name: $name, url: $url, secretHeader: $secretHeader, enabled: $enabled, secret: $secret) { ${WEBHOOK_FIELDS} }
}`);
const DELETE_WEBHOOK = graphql("mutation DeleteAlertWebhook($id: ID!) { deleteAlertWebhook(id: $id) }");
const TEST_WEBHOOK = graphql(`mutation TestAlertWebhook($id: ID!) { testAlertWebhook(id: $id) { ${DELIVERY_FIELDS} } }`);

export type AlertRow = ResultOf<typeof OPEN_ALERTS>["openAlerts"][number];
export type AlertRuleRow = ResultOf<typeof RULES>["alertRules"][number];
export type AlertRuleInput = VariablesOf<typeof CREATE_RULE>["input"];
export type AlertComparison = SchemaEnum<"AlertComparison">;
export type WebhookRow = ResultOf<typeof WEBHOOKS>["alertWebhooks"][number];
export type DeliveryRow = ResultOf<typeof WEBHOOKS>["alertDeliveries"][number];
export type AlertChangeKind = SchemaEnum<"AlertChangeKind">;

export async function fetchOpenAlerts(): Promise<readonly AlertRow[]> {
  return (await query(OPEN_ALERTS)).openAlerts;
}

export async function fetchPastAlerts(after: string | null) {
  return (await query(PAST_ALERTS, { after })).alerts;
}

/** Calls `onChange` with each alert change; returns the function that stops it. */
export function watchAlerts(
  onChange: (kind: AlertChangeKind, alert: AlertRow) => void,
  onError: (error: GraphQLRequestError) => void,
): () => void {
  return subscribe(ALERT_EVENTS, {}, (data) => onChange(data.alertEvents.kind, data.alertEvents.alert), onError);
}

export async function acknowledgeAlert(id: string): Promise<AlertRow> {
  return (await query(ACKNOWLEDGE, { id })).acknowledgeAlert;
}

export async function fetchRules(): Promise<readonly AlertRuleRow[]> {
  return (await query(RULES)).alertRules;
}

export async function createRule(input: AlertRuleInput): Promise<AlertRuleRow> {
  return (await query(CREATE_RULE, { input })).createAlertRule;
}

export async function updateRule(id: string, input: AlertRuleInput): Promise<AlertRuleRow> {
  return (await query(UPDATE_RULE, { id, input })).updateAlertRule;
}

export async function setRuleEnabled(id: string, enabled: boolean): Promise<AlertRuleRow> {
  return (await query(SET_RULE_ENABLED, { id, enabled })).setAlertRuleEnabled;
}

export async function deleteRule(id: string): Promise<void> {
  await query(DELETE_RULE, { id });
}

export async function fetchWebhooks() {
  return query(WEBHOOKS);
}

export async function createWebhook(variables: VariablesOf<typeof CREATE_WEBHOOK>): Promise<WebhookRow> {
  return (await query(CREATE_WEBHOOK, variables)).createAlertWebhook;
}

/** Replaces a webhook's secret (an empty one removes it); the rest of the webhook stays as it is. */
export async function changeWebhookSecret(webhook: WebhookRow, secret: string): Promise<WebhookRow> {
  const { id, name, url, secretHeader, enabled } = webhook;
  return (await query(SET_WEBHOOK_SECRET, { id, name, url, secretHeader, enabled, secret })).updateAlertWebhook;
}

export async function deleteWebhook(id: string): Promise<void> {
  await query(DELETE_WEBHOOK, { id });
}

export async function testWebhook(id: string): Promise<DeliveryRow> {
  return (await query(TEST_WEBHOOK, { id })).testAlertWebhook;
}

const SERIES_NAMES = graphql("query MetricSeriesNames { metricSeries }");

/** The history's series names, for the rule editor's suggestions. */
export async function fetchSeriesNames(): Promise<readonly string[]> {
  return (await query(SERIES_NAMES)).metricSeries;
}
