// The Audit page's filter: from what the user typed to the server's AuditFilter, and the same test
// applied to live entries, so a live row appears exactly when a reload would show it.

import { endOfLocalDay, startOfLocalDay } from "../../lib/format";
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

/** The results the filter offers besides "any": success, then the error codes attempts end with. */
export const RESULT_CHOICES = [
  "ok",
  "UNAUTHENTICATED",
  "FORBIDDEN",
  "BAD_USER_INPUT",
  "NOT_FOUND",
  "CONFLICT",
  "LIMIT_EXCEEDED",
  "INTERNAL",
] as const;

export function toAuditFilter(input: AuditFilterInput): AuditFilter {
  const filter: AuditFilter = {};
  if (input.actor.trim()) filter.actor = input.actor.trim();
  if (input.action.trim()) filter.action = input.action.trim();
  if (input.result) filter.result = input.result;
  if (input.from) filter.from = startOfLocalDay(input.from);
  if (input.to) filter.to = endOfLocalDay(input.to);
  return filter;
}

/** Whether the server would list `entry` under `filter`. */
export function matchesAuditFilter(entry: AuditEntry, filter: AuditFilter): boolean {
  if (filter.actor) {
    const actor = filter.actor.toLowerCase();
    if (entry.actorName?.toLowerCase() !== actor && entry.actorId?.toLowerCase() !== actor) return false;
  }
  if (filter.action && !entry.action.startsWith(filter.action)) return false;
  if (filter.result && entry.result !== filter.result) return false;
  const atMs = Date.parse(entry.at);
  if (filter.from && atMs < Date.parse(filter.from)) return false;
  if (filter.to && atMs > Date.parse(filter.to)) return false;
  return true;
}
