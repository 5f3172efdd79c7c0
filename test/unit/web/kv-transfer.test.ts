// The Data page's export and import files: an export written as key → value with the seconds left
// beside it, read back as the entries importKv takes; hand-written files; and what cannot be imported.
import { describe, expect, test } from "bun:test";
import { exportFileName, exportFileText, parseImportFile } from "../../../web/src/pages/Data/kvTransfer";

const exported = {
  prefix: "config/",
  exportedAt: "2030-01-01T12:00:00.000Z",
  entries: [
    { key: "config/site", value: { title: "Outpost", tags: ["a"] }, ttlSeconds: null },
    { key: "config/lease", value: "holder", ttlSeconds: 50 },
    { key: "__proto__", value: 1, ttlSeconds: null },
  ],
};

describe("export files", () => {
  test("hold the entries as one object of key → value, and the seconds left of those that expire", () => {
    const file = JSON.parse(exportFileText(exported));
    expect(file).toEqual({
      outpostKvExport: 1,
      prefix: "config/",
      exportedAt: "2030-01-01T12:00:00.000Z",
      entries: JSON.parse('{"config/site": {"title": "Outpost", "tags": ["a"]}, "config/lease": "holder", "__proto__": 1}'),
      ttlSeconds: { "config/lease": 50 },
    });
  });

  test("read back as the same entries", () => {
    const parsed = parseImportFile(exportFileText(exported));
    expect(parsed).toEqual({ ok: true, plan: { entries: exported.entries, problems: [], expiring: 1 } });
  });

  test("are named after the prefix and the local time of the export", () => {
    const at = new Date(2030, 0, 2, 3, 4, 5);
    expect(exportFileName("config/", at)).toBe("outpost-data-config-20300102-030405.json");
    expect(exportFileName("", at)).toBe("outpost-data-all-20300102-030405.json");
    expect(exportFileName("../ü x/", at)).toBe("outpost-data-x-20300102-030405.json");
  });
});

describe("import files", () => {
  test("a plain object of key → value written by hand imports as entries that never expire", () => {
    expect(parseImportFile('{"a": 1, "b": {"c": [true]}}')).toEqual({
      ok: true,
      plan: {
        entries: [
          { key: "a", value: 1, ttlSeconds: null },
          { key: "b", value: { c: [true] }, ttlSeconds: null },
        ],
        problems: [],
        expiring: 0,
      },
    });
  });

  test("null values, empty keys and bad TTLs are problems named by key", () => {
    const parsed = parseImportFile(
      JSON.stringify({ outpostKvExport: 1, entries: { ok: 1, gone: null, "": 2, short: 3 }, ttlSeconds: { short: 0, orphan: 5 } }),
    );
    if (!parsed.ok) throw new Error(parsed.message);
    expect(parsed.plan.entries).toEqual([{ key: "ok", value: 1, ttlSeconds: null }]);
    expect(parsed.plan.problems).toEqual([
      '"gone" is null, which cannot be stored.',
      "An entry has an empty key.",
      '"short" has a TTL of 0; it must be a whole number of seconds, 1 or more.',
      '"orphan" has a TTL but no entry.',
    ]);
  });

  test("a file that is not a JSON object, an unknown export format or an empty file is refused as a whole", () => {
    const message = (text: string) => {
      const parsed = parseImportFile(text);
      return parsed.ok ? null : parsed.message;
    };
    expect(message("{nope")).toStartWith("The file is not valid JSON");
    expect(message("[1, 2]")).toBe("The file must hold a JSON object of key → value, or a file exported from this page.");
    expect(message('{"outpostKvExport": 2, "entries": {}}')).toBe("This export file has format 2; this page reads format 1.");
    expect(message('{"outpostKvExport": 1}')).toBe('This export file has no "entries" object.');
    expect(message("{}")).toBe("The file holds no entries.");
  });
});
