// The metrics history over synthetic samples: roll-ups compute average, minimum and maximum per
// minute and hour, retention deletes old points, and queries pick the tier and cap the points.
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createManualClock } from "../../server/clock";
import { createWriteBatcher, openDatabase } from "../../server/db";
import { createLogger } from "../../server/log";
import { chooseTier, createMetricsHistory, type Retention } from "../../server/metrics/history";
import { metricsMigrations } from "../../server/metrics/migrations";
import { createMetricsStore } from "../../server/metrics/store";
import { syntheticSample } from "../harness/metrics-sample";

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const RETENTION: Retention = { rawMs: DAY, minuteMs: 30 * DAY, hourMs: 365 * DAY };
const START = Date.UTC(2026, 0, 1);

const sample = (atMs: number, cpu: number, mem = 50) => syntheticSample({ atMs, cpu, mem });

let dir: string;
let db: ReturnType<typeof openDatabase>;
let clock: ReturnType<typeof createManualClock>;
let history: ReturnType<typeof createMetricsHistory>;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "outpost-metrics-history-"));
  db = openDatabase(join(dir, "test.db"), metricsMigrations);
  clock = createManualClock(START);
  history = createMetricsHistory({
    store: createMetricsStore(db),
    writes: createWriteBatcher(db),
    clock,
    log: createLogger({ level: "error", write: () => {} }),
    rawStepMs: 5000,
    retention: RETENTION,
  });
});
afterEach(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("roll-ups", () => {
  test("each minute and hour holds the average, minimum and maximum of its samples, across flushes", async () => {
    // Two minutes of 5-second samples: the first minute 0..11, the second 12..23; flushed in three batches.
    for (let i = 0; i < 24; i++) {
      history.record(sample(START + i * 5000, i));
      if (i === 5 || i === 17) await history.flush();
    }
    await history.flush();
    await clock.set(START + 2 * MINUTE);
    const minutes = history.query({ series: "cpu.percent", from: new Date(START), to: new Date(START + 2 * MINUTE), maxPoints: 3 });
    expect(minutes.tier).toBe("minute");
    expect(minutes.points).toEqual([
      { at: new Date(START), avg: 5.5, min: 0, max: 11 },
      { at: new Date(START + MINUTE), avg: 17.5, min: 12, max: 23 },
    ]);
    const raw = history.query({ series: "cpu.percent", from: new Date(START), to: new Date(START + 2 * MINUTE), maxPoints: 100 });
    expect(raw.tier).toBe("raw");
    expect(raw.points).toHaveLength(24);
    expect(raw.points[7]).toEqual({ at: new Date(START + 35_000), avg: 7, min: 7, max: 7 });
  });

  test("a minute of equal samples averages to that value, never a float's width outside its own min and max", async () => {
    const values = [0.1, 1.1, 2.3, 3.09, 3.3, 7.77, 40.1];
    for (const [series, value] of values.entries())
      for (let i = 0; i < 12; i++) history.record(sample(START + series * MINUTE + i * 5000, value));
    await history.flush();
    await clock.set(START + 2 * DAY); // Past the raw tier's retention: the minutes hold it.
    const span = { series: "cpu.percent", from: new Date(START), to: new Date(START + (values.length - 1) * MINUTE) };
    const minutes = history.query({ ...span, maxPoints: 100 });
    expect(minutes.tier).toBe("minute");
    expect(minutes.points.map((p) => [p.min, p.avg, p.max])).toEqual(values.map((v) => [v, v, v]));
  });

  test("an hour rolls up its minutes", async () => {
    for (let minute = 0; minute < 120; minute++) history.record(sample(START + minute * MINUTE, minute % 60, minute < 60 ? 10 : 90));
    await history.flush();
    await clock.set(START + 40 * DAY); // Past the raw and minute tiers' retention: only hours hold it.
    const hours = history.query({ series: "cpu.percent", from: new Date(START), to: new Date(START + 2 * HOUR), maxPoints: 100 });
    expect(hours.tier).toBe("hour");
    expect(hours.points).toEqual([
      { at: new Date(START), avg: 29.5, min: 0, max: 59 },
      { at: new Date(START + HOUR), avg: 29.5, min: 0, max: 59 },
    ]);
    const mem = history.query({ series: "mem.percent", from: new Date(START), to: new Date(START + 2 * HOUR), maxPoints: 100 });
    expect(mem.points.map((p) => p.avg)).toEqual([10, 90]);
  });
});

describe("retention", () => {
  test("prune deletes each tier's points past its retention, keeps the rest, and forgets emptied series", async () => {
    for (let i = 0; i < 10; i++) history.record(sample(START + i * 5000, 1));
    await history.flush();
    const count = (tier: number) => (db.query("SELECT count(*) AS n FROM metric_points WHERE tier = ?").get(tier) as { n: number }).n;
    expect([count(0), count(1), count(2)]).toEqual([10 * 16, 16, 16]); // 16 series: 14 of every host, temp.cpu and temp.cpu-thermal
    await clock.set(START + DAY + MINUTE);
    await history.prune();
    expect([count(0), count(1), count(2)]).toEqual([0, 16, 16]);
    await clock.set(START + 31 * DAY);
    await history.prune();
    expect([count(0), count(1), count(2)]).toEqual([0, 0, 16]);
    expect(history.seriesNames()).toContain("temp.cpu");
    await clock.set(START + 366 * DAY);
    await history.prune();
    expect(count(2)).toBe(0);
    // Series without points are forgotten too.
    expect(history.seriesNames()).toEqual([]);
  });
});

describe("choosing the tier", () => {
  const choose = (spanMs: number, maxPoints: number, ageMs = 0) =>
    chooseTier({ fromMs: START - ageMs - spanMs, toMs: START - ageMs, maxPoints, nowMs: START }, { rawStepMs: 5000, retention: RETENTION });

  test("the coarsest tier that still gives maxPoints, raw for short spans", () => {
    expect(choose(HOUR, 720).name).toBe("raw");
    expect(choose(HOUR, 60)).toEqual({ name: "minute", tier: 1, stepMs: Math.ceil(HOUR / 59) });
    expect(choose(DAY - MINUTE, 300).name).toBe("minute");
    expect(choose(7 * DAY, 100).name).toBe("hour");
    expect(choose(365 * DAY - HOUR, 500).name).toBe("hour");
  });

  test("a span older than a tier's retention reads from a coarser one", () => {
    expect(choose(HOUR, 720, 2 * DAY).name).toBe("minute");
    expect(choose(HOUR, 720, 60 * DAY).name).toBe("hour");
  });

  test("the query caps the points whatever the tier holds", async () => {
    for (let i = 0; i < 720; i++) history.record(sample(START + i * 5000, i % 100));
    await history.flush();
    await clock.set(START + HOUR);
    for (const maxPoints of [2, 7, 50, 719]) {
      const answer = history.query({ series: "cpu.percent", from: new Date(START), to: new Date(START + HOUR), maxPoints });
      expect(answer.points.length).toBeLessThanOrEqual(maxPoints);
      expect(answer.points.length).toBeGreaterThanOrEqual(maxPoints / 2);
    }
  });

  test("bad spans, names and point counts are refused", () => {
    const ask = (over: Partial<Parameters<typeof history.query>[0]>) => () =>
      history.query({ series: "cpu.percent", from: new Date(START), to: new Date(START + HOUR), maxPoints: 10, ...over });
    expect(ask({ to: new Date(START) })).toThrow("from must be before to");
    expect(ask({ maxPoints: 1 })).toThrow("maxPoints");
    expect(ask({ maxPoints: 5000 })).toThrow("maxPoints");
    expect(ask({ series: "x".repeat(201) })).toThrow("series");
    expect(ask({ series: "no.such.series" })().points).toEqual([]);
  });
});
