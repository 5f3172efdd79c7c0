// How alerts read on screen: one line naming what passed which level, and durations in words.

import type { AlertRow, AlertRuleRow } from "./alertsOperations";

const number = (value: number) => (Number.isInteger(value) ? String(value) : value.toFixed(1));

/** "CPU busy: cpu.percent 97 past 95 (critical)". */
export function describeAlert(alert: Pick<AlertRow, "ruleName" | "series" | "value" | "threshold" | "severity">): string {
  return `${alert.ruleName}: ${alert.series} ${number(alert.value)} past ${number(alert.threshold)} (${alert.severity.toLowerCase()})`;
}

/** "5 min", "30 s", "at once". */
export function formatDuration(seconds: number): string {
  if (seconds === 0) return "at once";
  if (seconds % 3600 === 0) return `${seconds / 3600} h`;
  if (seconds % 60 === 0) return `${seconds / 60} min`;
  return `${seconds} s`;
}

/** "≥ 80 warning, ≥ 95 critical, for 5 min, clears 5 below". */
export function describeRule(rule: AlertRuleRow): string {
  const sign = rule.comparison === "ABOVE" ? "≥" : "≤";
  const levels = [
    rule.warning === null ? null : `${sign} ${number(rule.warning)} warning`,
    rule.critical === null ? null : `${sign} ${number(rule.critical)} critical`,
  ].filter(Boolean);
  const clears = rule.hysteresis > 0 ? `, clears ${number(rule.hysteresis)} ${rule.comparison === "ABOVE" ? "below" : "above"}` : "";
  return `${levels.join(", ")}, for ${formatDuration(rule.forSeconds)}${clears}`;
}

/** The open alerts after one change: a resolved alert leaves the list, any other takes its place or joins at the end. */
export function applyAlertChange<Alert extends { id: string; state: string }>(open: readonly Alert[], alert: Alert): Alert[] {
  if (alert.state === "RESOLVED") return open.filter((a) => a.id !== alert.id);
  return open.some((a) => a.id === alert.id) ? open.map((a) => (a.id === alert.id ? alert : a)) : [...open, alert];
}
