// The alert rules applied to one sample's series values: which alerts fire, escalate from warning
// to critical, or resolve. Pure bookkeeping on the times and values it is given (no clock, no
// database), so a test can drive it with synthetic samples.
import type { AlertRule, Severity } from "./store";

/** Series one rule may watch at once (`*` can match many); the rest are ignored. */
export const MAX_SERIES_PER_RULE = 64;

export type AlertAction =
  | { kind: "fire"; rule: AlertRule; series: string; severity: Severity; value: number; threshold: number }
  | { kind: "escalate"; alertId: number; series: string; severity: Severity; value: number; threshold: number }
  | { kind: "resolve"; alertId: number; series: string; value: number };

/** An alert not yet resolved, as the evaluator tracks it. */
export interface OpenAlert {
  id: number;
  ruleId: number;
  series: string;
  severity: Severity;
}

const RANK: Record<Severity, number> = { warning: 1, critical: 2 };

/** A series pattern as a matcher: `*` stands for any text, everything else for itself. */
export function seriesMatcher(pattern: string): (series: string) => boolean {
  if (!pattern.includes("*")) return (series) => series === pattern;
  const source = pattern
    .split("*")
    .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, "\\$&"))
    .join(".*");
  const regex = new RegExp(`^${source}$`);
  return (series) => regex.test(series);
}

const passes = (rule: AlertRule, value: number, level: number | null) =>
  level !== null && (rule.comparison === "above" ? value >= level : value <= level);

/** The level an open alert must come back past to resolve: the lowest level set, less the hysteresis. */
function cleared(rule: AlertRule, value: number): boolean {
  const level = (rule.warning ?? rule.critical) as number;
  return rule.comparison === "above" ? value < level - rule.hysteresis : value > level + rule.hysteresis;
}

/**
 * Keeps, per rule and series, since when the value has been past each level, and turns samples into
 * actions: fire once a level has been passed for the rule's duration, escalate an open warning when
 * the critical level has, resolve once the value is back past the hysteresis. The caller applies
 * the actions and reports alerts it opened and closed through `opened` and `closed`.
 */
export function createAlertEvaluator() {
  const passingSince = new Map<string, { warning: number | null; critical: number | null }>();
  const open = new Map<string, OpenAlert>();
  const matchers = new Map<number, { pattern: string; matches: (series: string) => boolean }>();
  const keyOf = (ruleId: number, series: string) => `${ruleId}\u0000${series}`;

  const matcherOf = (rule: AlertRule) => {
    let matcher = matchers.get(rule.id);
    if (!matcher || matcher.pattern !== rule.series) {
      matcher = { pattern: rule.series, matches: seriesMatcher(rule.series) };
      matchers.set(rule.id, matcher);
    }
    return matcher.matches;
  };

  const seriesOf = (rule: AlertRule, values: Map<string, number>): string[] => {
    if (!rule.series.includes("*")) return values.has(rule.series) ? [rule.series] : [];
    const matches = matcherOf(rule);
    const found: string[] = [];
    for (const name of values.keys()) {
      if (matches(name)) found.push(name);
      if (found.length === MAX_SERIES_PER_RULE) break;
    }
    return found;
  };

  return {
    /** The actions `values` (series name → value, taken at `nowMs`) calls for under the enabled `rules`. */
    evaluate(rules: AlertRule[], values: Map<string, number>, nowMs: number): AlertAction[] {
      const actions: AlertAction[] = [];
      for (const rule of rules) {
        if (!rule.enabled) continue;
        const forMs = rule.forSeconds * 1000;
        for (const series of seriesOf(rule, values)) {
          const value = values.get(series) as number;
          const key = keyOf(rule.id, series);
          const since = passingSince.get(key) ?? { warning: null, critical: null };
          since.critical = passes(rule, value, rule.critical) ? (since.critical ?? nowMs) : null;
          // Past the critical level is past the warning level too, when both are set.
          since.warning = passes(rule, value, rule.warning) || since.critical !== null ? (since.warning ?? nowMs) : null;
          if (since.warning === null && since.critical === null) passingSince.delete(key);
          else passingSince.set(key, since);

          const due: Severity | null =
            since.critical !== null && nowMs - since.critical >= forMs && rule.critical !== null
              ? "critical"
              : since.warning !== null && nowMs - since.warning >= forMs && rule.warning !== null
                ? "warning"
                : null;
          const current = open.get(key);
          if (!current) {
            if (due) actions.push({ kind: "fire", rule, series, severity: due, value, threshold: rule[due] as number });
          } else if (due && RANK[due] > RANK[current.severity]) {
            actions.push({ kind: "escalate", alertId: current.id, series, severity: due, value, threshold: rule[due] as number });
          } else if (cleared(rule, value)) {
            actions.push({ kind: "resolve", alertId: current.id, series, value });
          }
        }
      }
      return actions;
    },

    /** Tracks an alert the caller opened (or found open at start) or escalated. */
    opened(alert: OpenAlert): void {
      open.set(keyOf(alert.ruleId, alert.series), alert);
    },

    /** Stops tracking an alert the caller resolved. */
    closed(ruleId: number, series: string): void {
      open.delete(keyOf(ruleId, series));
    },

    /** Forgets what it knew of a rule that changed or went away: its levels may mean something else now. */
    forgetRule(ruleId: number): void {
      const prefix = `${ruleId}\u0000`;
      for (const key of passingSince.keys()) if (key.startsWith(prefix)) passingSince.delete(key);
      matchers.delete(ruleId);
    },
  };
}

export type AlertEvaluator = ReturnType<typeof createAlertEvaluator>;
