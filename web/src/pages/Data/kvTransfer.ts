// The JSON files the Data page exports and imports. An export file holds the entries as one object,
// key → value, and beside it the seconds left of those that expire:
//   { "outpostKvExport": 1, "prefix": "config/", "exportedAt": "…",
//     "entries": { "config/site": { "title": "Outpost" }, "config/lease": "a" },
//     "ttlSeconds": { "config/lease": 50 } }
// An import takes such a file, or any JSON object of key → value written by hand.

import type { KvEntryInput, KvExport } from "./kvOperations";

const FORMAT_VERSION = 1;

export interface KvExportFile {
  outpostKvExport: typeof FORMAT_VERSION;
  prefix: string;
  exportedAt: string;
  entries: Record<string, unknown>;
  ttlSeconds: Record<string, number>;
}

/** What an import file would set, and what in it cannot be set (nothing is imported while there is any). */
export interface KvImportPlan {
  entries: KvEntryInput[];
  problems: string[];
  /** How many of the entries expire. */
  expiring: number;
}

export type ParsedImport = { ok: true; plan: KvImportPlan } | { ok: false; message: string };

/** An export as the file's JSON text. Object.fromEntries keeps a key such as "__proto__" an ordinary key. */
export function exportFileText(exported: KvExport): string {
  const file: KvExportFile = {
    outpostKvExport: FORMAT_VERSION,
    prefix: exported.prefix,
    exportedAt: exported.exportedAt,
    entries: Object.fromEntries(exported.entries.map((entry) => [entry.key, entry.value])),
    ttlSeconds: Object.fromEntries(exported.entries.flatMap((entry) => (entry.ttlSeconds === null ? [] : [[entry.key, entry.ttlSeconds]]))),
  };
  return `${JSON.stringify(file, null, 2)}\n`;
}

/** A file name that says what was exported and when, e.g. outpost-data-config-20300101-120000.json. */
export function exportFileName(prefix: string, at: Date): string {
  const slug = prefix
    .replace(/[^A-Za-z0-9._-]+/g, "-")
    .replace(/^[-.]+|[-.]+$/g, "")
    .slice(0, 40);
  const pad = (n: number) => String(n).padStart(2, "0");
  const stamp = `${at.getFullYear()}${pad(at.getMonth() + 1)}${pad(at.getDate())}-${pad(at.getHours())}${pad(at.getMinutes())}${pad(at.getSeconds())}`;
  return `outpost-data-${slug || "all"}-${stamp}.json`;
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null && !Array.isArray(value);

/**
 * Reads an import file: an export file, or a plain JSON object of key → value. Entries whose value
 * is null (nothing to store) or whose key is empty, and TTLs that are not whole seconds from 1, are
 * problems; the server checks everything else (key and value sizes, its bounds) when importing.
 */
export function parseImportFile(text: string): ParsedImport {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    return { ok: false, message: `The file is not valid JSON: ${error instanceof Error ? error.message : String(error)}` };
  }
  if (!isObject(parsed))
    return { ok: false, message: "The file must hold a JSON object of key → value, or a file exported from this page." };

  let values: Record<string, unknown> = parsed;
  let ttls: Record<string, unknown> = {};
  if (Object.hasOwn(parsed, "outpostKvExport")) {
    if (parsed.outpostKvExport !== FORMAT_VERSION)
      return { ok: false, message: `This export file has format ${JSON.stringify(parsed.outpostKvExport)}; this page reads format 1.` };
    if (!isObject(parsed.entries)) return { ok: false, message: 'This export file has no "entries" object.' };
    if (parsed.ttlSeconds !== undefined && !isObject(parsed.ttlSeconds))
      return { ok: false, message: 'The "ttlSeconds" of this export file is not an object of key → seconds.' };
    values = parsed.entries;
    ttls = parsed.ttlSeconds ?? {};
  }

  const entries: KvEntryInput[] = [];
  const problems: string[] = [];
  let expiring = 0;
  for (const [key, value] of Object.entries(values)) {
    const ttl = Object.hasOwn(ttls, key) ? ttls[key] : null;
    if (key === "") problems.push("An entry has an empty key.");
    else if (value === null) problems.push(`${JSON.stringify(key)} is null, which cannot be stored.`);
    else if (ttl !== null && !(Number.isInteger(ttl) && (ttl as number) >= 1))
      problems.push(`${JSON.stringify(key)} has a TTL of ${JSON.stringify(ttl)}; it must be a whole number of seconds, 1 or more.`);
    else {
      entries.push({ key, value, ttlSeconds: ttl as number | null });
      if (ttl !== null) expiring++;
    }
  }
  for (const key of Object.keys(ttls)) if (!Object.hasOwn(values, key)) problems.push(`${JSON.stringify(key)} has a TTL but no entry.`);
  if (entries.length === 0 && problems.length === 0) return { ok: false, message: "The file holds no entries." };
  return { ok: true, plan: { entries, problems, expiring } };
}
