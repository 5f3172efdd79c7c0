// How the System page words durations and job schedules.

const UNITS = [
  [86_400, "d"],
  [3_600, "h"],
  [60, "min"],
  [1, "s"],
] as const;

/** A duration in its two largest units that are not zero, e.g. "3 d 4 h", "12 min 5 s", "1 h", "0 s". */
export function formatDuration(totalSeconds: number): string {
  let rest = Math.max(0, Math.floor(totalSeconds));
  const parts: string[] = [];
  for (const [seconds, unit] of UNITS) {
    const count = Math.floor(rest / seconds);
    rest -= count * seconds;
    if (count > 0) parts.push(`${count} ${unit}`);
  }
  return parts.slice(0, 2).join(" ") || "0 s";
}

/** When a job runs: "every 1 h" for a periodic one, "once" for one the server scheduled. */
export function describeSchedule(job: { kind: string; intervalMs: number | null }): string {
  return job.kind === "every" && job.intervalMs !== null ? `every ${formatDuration(job.intervalMs / 1000)}` : "once";
}

/** A run's duration: milliseconds below a second, seconds and up above. */
export function formatRunDuration(ms: number): string {
  return ms < 1000 ? `${ms} ms` : formatDuration(ms / 1000);
}
