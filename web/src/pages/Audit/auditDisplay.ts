// How the Audit page names an entry's actor, target and result, in the list and in the details.

import { previewJson } from "../../lib/format";
import { isFailure } from "./auditFilter";
import type { AuditEntry } from "./auditOperations";

/** The actor's name, else its id, else a dash. */
export const actorLabel = (entry: AuditEntry) => entry.actorName ?? entry.actorId ?? "—";

/** The target's name as the server recorded it; the raw target (one line of JSON) for entries recorded without one; null when there was none. */
export function targetText(entry: AuditEntry): string | null {
  if (entry.targetLabel) return entry.targetLabel;
  return entry.target === null || entry.target === undefined ? null : previewJson(entry.target);
}

/** How a result reads in the filter: "ok", "error" and "challenged" explained; error codes as they are. */
export function resultChoiceLabel(result: string): string {
  if (result === "error") return "any error";
  if (result === "challenged") return "challenged (2FA code asked)";
  return result;
}

/** The badge colour of a result: success, a failure, or neither (a second factor asked). */
export function resultTone(result: string): "good" | "bad" | "neutral" {
  return result === "ok" ? "good" : isFailure(result) ? "bad" : "neutral";
}
