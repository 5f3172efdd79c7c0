// How entries are shown: JSON for editing, expiry times and counts.

/** Indented JSON for editing. */
export function formatJson(value: unknown): string {
  return JSON.stringify(value, null, 2);
}

/**
 * When an entry expires, as a phrase that reads on its own: "expires in 42 s", "expires in 5 min",
 * "expires in 3 h", "expires in 2 d"; "expired" once the moment has passed (the server already
 * treats it as gone; its removal from the list follows); "never expires" without an expiry.
 */
export function describeExpiry(expiresAt: string | null, nowMs: number): string {
  if (expiresAt === null) return "never expires";
  const seconds = Math.ceil((Date.parse(expiresAt) - nowMs) / 1000);
  if (seconds <= 0) return "expired";
  if (seconds < 120) return `expires in ${seconds} s`;
  if (seconds < 120 * 60) return `expires in ${Math.round(seconds / 60)} min`;
  if (seconds < 48 * 3600) return `expires in ${Math.round(seconds / 3600)} h`;
  return `expires in ${Math.round(seconds / 86_400)} d`;
}

/** "1 entry", "1,234 entries". */
export function countOfEntries(count: number): string {
  return `${count.toLocaleString()} ${count === 1 ? "entry" : "entries"}`;
}
