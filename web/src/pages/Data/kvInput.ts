// Turns what a user typed into the values setKv takes, with messages for what cannot be sent.

export type Parsed<T> = { ok: true; value: T } | { ok: false; message: string };

/** The message of a text that cannot be sent; null when it can. */
export function problemOf(parsed: Parsed<unknown>): string | null {
  return parsed.ok ? null : parsed.message;
}

/** Parses a JSON value; null is refused because the server stores no nulls (deleting is the way). */
export function parseJsonValue(text: string): Parsed<unknown> {
  if (text.trim() === "") return { ok: false, message: 'Enter a JSON value, such as "text", 42 or {"enabled": true}.' };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { ok: false, message: `Not valid JSON: ${error instanceof Error ? error.message : String(error)}` };
  }
  if (value === null) return { ok: false, message: "null cannot be stored; delete the entry instead." };
  return { ok: true, value };
}

/** Parses an optional TTL: empty means the entry never expires. */
export function parseTtlSeconds(text: string): Parsed<number | null> {
  const trimmed = text.trim();
  if (trimmed === "") return { ok: true, value: null };
  if (!/^\d+$/.test(trimmed) || Number(trimmed) < 1) return { ok: false, message: "TTL must be a whole number of seconds, 1 or more." };
  return { ok: true, value: Number(trimmed) };
}

/** The TTL that keeps an entry's current expiry when it is saved again, as text for the TTL field. */
export function ttlTextFor(expiresAt: string | null, nowMs: number): string {
  if (!expiresAt) return "";
  return String(Math.max(1, Math.ceil((Date.parse(expiresAt) - nowMs) / 1000)));
}
