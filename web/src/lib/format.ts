// How values and instants read on every page, and how the days typed into date inputs become instants.

const PREVIEW_CHARS = 160;

/** One line of JSON, cut to a length a list row can show. */
export function previewJson(value: unknown): string {
  const text = JSON.stringify(value);
  return text.length > PREVIEW_CHARS ? `${text.slice(0, PREVIEW_CHARS - 1)}…` : text;
}

/** An instant in the reader's locale and time zone. */
export function formatInstant(iso: string): string {
  return new Date(iso).toLocaleString();
}

/** A day in the reader's locale. */
export function formatDay(iso: string): string {
  return new Date(iso).toLocaleDateString();
}

/** A date as the value of an <input type="date">, in the reader's time zone. */
export function localDayInput(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
}

/** The last moment of a day typed as YYYY-MM-DD, in the reader's time zone, as an ISO instant. */
export function endOfLocalDay(day: string): string {
  const [year, month, date] = day.split("-").map(Number) as [number, number, number];
  return new Date(year, month - 1, date, 23, 59, 59, 999).toISOString();
}

/** The first moment of a day typed as YYYY-MM-DD (or of the day `plusDays` later), in the reader's time zone, as an ISO instant. */
export function startOfLocalDay(day: string, { plusDays = 0 }: { plusDays?: number } = {}): string {
  const [year, month, date] = day.split("-").map(Number) as [number, number, number];
  return new Date(year, month - 1, date + plusDays).toISOString();
}

/** A size for people, in binary units: 0 B, 512 KiB, 5.2 MiB, 24 MiB, 1.5 GiB. */
export function formatBytes(bytes: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${unit === 0 || value >= 10 ? Math.round(value) : Number(value.toFixed(1))} ${units[unit]}`;
}
