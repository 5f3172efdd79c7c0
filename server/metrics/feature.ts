// Health of the host: CPU, memory, file systems, disk and network I/O, temperatures and, on a
// Raspberry Pi, throttling, sampled from /proc and /sys every metrics interval, and kept as history
// in three tiers (raw, 1-minute, 1-hour) written in batches; `GET /metrics` for Prometheus; the
// host's processes, and signals to them.
import { defineFeature } from "../feature";
import { createMetricsHistory } from "./history";
import { metricsMigrations } from "./migrations";
import { createProcessTable } from "./processes";
import { PROMETHEUS_CONTENT_TYPE, prometheusText } from "./prometheus";
import { createSampler, type MetricsSample } from "./sampler";
import { createMetricsService } from "./service";
import { createMetricsStore } from "./store";

declare module "../events" {
  interface EventMap {
    "metrics.sample": MetricsSample;
  }
}
declare module "../auth/permissions" {
  interface Permissions {
    "metrics:read": true;
    "processes:read": true;
    "processes:signal": true;
  }
}
declare module "../settings" {
  interface FeatureSettings {
    metricsIntervalSeconds: number;
    metricsFlushSeconds: number;
    metricsRawRetentionHours: number;
    metricsMinuteRetentionDays: number;
    metricsHourRetentionDays: number;
  }
}

const HOUR_MS = 60 * 60 * 1000;
/** Processes by CPU and by memory in each live sample. */
const TOP_PROCESSES = 5;
const DAY_MS = 24 * HOUR_MS;

export const metricsFeature = defineFeature({
  name: "metrics",
  migrations: metricsMigrations,
  settings: [
    {
      key: "metricsIntervalSeconds",
      kind: "int",
      default: 5,
      min: 1,
      max: 3600,
      description: "seconds between samples of the host's metrics",
    },
    {
      key: "metricsFlushSeconds",
      kind: "int",
      default: 60,
      min: 1,
      max: 3600,
      description: "seconds between writes of the metrics history (samples wait in memory, sparing SD cards)",
    },
    { key: "metricsRawRetentionHours", kind: "int", default: 24, min: 1, max: 24 * 30, description: "hours raw metric samples are kept" },
    {
      key: "metricsMinuteRetentionDays",
      kind: "int",
      default: 30,
      min: 1,
      max: 366,
      description: "days 1-minute metric roll-ups are kept",
    },
    { key: "metricsHourRetentionDays", kind: "int", default: 365, min: 1, max: 3660, description: "days 1-hour metric roll-ups are kept" },
  ],
  permissions: [
    { name: "metrics:read", roles: ["viewer", "operator"], description: "read the host's metrics, live and past" },
    { name: "processes:read", roles: ["viewer", "operator"], description: "list the host's processes" },
    { name: "processes:signal", roles: [], description: "send signals to the host's processes" },
  ],
  create: (core) => {
    const intervalMs = core.config.metricsIntervalSeconds * 1000;
    const metricsHistory = createMetricsHistory({
      store: createMetricsStore(core.db),
      writes: core.writes,
      clock: core.clock,
      log: core.log,
      rawStepMs: intervalMs,
      retention: {
        rawMs: core.config.metricsRawRetentionHours * HOUR_MS,
        minuteMs: core.config.metricsMinuteRetentionDays * DAY_MS,
        hourMs: core.config.metricsHourRetentionDays * DAY_MS,
      },
    });
    const processes = createProcessTable();
    const metrics = createMetricsService({
      sampler: createSampler(),
      events: core.events,
      clock: core.clock,
      intervalMs,
      onSample: metricsHistory.record,
      topProcesses: () => processes.top(TOP_PROCESSES),
    });
    return { metrics, metricsHistory, processes };
  },
  routes: ({ metrics }) => [
    {
      // For Prometheus: a scrape carries an API key with the metrics:read (or read) scope as its bearer token.
      method: "GET",
      path: "/metrics",
      access: "metrics:read",
      handle: () => new Response(prometheusText(metrics.current()), { headers: { "content-type": PROMETHEUS_CONTENT_TYPE } }),
    },
  ],
  jobs: ({ metrics, metricsHistory }, core) => [
    { name: "metrics.sample", everyMs: metrics.intervalMs, runAtStart: true, run: () => metrics.collect() },
    { name: "metrics.flush", everyMs: core.config.metricsFlushSeconds * 1000, run: () => metricsHistory.flush() },
    { name: "metrics.prune", everyMs: HOUR_MS, run: () => metricsHistory.prune() },
  ],
  stop: ({ metricsHistory }) => metricsHistory.flush(),
});
