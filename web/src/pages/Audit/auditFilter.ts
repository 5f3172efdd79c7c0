// The Audit page's filter: from what the user typed to the server's AuditFilter, and the same test
// applied to live entries, so a live row appears exactly when a reload would show it.

import { startOfLocalDay } from "../../lib/format";
import { SERVER_ERROR_CODES } from "../../lib/graphql";
import type { AuditEntry, AuditFilter } from "./auditOperations";

/** The filter as typed: text, a result choice ("" for any), days as YYYY-MM-DD ("" for open). */
export interface AuditFilterInput {
  actor: string;
  action: string;
  result: string;
  from: string;
  to: string;
}

export const EMPTY_FILTER: AuditFilterInput = { actor: "", action: "", result: "", from: "", to: "" };

/** The longest text the server searches for in a name or an action (MAX_FILTER_CHARS in server/audit/service.ts). */
export const MAX_FILTER_TEXT_CHARS = 100;

/** The results that are not failures: success, and a sign-in that asked for its second factor. */
const NOT_FAILURES: ReadonlySet<string> = new Set(["ok", "challenged"]);

/** The results the filter offers besides "any": success, a second factor asked, any failure, then each error code. */
export const RESULT_CHOICES = ["ok", "challenged", "error", ...SERVER_ERROR_CODES] as const;

/** Whether `result` is a failure (an error code). */
export const isFailure = (result: string) => !NOT_FAILURES.has(result);

export function toAuditFilter(input: AuditFilterInput): AuditFilter {
  const filter: AuditFilter = {};
  if (input.actor.trim()) filter.actor = input.actor.trim();
  if (input.action.trim()) filter.action = input.action.trim();
  if (input.result) filter.result = input.result;
  if (input.from) filter.from = startOfLocalDay(input.from);
  // The server's `to` is exclusive: up to the start of the day after.
  if (input.to) filter.to = startOfLocalDay(input.to, { plusDays: 1 });
  return filter;
}

/**
 * Whether the server would list `entry` under `filter`: the actor's name and the action contain
 * `actor` and `action` (ignoring case, as SQLite's LIKE does for ASCII), the result is the one
 * asked for ("error" being any failure), and `at` lies in [from, to).
 */
export function matchesAuditFilter(entry: AuditEntry, filter: AuditFilter): boolean {
  if (filter.actor && !entry.actorName?.toLowerCase().includes(filter.actor.toLowerCase())) return false;
  if (filter.action && !entry.action.toLowerCase().includes(filter.action.toLowerCase())) return false;
  if (filter.result && (filter.result === "error" ? !isFailure(entry.result) : entry.result !== filter.result)) return false;
  const atMs = Date.parse(entry.at);
  if (filter.from && atMs < Date.parse(filter.from)) return false;
  if (filter.to && atMs >= Date.parse(filter.to)) return false;
  return true;
}
