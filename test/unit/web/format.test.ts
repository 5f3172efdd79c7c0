// How values and days read in the web UI, and how typed days become instants (in the reader's
// time zone, whatever it is where the tests run).
import { describe, expect, test } from "bun:test";
import { endOfLocalDay, formatDay, formatInstant, localDayInput, previewJson, startOfLocalDay } from "../../../web/src/lib/format";

describe("previews", () => {
  test("short JSON is shown whole, on one line", () => {
    expect(previewJson({ a: [1, 2], b: "x" })).toBe('{"a":[1,2],"b":"x"}');
    expect(previewJson("text")).toBe('"text"');
  });

  test("long JSON is cut to 160 characters, ending in an ellipsis", () => {
    const preview = previewJson("x".repeat(500));
    expect(preview).toHaveLength(160);
    expect(preview.endsWith("…")).toBe(true);
    expect(previewJson("x".repeat(158))).toHaveLength(160);
  });
});

describe("days and instants", () => {
  test("a date is the value of a date input in the local time zone", () => {
    expect(localDayInput(new Date(2030, 0, 5, 23, 30))).toBe("2030-01-05");
    expect(localDayInput(new Date(2030, 11, 31))).toBe("2030-12-31");
  });

  test("a typed day starts and ends in the local time zone", () => {
    expect(startOfLocalDay("2030-03-09")).toBe(new Date(2030, 2, 9).toISOString());
    expect(startOfLocalDay("2030-12-31", { plusDays: 1 })).toBe(new Date(2031, 0, 1).toISOString());
    expect(endOfLocalDay("2030-03-09")).toBe(new Date(2030, 2, 9, 23, 59, 59, 999).toISOString());
  });

  test("instants and days read in the reader's locale", () => {
    const iso = new Date(2030, 6, 4, 8, 15).toISOString();
    expect(formatInstant(iso)).toBe(new Date(iso).toLocaleString());
    expect(formatDay(iso)).toBe(new Date(iso).toLocaleDateString());
  });
});
