// The Data page's pure helpers: live changes and further pages applied to the sorted entries, what
// a user types turned into setKv's values, and how entries and expiry times read.
import { describe, expect, test } from "bun:test";
import { describeExpiry, formatJson } from "../../../web/src/pages/Data/kvDisplay";
import { parseJsonValue, parseTtlSeconds, problemOf, ttlTextFor } from "../../../web/src/pages/Data/kvInput";
import { applyKvChange, mergePage } from "../../../web/src/pages/Data/kvListChanges";
import type { KvChange, KvEntry } from "../../../web/src/pages/Data/kvOperations";

const T0 = Date.parse("2030-01-01T00:00:00.000Z");
const at = (seconds: number) => new Date(T0 + seconds * 1000).toISOString();

function entry(key: string, version = 1, updatedAtSeconds = version): KvEntry {
  return { key, value: { v: version }, version, createdAt: at(0), updatedAt: at(updatedAtSeconds), expiresAt: null };
}
const set = (shown: KvEntry): KvChange => ({ kind: "SET", key: shown.key, version: shown.version, at: shown.updatedAt, entry: shown });
const gone = (kind: "DELETE" | "EXPIRE", key: string, version: number, atSeconds: number): KvChange => ({
  kind,
  key,
  version,
  at: at(atSeconds),
  entry: null,
});
const keys = (entries: readonly KvEntry[]) => entries.map((each) => `${each.key}@${each.version}`);

describe("live changes to the list", () => {
  const list = [entry("a"), entry("c")];

  test("a new key appears in its sorted place", () => {
    expect(keys(applyKvChange(list, set(entry("b"))))).toEqual(["a@1", "b@1", "c@1"]);
    expect(keys(applyKvChange(list, set(entry("d"))))).toEqual(["a@1", "c@1", "d@1"]);
    expect(keys(applyKvChange([], set(entry("a"))))).toEqual(["a@1"]);
  });

  test("a newer version replaces the shown one; an older one is ignored", () => {
    const newer = applyKvChange(list, set(entry("a", 2)));
    expect(keys(newer)).toEqual(["a@2", "c@1"]);
    expect(applyKvChange(newer, set(entry("a", 1)))).toBe(newer);
  });

  test("the same change applied twice does no harm", () => {
    const once = applyKvChange(list, set(entry("b")));
    expect(keys(applyKvChange(once, set(entry("b"))))).toEqual(keys(once));
  });

  test("a delete or expiry removes the key, unless the list shows a newer write", () => {
    expect(keys(applyKvChange(list, gone("DELETE", "a", 1, 5)))).toEqual(["c@1"]);
    expect(keys(applyKvChange(list, gone("EXPIRE", "c", 1, 5)))).toEqual(["a@1"]);
    const rewritten = [entry("a", 3, 10)];
    expect(applyKvChange(rewritten, gone("DELETE", "a", 2, 5))).toBe(rewritten);
  });

  test("a delete of a key the list does not show changes nothing", () => {
    expect(applyKvChange(list, gone("DELETE", "zzz", 1, 5))).toBe(list);
  });
});

describe("further pages", () => {
  test("merge in sorted place and keep the newer of two versions of a key", () => {
    const shown = [entry("a"), entry("m", 3)];
    const next = [entry("m", 2), entry("n"), entry("b")];
    expect(keys(mergePage(shown, next))).toEqual(["a@1", "b@1", "m@3", "n@1"]);
  });
});

describe("what the user types", () => {
  test("a JSON value is parsed; empty text, invalid JSON and null are refused with a reason", () => {
    expect(parseJsonValue('{"enabled": true}')).toEqual({ ok: true, value: { enabled: true } });
    expect(parseJsonValue("42")).toEqual({ ok: true, value: 42 });
    expect(parseJsonValue('"text"')).toEqual({ ok: true, value: "text" });
    expect(parseJsonValue("  ")).toMatchObject({ ok: false, message: expect.stringContaining("Enter a JSON value") });
    expect(parseJsonValue("{oops")).toMatchObject({ ok: false, message: expect.stringMatching(/^Not valid JSON: /) });
    expect(parseJsonValue("null")).toMatchObject({ ok: false, message: expect.stringContaining("null cannot be stored") });
  });

  test("a TTL is empty (never expires) or a whole number of seconds from 1", () => {
    expect(parseTtlSeconds("")).toEqual({ ok: true, value: null });
    expect(parseTtlSeconds(" 60 ")).toEqual({ ok: true, value: 60 });
    for (const text of ["0", "-5", "1.5", "soon", "1e3"]) {
      expect(parseTtlSeconds(text)).toMatchObject({ ok: false, message: expect.stringContaining("whole number") });
    }
  });

  test("the field under a text shows the reason it cannot be sent, or nothing", () => {
    expect(problemOf(parseTtlSeconds("60"))).toBeNull();
    expect(problemOf(parseTtlSeconds("soon"))).toBe("TTL must be a whole number of seconds, 1 or more.");
  });

  test("saving again keeps the current expiry: the TTL field gets the seconds left, at least 1", () => {
    expect(ttlTextFor(null, T0)).toBe("");
    expect(ttlTextFor(at(90), T0)).toBe("90");
    expect(ttlTextFor(at(89.2), T0)).toBe("90");
    expect(ttlTextFor(at(-10), T0)).toBe("1");
  });
});

describe("how entries read", () => {
  test("values are indented JSON for editing", () => {
    expect(formatJson({ a: [1] })).toBe('{\n  "a": [\n    1\n  ]\n}');
  });

  test("expiry reads as a phrase, in the largest unit that keeps it readable", () => {
    expect(describeExpiry(at(42), T0)).toBe("expires in 42 s");
    expect(describeExpiry(at(119), T0)).toBe("expires in 119 s");
    expect(describeExpiry(at(5 * 60), T0)).toBe("expires in 5 min");
    expect(describeExpiry(at(3 * 3600), T0)).toBe("expires in 3 h");
    expect(describeExpiry(at(2 * 86_400), T0)).toBe("expires in 2 d");
    expect(describeExpiry(at(0.2), T0)).toBe("expires in 1 s");
    expect(describeExpiry(at(0), T0)).toBe("expired");
    expect(describeExpiry(at(-30), T0)).toBe("expired");
    expect(describeExpiry(null, T0)).toBe("never expires");
  });
});
