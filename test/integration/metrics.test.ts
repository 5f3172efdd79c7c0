// The host's metrics through GraphQL: the latest sample agrees with /proc read at the same moment,
// samples arrive live every metrics interval and reach the history (on a manual clock), and only
// signed-in readers see them.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readdirSync, readFileSync, statfsSync } from "node:fs";
import { createManualClock } from "../../server/clock";
import { startTestApp, type TestApp } from "../harness/app";
import { codes, type GraphqlClient } from "../harness/client";

const METRICS = `query {
  metrics {
    at uptimeSeconds processCount threadCount boardModel
    cpu { total { percent userPercent systemPercent iowaitPercent stealPercent } cores { percent } load1 load5 load15 }
    memory { totalBytes usedBytes availableBytes percent swapTotalBytes swapUsedBytes }
    filesystems { mountPoint sizeBytes usedBytes freeBytes usedPercent inodesTotal }
    disks { device readBps writeBps }
    network { name rxBps txBps rxErrors }
    temperatures { sensor celsius }
    throttling { underVoltage raw }
  }
}`;
const WATCH = "subscription { metricsUpdated { at cpu { total { percent } } memory { totalBytes } } }";

interface Metrics {
  at: string;
  uptimeSeconds: number;
  processCount: number;
  threadCount: number;
  cpu: { total: { percent: number }; cores: { percent: number }[]; load1: number };
  memory: { totalBytes: number; usedBytes: number; availableBytes: number; percent: number };
  filesystems: { mountPoint: string; sizeBytes: number; usedBytes: number; freeBytes: number; inodesTotal: number }[];
}

const INTERVAL_SECONDS = 2;
const clock = createManualClock(Date.UTC(2026, 5, 1));
let server: TestApp;
let viewer: GraphqlClient;

beforeAll(async () => {
  server = await startTestApp({ clock, config: { metricsIntervalSeconds: INTERVAL_SECONDS } });
  viewer = await server.userWithRole("viewer");
});
afterAll(() => server.stop());

const meminfo = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, "m").exec(readFileSync("/proc/meminfo", "utf8"))?.[1]) * 1024;

describe("the latest sample", () => {
  test("agrees with /proc and statfs read at the same moment", async () => {
    const { metrics } = await viewer.data<{ metrics: Metrics }>(METRICS);
    const uptime = Number(readFileSync("/proc/uptime", "utf8").split(" ")[0]);
    const processes = readdirSync("/proc").filter((name) => /^\d+$/.test(name)).length;
    const cores = readFileSync("/proc/stat", "utf8").match(/^cpu\d+ /gm)?.length;

    expect(metrics.memory.totalBytes).toBe(meminfo("MemTotal"));
    // Memory moves between the two readings; a few per cent of the total is the tolerance.
    expect(Math.abs(metrics.memory.availableBytes - meminfo("MemAvailable"))).toBeLessThan(metrics.memory.totalBytes * 0.05);
    expect(metrics.memory.usedBytes + metrics.memory.availableBytes).toBe(metrics.memory.totalBytes);
    expect(Math.abs(metrics.uptimeSeconds - uptime)).toBeLessThan(120);
    expect(Math.abs(metrics.processCount - processes)).toBeLessThan(Math.max(10, processes * 0.2));
    expect(metrics.threadCount).toBeGreaterThanOrEqual(metrics.processCount);
    expect(metrics.cpu.cores).toHaveLength(cores ?? 0);
    for (const share of [metrics.cpu.total.percent, ...metrics.cpu.cores.map((core) => core.percent)]) {
      expect(share).toBeGreaterThanOrEqual(0);
      expect(share).toBeLessThanOrEqual(100);
    }
    const root = metrics.filesystems.find((fs) => fs.mountPoint === "/");
    const stats = statfsSync("/");
    expect(root?.sizeBytes).toBe(stats.blocks * stats.bsize);
    expect(root?.inodesTotal).toBe(stats.files);
    expect(Math.abs((root?.freeBytes ?? 0) - stats.bavail * stats.bsize)).toBeLessThan(256 << 20);
  });

  test("is stamped with the server's clock", async () => {
    const { metrics } = await viewer.data<{ metrics: Metrics }>(METRICS);
    expect(new Date(metrics.at).getTime()).toBeLessThanOrEqual(clock.now());
    expect(new Date(metrics.at).getTime()).toBeGreaterThanOrEqual(Date.UTC(2026, 5, 1));
  });
});

describe("live samples", () => {
  test("metricsUpdated delivers one sample every metrics interval", async () => {
    const socket = viewer.socket();
    const sub = await server.listening("metrics.sample", () => socket.subscribe<{ metricsUpdated: { at: string } }>(WATCH));
    const start = clock.now();
    await clock.advance(INTERVAL_SECONDS * 1000);
    await sub.waitFor(1);
    await clock.advance(INTERVAL_SECONDS * 1000);
    await sub.waitFor(2);
    const stamps = sub.results.map((result) => new Date(result.data?.metricsUpdated.at ?? 0).getTime());
    expect(stamps).toHaveLength(2);
    expect((stamps[1] ?? 0) - (stamps[0] ?? 0)).toBe(INTERVAL_SECONDS * 1000);
    expect(stamps[0]).toBeGreaterThan(start);
    const { metrics } = await viewer.data<{ metrics: Metrics }>(METRICS);
    expect(new Date(metrics.at).getTime()).toBe(stamps[1] ?? 0);
    await socket.dispose();
  });
});

describe("history", () => {
  const HISTORY = `query ($series: String!, $from: DateTime!, $to: DateTime!, $maxPoints: Int) {
    metricsHistory(series: $series, from: $from, to: $to, maxPoints: $maxPoints) { series tier stepMs points { at avg min max } }
  }`;
  type History = { metricsHistory: { tier: string; stepMs: number; points: { at: string; avg: number; min: number; max: number }[] } };

  test("samples reach the history at each flush, raw for a short span and rolled up per minute for fewer points", async () => {
    const from = new Date(clock.now()).toISOString();
    // Three minutes: 90 samples at the 2 s interval, written in the flushes each minute.
    for (let i = 0; i < 3 * 30; i++) await clock.advance(INTERVAL_SECONDS * 1000);
    const to = new Date(clock.now()).toISOString();
    const { metricSeries } = await viewer.data<{ metricSeries: string[] }>("{ metricSeries }");
    expect(metricSeries).toEqual(expect.arrayContaining(["cpu.percent", "mem.percent", "disk./.usedPercent", "load.1", "procs.count"]));

    const raw = await viewer.data<History>(HISTORY, { series: "mem.percent", from, to, maxPoints: 1000 });
    expect(raw.metricsHistory.tier).toBe("RAW");
    expect(raw.metricsHistory.stepMs).toBe(INTERVAL_SECONDS * 1000);
    expect(raw.metricsHistory.points.length).toBeGreaterThanOrEqual(60);
    for (const point of raw.metricsHistory.points) expect(point.avg).toBeGreaterThan(0);

    const minutes = await viewer.data<History>(HISTORY, { series: "mem.percent", from, to, maxPoints: 4 });
    expect(minutes.metricsHistory.tier).toBe("MINUTE");
    expect(minutes.metricsHistory.points.length).toBeGreaterThanOrEqual(2);
    expect(minutes.metricsHistory.points.length).toBeLessThanOrEqual(4);
    for (const point of minutes.metricsHistory.points) {
      expect(point.min).toBeLessThanOrEqual(point.avg);
      expect(point.avg).toBeLessThanOrEqual(point.max);
    }
  });

  test("an empty span or too many points is refused as bad input", async () => {
    const at = new Date(clock.now()).toISOString();
    expect(codes(await viewer.request(HISTORY, { series: "cpu.percent", from: at, to: at }))).toEqual(["BAD_USER_INPUT"]);
    const earlier = new Date(clock.now() - 60_000).toISOString();
    expect(codes(await viewer.request(HISTORY, { series: "cpu.percent", from: earlier, to: at, maxPoints: 100_000 }))).toEqual([
      "BAD_USER_INPUT",
    ]);
  });
});

describe("who may read them", () => {
  test("anonymous callers are refused", async () => {
    expect(codes(await server.anonymous.request(METRICS))).toEqual(["UNAUTHENTICATED"]);
    expect(codes(await server.anonymous.request("{ metricSeries }"))).toEqual(["UNAUTHENTICATED"]);
  });
});
