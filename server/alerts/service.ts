// Alerting: rules on any metric series, evaluated on every sample; alerts that fire after a rule's
// duration, escalate, are acknowledged and resolve with hysteresis, kept as history (bounded by
// count and age); every change published as `alert.changed` and queued for the webhooks.
// Knows nothing of GraphQL.
import { hostname } from "node:os";
import type { Clock } from "../clock";
import type { WriteBatcher } from "../db";
import { ConflictError, InvalidInputError, LimitExceededError, NotFoundError } from "../errors";
import type { EventBus } from "../events";
import type { Logger } from "../log";
import type { MetricsSample } from "../metrics/sampler";
import { seriesValues } from "../metrics/series";
import { type AlertAction, createAlertEvaluator } from "./evaluator";
import type { Alert, AlertRule, AlertRuleInput, AlertState, AlertsStore } from "./store";
import type { WebhookDelivery } from "./webhooks";

export const MAX_RULES = 100;
export const MAX_ALERTS_PAGE = 200;
const MAX_NAME_CHARS = 100;
const MAX_SERIES_CHARS = 200;
const MAX_FOR_SECONDS = 7 * 86_400;

export type AlertChangeKind = "fired" | "escalated" | "acknowledged" | "resolved";

export interface AlertChange {
  kind: AlertChangeKind;
  alert: Alert;
}

export interface AlertsServiceOptions {
  store: AlertsStore;
  writes: WriteBatcher;
  events: EventBus;
  clock: Clock;
  log: Logger;
  webhooks: WebhookDelivery;
  /** Resolved alerts kept at most, and for how long. */
  historyMax: number;
  historyMs: number;
}

/** Checks a rule as a user wrote it; throws InvalidInputError naming what is wrong. */
export function checkRule(input: AlertRuleInput): AlertRuleInput {
  const name = input.name.trim();
  const series = input.series.trim();
  if (name.length === 0 || name.length > MAX_NAME_CHARS) throw new InvalidInputError(`name must be 1 to ${MAX_NAME_CHARS} characters.`);
  if (series.length === 0 || series.length > MAX_SERIES_CHARS) {
    throw new InvalidInputError(`series must be 1 to ${MAX_SERIES_CHARS} characters.`);
  }
  const { warning, critical, comparison } = input;
  if (warning === null && critical === null) throw new InvalidInputError("Set a warning level, a critical level or both.");
  for (const level of [warning, critical]) {
    if (level !== null && !Number.isFinite(level)) throw new InvalidInputError("Levels must be finite numbers.");
  }
  if (warning !== null && critical !== null && (comparison === "above" ? warning >= critical : warning <= critical)) {
    throw new InvalidInputError(`The critical level must be ${comparison === "above" ? "above" : "below"} the warning level.`);
  }
  if (!Number.isInteger(input.forSeconds) || input.forSeconds < 0 || input.forSeconds > MAX_FOR_SECONDS) {
    throw new InvalidInputError(`forSeconds must be a whole number from 0 to ${MAX_FOR_SECONDS}.`);
  }
  if (!Number.isFinite(input.hysteresis) || input.hysteresis < 0) throw new InvalidInputError("hysteresis must be 0 or more.");
  return { ...input, name, series };
}

export function createAlertsService({ store, writes, events, clock, log, webhooks, historyMax, historyMs }: AlertsServiceOptions) {
  const evaluator = createAlertEvaluator();
  let rules: AlertRule[] = store.rules();
  // Samples are evaluated one after another: an alert a sample opens is known before the next is looked at.
  let evaluating: Promise<void> = Promise.resolve();

  for (const alert of store.openAlerts()) {
    if (alert.ruleId !== null) evaluator.opened({ id: alert.id, ruleId: alert.ruleId, series: alert.series, severity: alert.severity });
  }

  const payloadOf = (kind: AlertChangeKind, alert: Alert) => ({ event: kind, host: hostname(), alert });

  /** Writes `change` (returning the alerts it touched with what happened to each), then tells subscribers and webhooks. */
  const commit = async (change: () => AlertChange[]): Promise<AlertChange[]> => {
    const changes = await writes.run(() => {
      const made = change();
      for (const { kind, alert } of made) webhooks.enqueue(alert.id, kind, payloadOf(kind, alert));
      return made;
    });
    for (const made of changes) events.publish("alert.changed", made);
    if (changes.length > 0) webhooks.kick();
    return changes;
  };

  const track = ({ kind, alert }: AlertChange) => {
    if (alert.ruleId === null) return;
    if (kind === "resolved") evaluator.closed(alert.ruleId, alert.series);
    else evaluator.opened({ id: alert.id, ruleId: alert.ruleId, series: alert.series, severity: alert.severity });
  };

  const apply = (actions: AlertAction[], nowMs: number): AlertChange[] => {
    const changes: AlertChange[] = [];
    for (const action of actions) {
      if (action.kind === "fire") {
        const { rule, series, severity, value, threshold } = action;
        const alert = store.insertAlert({ ruleId: rule.id, ruleName: rule.name, series, severity, value, threshold, firedAtMs: nowMs });
        changes.push({ kind: "fired", alert });
      } else if (action.kind === "escalate") {
        const alert = store.escalate(action.alertId, action.severity, action.value, action.threshold);
        if (alert) changes.push({ kind: "escalated", alert });
      } else {
        const alert = store.resolve(action.alertId, action.value, nowMs);
        if (alert) changes.push({ kind: "resolved", alert });
      }
    }
    return changes;
  };

  /** Resolves the open alerts of one rule (disabled or deleted): nothing watches them any more. */
  const resolveRuleAlerts = (ruleId: number, nowMs: number): AlertChange[] =>
    store
      .openAlerts()
      .filter((alert) => alert.ruleId === ruleId)
      .flatMap((alert) => {
        const resolved = store.resolve(alert.id, alert.value, nowMs);
        return resolved ? [{ kind: "resolved" as const, alert: resolved }] : [];
      });

  const ruleOrThrow = (id: number): AlertRule => {
    const rule = store.rule(id);
    if (!rule) throw new NotFoundError(`No alert rule ${id}.`);
    return rule;
  };

  const reloadRules = () => {
    rules = store.rules();
  };

  /**
   * Evaluates every enabled rule against one sample (after the samples before it): fires,
   * escalates and resolves alerts, publishing each change and queueing it for the webhooks.
   * Resolves once that is done; a failure is logged, never thrown.
   */
  const evaluate = (sample: MetricsSample): Promise<void> => {
    evaluating = evaluating.then(async () => {
      const nowMs = clock.now();
      const actions = evaluator.evaluate(rules, new Map(seriesValues(sample)), nowMs);
      if (actions.length === 0) return;
      try {
        for (const change of await commit(() => apply(actions, nowMs))) track(change);
      } catch (err) {
        log.error("alerts not updated", { err });
      }
    });
    return evaluating;
  };

  let stopListening = () => {};

  return {
    /** Evaluates every `metrics.sample` from now on. */
    start(): void {
      stopListening = events.on("metrics.sample", (sample) => void evaluate(sample));
    },

    /** Stops evaluating and waits for the sample being evaluated. */
    stop(): Promise<void> {
      stopListening();
      return evaluating;
    },

    evaluate,

    rules: (): AlertRule[] => rules,

    /** Adds an enabled rule. InvalidInputError for a bad rule; LimitExceededError past MAX_RULES. */
    async createRule(input: AlertRuleInput): Promise<AlertRule> {
      const checked = checkRule(input);
      const rule = await writes.run(() => {
        if (store.ruleCount() >= MAX_RULES) throw new LimitExceededError(`At most ${MAX_RULES} alert rules.`);
        return store.insertRule(checked, clock.now());
      });
      reloadRules();
      return rule;
    },

    /** Changes a rule; what it had seen of values so far is forgotten (its open alerts stay and resolve by the new levels). */
    async updateRule(id: number, input: AlertRuleInput): Promise<AlertRule> {
      const checked = checkRule(input);
      const rule = await writes.run(() => store.updateRule(id, checked, clock.now()));
      if (!rule) throw new NotFoundError(`No alert rule ${id}.`);
      evaluator.forgetRule(id);
      reloadRules();
      return rule;
    },

    /** Turns a rule on or off; turning it off resolves its open alerts. */
    async setRuleEnabled(id: number, enabled: boolean): Promise<AlertRule> {
      ruleOrThrow(id);
      let rule: AlertRule | null = null;
      const changes = await commit(() => {
        const nowMs = clock.now();
        rule = store.setRuleEnabled(id, enabled, nowMs);
        return enabled ? [] : resolveRuleAlerts(id, nowMs);
      });
      changes.forEach(track);
      evaluator.forgetRule(id);
      reloadRules();
      return rule ?? ruleOrThrow(id);
    },

    /** Deletes a rule, resolving its open alerts; its past alerts stay in the history. */
    async deleteRule(id: number): Promise<boolean> {
      ruleOrThrow(id);
      const changes = await commit(() => {
        const resolved = resolveRuleAlerts(id, clock.now());
        store.deleteRule(id);
        return resolved;
      });
      changes.forEach(track);
      evaluator.forgetRule(id);
      reloadRules();
      return true;
    },

    /** Alerts in `state` (any when null), newest first, `first` (1 to MAX_ALERTS_PAGE) after the alert `after`. */
    list({ state, first, after }: { state: AlertState | null; first: number; after: number | null }) {
      if (!Number.isInteger(first) || first < 1 || first > MAX_ALERTS_PAGE) {
        throw new InvalidInputError(`first must be between 1 and ${MAX_ALERTS_PAGE}.`);
      }
      const rows = store.listAlerts(state, after, first + 1);
      return { alerts: rows.slice(0, first), hasNextPage: rows.length > first };
    },

    /** The alerts firing or acknowledged, oldest first. */
    open: (): Alert[] => store.openAlerts(),

    /**
     * Marks a firing alert as seen by `by`; it stays open until its value clears. An acknowledged
     * alert is returned as it is; NotFoundError for no such alert, ConflictError for a resolved one.
     */
    async acknowledge(id: number, by: string): Promise<Alert> {
      const existing = store.alert(id);
      if (!existing) throw new NotFoundError(`No alert ${id}.`);
      if (existing.state === "acknowledged") return existing;
      if (existing.state === "resolved") throw new ConflictError(`Alert ${id} is already resolved.`);
      const [change] = await commit(() => {
        const alert = store.acknowledge(id, by, clock.now());
        return alert ? [{ kind: "acknowledged" as const, alert }] : [];
      });
      return change?.alert ?? (store.alert(id) as Alert);
    },

    /** Every alert change from now on. */
    watch: (): AsyncIterableIterator<AlertChange> => events.subscribe("alert.changed"),

    /** Deletes resolved alerts past the history's age or count. */
    prune: (): Promise<number> => writes.run(() => store.pruneAlerts(clock.now() - historyMs, historyMax)),
  };
}

export type AlertsService = ReturnType<typeof createAlertsService>;
