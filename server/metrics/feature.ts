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
import { createScrapeAccess, MIN_SCRAPE_TOKEN_CHARS, networksProblem } from "./scrape-access";
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
    metricsBearerToken: string | null;
    metricsOpenNetworks: string | null;
  }
}

const HOUR_MS = 60 * 60 * 1000;
/** Processes by CPU and by memory in each live sample, read again at most this often. */
const TOP_PROCESSES = 5;
const TOP_PROCESSES_EVERY_MS = 5000;
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
    {
      key: "metricsBearerToken",
      kind: "string",
      default: null,
      nullable: true,
      inFile: false,
      description: "a bearer token that may scrape GET /metrics besides API keys with metrics:read (environment only, never in the file)",
      accepts: `a secret of at least ${MIN_SCRAPE_TOKEN_CHARS} characters`,
      check: (token) => (token.length >= MIN_SCRAPE_TOKEN_CHARS ? null : `must be at least ${MIN_SCRAPE_TOKEN_CHARS} characters`),
    },
    {
      key: "metricsOpenNetworks",
      kind: "string",
      default: null,
      nullable: true,
      description: "networks whose callers may scrape GET /metrics without a key",
      accepts: "networks separated by commas, such as 192.168.1.0/24, fd00::/8",
      check: networksProblem,
    },
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
    const processes = createProcessTable({
      confidentialSessions: { current: core.supervisor.confidentialSessions, forgetEnded: core.supervisor.forgetEndedSessions },
    });
    const metrics = createMetricsService({
      sampler: createSampler(),
      events: core.events,
      clock: core.clock,
      intervalMs,
      onSample: metricsHistory.record,
      topProcesses: () => processes.top(TOP_PROCESSES),
      topProcessesEveryMs: TOP_PROCESSES_EVERY_MS,
    });
    const requireScrapeAccess = createScrapeAccess({
      token: core.config.metricsBearerToken,
      openNetworks: core.config.metricsOpenNetworks,
    });
    return { metrics, metricsHistory, processes, requireScrapeAccess, appMetrics: core.appMetrics };
  },
  routes: ({ metrics, requireScrapeAccess }, core) => [
    {
      // For Prometheus: an API key with metrics:read (or read), the configured bearer token, or an open network (scrape-access.ts).
      method: "GET",
      path: "/metrics",
      access: "public",
      handle: async (request, { viewer, origin }) => {
        requireScrapeAccess(request, { viewer, ip: origin.ip });
        const application = { operations: core.appMetrics.operations(), gauges: core.appMetrics.gauges() };
        const text = await prometheusText(metrics.current(), application);
        return new Response(text, { headers: { "content-type": PROMETHEUS_CONTENT_TYPE } });
      },
    },
  ],
  jobs: ({ metrics, metricsHistory }, core) => [
    { name: "metrics.sample", everyMs: metrics.intervalMs, runAtStart: true, run: () => metrics.collect() },
    { name: "metrics.flush", everyMs: core.config.metricsFlushSeconds * 1000, run: () => metricsHistory.flush() },
    { name: "metrics.prune", everyMs: HOUR_MS, run: () => metricsHistory.prune() },
  ],
  stop: ({ metricsHistory }) => metricsHistory.flush(),
});
