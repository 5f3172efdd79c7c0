// The audit log as a download: the entries matching a filter given in the query string, newest
// first, as CSV (for spreadsheets) or JSON, streamed a page at a time.
import { InvalidInputError } from "../errors";
import type { AuditEntry, AuditFilter } from "./store";

export const EXPORT_FORMATS = ["csv", "json"] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

/** The columns of the CSV, named as the GraphQL fields of AuditEntry; `target` is the raw target as JSON. */
const CSV_COLUMNS = [
  "id",
  "at",
  "actorKind",
  "actorId",
  "actorName",
  "ip",
  "userAgent",
  "action",
  "targetLabel",
  "target",
  "result",
  "detail",
] as const;

/**
 * One CSV cell, quoted (RFC 4180). Text a spreadsheet would run as a formula (starting with
 * = + - @, or a tab or carriage return that hides such a start) gets a leading apostrophe: the
 * log holds what callers typed (usernames, keys), and opening an export must not run it.
 */
export function csvCell(value: string | number | null): string {
  const text = value === null ? "" : String(value);
  const defused = /^[=+\-@\t\r]/.test(text) ? `'${text}` : text;
  return `"${defused.replaceAll('"', '""')}"`;
}

function csvRow(entry: AuditEntry): string {
  const values: Record<(typeof CSV_COLUMNS)[number], string | number | null> = {
    ...entry,
    at: entry.at.toISOString(),
    target: entry.target === null ? null : JSON.stringify(entry.target),
  };
  return `${CSV_COLUMNS.map((column) => csvCell(values[column])).join(",")}\r\n`;
}

const FORMATS: Record<
  ExportFormat,
  { contentType: string; start: string; entry: (entry: AuditEntry, index: number) => string; end: string }
> = {
  csv: {
    contentType: "text/csv; charset=utf-8",
    // The byte order mark makes spreadsheet programs read the file as UTF-8.
    start: `\uFEFF${CSV_COLUMNS.map(csvCell).join(",")}\r\n`,
    entry: csvRow,
    end: "",
  },
  json: {
    contentType: "application/json; charset=utf-8",
    start: "[",
    entry: (entry, index) => `${index === 0 ? "\n" : ",\n"}${JSON.stringify(entry)}`,
    end: "\n]\n",
  },
};

function instantParam(params: URLSearchParams, name: "from" | "to"): Date | null {
  const text = params.get(name);
  if (!text) return null;
  const instant = new Date(text);
  if (Number.isNaN(instant.getTime())) throw new InvalidInputError(`${name} must be an ISO 8601 instant, e.g. 2024-05-01T00:00:00Z.`);
  return instant;
}

/** The filter of an export request: `actor`, `action`, `result`, `from` and `to`, as auditLog's filter takes them. */
export function exportFilter(url: URL): AuditFilter {
  const params = url.searchParams;
  return {
    actor: params.get("actor") || null,
    action: params.get("action") || null,
    result: params.get("result") || null,
    from: instantParam(params, "from"),
    to: instantParam(params, "to"),
  };
}

export function exportFormat(name: string | undefined): ExportFormat {
  const format = EXPORT_FORMATS.find((known) => known === name);
  if (!format) throw new InvalidInputError(`The export format must be one of ${EXPORT_FORMATS.join(", ")}.`);
  return format;
}

/** The download of `pages` in `format`, named after the moment `at`; a page is read only when the client is ready for more. */
export function exportResponse(format: ExportFormat, pages: Iterator<AuditEntry[]>, at: Date): Response {
  const { contentType, start, entry, end } = FORMATS[format];
  const encoder = new TextEncoder();
  let written = 0;
  const body = new ReadableStream<Uint8Array>({
    start: (controller) => controller.enqueue(encoder.encode(start)),
    pull: (controller) => {
      const next = pages.next();
      if (next.done) {
        controller.enqueue(encoder.encode(end));
        controller.close();
        return;
      }
      controller.enqueue(encoder.encode(next.value.map((one) => entry(one, written++)).join("")));
    },
  });
  const stamp = at.toISOString().slice(0, 19).replaceAll(":", "-");
  return new Response(body, {
    headers: {
      "content-type": contentType,
      "content-disposition": `attachment; filename="outpost-audit-${stamp}.${format}"`,
      "cache-control": "no-store",
    },
  });
}
