// Tables of the metrics history: series names, and points in three tiers (raw samples, 1-minute and
// 1-hour roll-ups with average, minimum and maximum).
import type { Migration } from "../db";

export const metricsMigrations: Migration[] = [
  {
    id: "metrics-001-history",
    sql: `
      CREATE TABLE metric_series (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE
      );
      CREATE TABLE metric_points (
        tier INTEGER NOT NULL,
        series_id INTEGER NOT NULL REFERENCES metric_series (id),
        at INTEGER NOT NULL,
        avg REAL NOT NULL,
        min REAL NOT NULL,
        max REAL NOT NULL,
        PRIMARY KEY (tier, series_id, at)
      ) WITHOUT ROWID;
      CREATE INDEX metric_points_age ON metric_points (tier, at);
    `,
  },
];
