// How entries are shown: JSON for editing and expiry times.

/** Indented JSON for editing. */
export function formatJson(value: unknown): string {
  return JSON.stringify(value, null, 2);
}

/** "in 42 s", "in 5 min", "in 3 h", "in 2 d", or "expiring" once the moment has passed. */
export function describeExpiry(expiresAt: string, nowMs: number): string {
  const seconds = Math.round((Date.parse(expiresAt) - nowMs) / 1000);
  if (seconds <= 0) return "expiring";
  if (seconds < 120) return `in ${seconds} s`;
  if (seconds < 120 * 60) return `in ${Math.round(seconds / 60)} min`;
  if (seconds < 48 * 3600) return `in ${Math.round(seconds / 3600)} h`;
  return `in ${Math.round(seconds / 86_400)} d`;
}
