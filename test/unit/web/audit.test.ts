// The Audit page's filter: what the user types becomes the server's AuditFilter, and live entries
// are tested against it the way the server filters pages, so a live row appears exactly when a
// reload would show it; and how a row names its target.
import { describe, expect, test } from "bun:test";
import { targetText } from "../../../web/src/pages/Audit/auditDisplay";
import {
  type AuditFilterInput,
  EMPTY_FILTER,
  matchesAuditFilter,
  RESULT_CHOICES,
  toAuditFilter,
} from "../../../web/src/pages/Audit/auditFilter";
import type { AuditEntry } from "../../../web/src/pages/Audit/auditOperations";

const typed = (input: Partial<AuditFilterInput>): AuditFilterInput => ({ ...EMPTY_FILTER, ...input });

function entry(overrides: Partial<AuditEntry> = {}): AuditEntry {
  return {
    id: "1",
    at: new Date(2030, 0, 15, 12, 0).toISOString(),
    actorKind: "user",
    actorId: "u1",
    actorName: "Alice",
    ip: "10.0.0.1",
    userAgent: null,
    action: "mutation.setKv",
    target: { key: "a" },
    targetLabel: "a",
    result: "ok",
    detail: null,
    ...overrides,
  };
}

describe("from what is typed to the server's filter", () => {
  test("an empty form filters nothing", () => {
    expect(toAuditFilter(EMPTY_FILTER)).toEqual({});
  });

  test("text is trimmed and blank text left out", () => {
    expect(toAuditFilter(typed({ actor: "  alice ", action: "   " }))).toEqual({ actor: "alice" });
  });

  test("days become instants in the reader's time zone; `to` includes its whole day", () => {
    expect(toAuditFilter(typed({ from: "2030-01-15", to: "2030-01-16" }))).toEqual({
      from: new Date(2030, 0, 15).toISOString(),
      to: new Date(2030, 0, 17).toISOString(),
    });
  });

  test("the result choices are success, a second factor asked, any failure, then each error code", () => {
    expect(RESULT_CHOICES.slice(0, 4)).toEqual(["ok", "challenged", "error", "UNAUTHENTICATED"]);
    expect(toAuditFilter(typed({ result: "FORBIDDEN" }))).toEqual({ result: "FORBIDDEN" });
  });
});

describe("live entries under the filter", () => {
  test("everything matches no filter", () => {
    expect(matchesAuditFilter(entry(), {})).toBe(true);
  });

  test("the actor's name contains the text, in any case; entries without a name never match", () => {
    expect(matchesAuditFilter(entry(), { actor: "LIC" })).toBe(true);
    expect(matchesAuditFilter(entry(), { actor: "bob" })).toBe(false);
    expect(matchesAuditFilter(entry({ actorName: null, actorKind: "anonymous" }), { actor: "a" })).toBe(false);
  });

  test("the action contains the text, in any case", () => {
    expect(matchesAuditFilter(entry(), { action: "MUTATION." })).toBe(true);
    expect(matchesAuditFilter(entry(), { action: "setkv" })).toBe(true);
    expect(matchesAuditFilter(entry(), { action: "deleteKv" })).toBe(false);
  });

  test("result: ok, one code, or error for any failure; a second factor asked is not one", () => {
    const challenged = entry({ result: "challenged" });
    expect(matchesAuditFilter(challenged, { result: "error" })).toBe(false);
    expect(matchesAuditFilter(challenged, { result: "challenged" })).toBe(true);
    const denied = entry({ result: "FORBIDDEN" });
    expect(matchesAuditFilter(entry(), { result: "ok" })).toBe(true);
    expect(matchesAuditFilter(denied, { result: "ok" })).toBe(false);
    expect(matchesAuditFilter(denied, { result: "error" })).toBe(true);
    expect(matchesAuditFilter(entry(), { result: "error" })).toBe(false);
    expect(matchesAuditFilter(denied, { result: "FORBIDDEN" })).toBe(true);
    expect(matchesAuditFilter(denied, { result: "CONFLICT" })).toBe(false);
  });

  test("the time lies in [from, to): a live entry shows exactly when a reload would list it", () => {
    const filter = toAuditFilter(typed({ from: "2030-01-15", to: "2030-01-15" }));
    expect(matchesAuditFilter(entry({ at: new Date(2030, 0, 15, 0, 0).toISOString() }), filter)).toBe(true);
    expect(matchesAuditFilter(entry({ at: new Date(2030, 0, 15, 23, 59, 59, 999).toISOString() }), filter)).toBe(true);
    expect(matchesAuditFilter(entry({ at: new Date(2030, 0, 16).toISOString() }), filter)).toBe(false);
    expect(matchesAuditFilter(entry({ at: new Date(2030, 0, 14, 23, 59).toISOString() }), filter)).toBe(false);
  });
});

describe("what a row shows", () => {
  test("the target's recorded name, else its raw JSON, else nothing", () => {
    expect(targetText(entry({ targetLabel: "alice", target: { id: "u-1" } }))).toBe("alice");
    expect(targetText(entry({ targetLabel: null, target: { includeApiKeys: true } }))).toBe('{"includeApiKeys":true}');
    expect(targetText(entry({ targetLabel: null, target: null }))).toBeNull();
  });
});
