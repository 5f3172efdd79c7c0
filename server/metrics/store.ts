// The only SQL of the metrics history: series names, points of each tier, roll-ups from one tier
// into the next, and deletion past retention.
import type { Database } from "bun:sqlite";

/** Tier numbers as stored: raw samples, then 1-minute and 1-hour roll-ups. */
export const TIER = { raw: 0, minute: 1, hour: 2 } as const;
export type Tier = (typeof TIER)[keyof typeof TIER];

export interface HistoryPoint {
  at: Date;
  avg: number;
  min: number;
  max: number;
}

export function createMetricsStore(db: Database) {
  const insertSeries = db.query<{ id: number }, { name: string }>(
    "INSERT INTO metric_series (name) VALUES ($name) ON CONFLICT (name) DO UPDATE SET name = excluded.name RETURNING id",
  );
  const seriesId = db.query<{ id: number }, { name: string }>("SELECT id FROM metric_series WHERE name = $name");
  const listSeries = db.query<{ name: string }, []>("SELECT name FROM metric_series ORDER BY name");
  const insertPoint = db.query<unknown, { tier: number; series: number; at: number; value: number }>(
    "INSERT OR REPLACE INTO metric_points (tier, series_id, at, avg, min, max) VALUES ($tier, $series, $at, $value, $value, $value)",
  );
  // Summing floats can land an average one ulp outside its own min and max (equal samples): kept inside.
  const BOUNDED_AVG = "min(max(avg(avg), min(min)), max(max))";
  // Buckets touched by new points are computed again whole, so a bucket filled by several batches ends right.
  const rollUp = db.query<unknown, { from: number; into: number; bucket: number; since: number; until: number }>(`
    INSERT OR REPLACE INTO metric_points (tier, series_id, at, avg, min, max)
    SELECT $into, series_id, (at / $bucket) * $bucket AS bucket_at, ${BOUNDED_AVG}, min(min), max(max)
    FROM metric_points
    WHERE tier = $from AND at >= $since AND at < $until
    GROUP BY series_id, bucket_at`);
  const deleteBefore = db.query<unknown, { tier: number; before: number }>("DELETE FROM metric_points WHERE tier = $tier AND at < $before");
  // Each EXISTS is a lookup on the primary key's (tier, series_id) prefix.
  const deleteEmptySeries = db.query<unknown, []>(`
    DELETE FROM metric_series AS s WHERE NOT EXISTS (SELECT 1 FROM metric_points WHERE tier = 0 AND series_id = s.id)
      AND NOT EXISTS (SELECT 1 FROM metric_points WHERE tier = 1 AND series_id = s.id)
      AND NOT EXISTS (SELECT 1 FROM metric_points WHERE tier = 2 AND series_id = s.id)`);
  const points = db.query<
    { at: number; avg: number; min: number; max: number },
    { tier: number; series: number; from: number; to: number; bucket: number }
  >(`
    SELECT (at / $bucket) * $bucket AS at, ${BOUNDED_AVG} AS avg, min(min) AS min, max(max) AS max
    FROM metric_points
    WHERE tier = $tier AND series_id = $series AND at >= $from AND at <= $to
    GROUP BY 1 ORDER BY 1`);

  return {
    /** Writes raw samples (each a time and its series' values); call inside a write batch. */
    insertRaw(samples: { atMs: number; values: [string, number][] }[]): void {
      // Ids are looked up per call, not cached: a batch rolled back takes its new series with it.
      const ids = new Map<string, number>();
      const idOf = (name: string): number => {
        let id = ids.get(name);
        if (id === undefined) {
          id = (insertSeries.get({ name }) as { id: number }).id;
          ids.set(name, id);
        }
        return id;
      };
      for (const { atMs, values } of samples) {
        for (const [name, value] of values) insertPoint.run({ tier: TIER.raw, series: idOf(name), at: atMs, value });
      }
    },

    /** Recomputes the buckets of tier `into` (each `bucketMs` long) that cover [sinceMs, untilMs) from tier `from`. */
    rollUp(from: Tier, into: Tier, bucketMs: number, sinceMs: number, untilMs: number): void {
      const since = Math.floor(sinceMs / bucketMs) * bucketMs;
      const until = Math.ceil(untilMs / bucketMs) * bucketMs;
      rollUp.run({ from, into, bucket: bucketMs, since, until });
    },

    /** Deletes the points of `tier` older than `beforeMs`. */
    deleteBefore: (tier: Tier, beforeMs: number): number => deleteBefore.run({ tier, before: beforeMs }).changes,

    /** Forgets series with no points left (interfaces and disks that came and went), so names do not pile up. */
    deleteEmptySeries: (): number => deleteEmptySeries.run().changes,

    /** The points of one series in [fromMs, toMs], averaged into buckets of `bucketMs` (aligned to the epoch). */
    points(name: string, tier: Tier, fromMs: number, toMs: number, bucketMs: number): HistoryPoint[] {
      const series = seriesId.get({ name });
      if (!series) return [];
      return points
        .all({ tier, series: series.id, from: fromMs, to: toMs, bucket: bucketMs })
        .map((row) => ({ at: new Date(row.at), avg: row.avg, min: row.min, max: row.max }));
    },

    seriesNames: (): string[] => listSeries.all().map((row) => row.name),
  };
}

export type MetricsStore = ReturnType<typeof createMetricsStore>;
