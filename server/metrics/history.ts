// The metrics history: samples kept in memory and written in one batch every flush interval (so an
// idle box writes to its SD card rarely), rolled up into 1-minute and 1-hour tiers with average,
// minimum and maximum, deleted past each tier's retention, and read back from the tier that suits
// the span asked for.
import type { Clock } from "../clock";
import type { WriteBatcher } from "../db";
import { InvalidInputError } from "../errors";
import type { Logger } from "../log";
import type { MetricsSample } from "./sampler";
import { seriesValues } from "./series";
import { type HistoryPoint, type MetricsStore, TIER, type Tier } from "./store";

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;
const MAX_SERIES_NAME = 200;
export const MAX_HISTORY_POINTS = 2000;
/** Samples held when writes keep failing; the oldest are dropped past it. */
const MAX_BUFFERED_SAMPLES = 3600;

export type TierName = "raw" | "minute" | "hour";

export interface Retention {
  rawMs: number;
  minuteMs: number;
  hourMs: number;
}

export interface HistoryAnswer {
  series: string;
  tier: TierName;
  /** The length of each point's bucket. */
  stepMs: number;
  points: HistoryPoint[];
}

interface TierSpec {
  name: TierName;
  tier: Tier;
  stepMs: number;
  retentionMs: number;
}

/**
 * The tier to read [fromMs, toMs] from, and how long each returned point's bucket is: the coarsest
 * tier still holding `fromMs` whose step is no longer than the bucket `maxPoints` allows (the
 * finest holding it when none is that fine; the hour tier when none holds it). Buckets are
 * long enough that no more than `maxPoints` fit in the span, and never shorter than the tier's step.
 */
export function chooseTier(
  { fromMs, toMs, maxPoints, nowMs }: { fromMs: number; toMs: number; maxPoints: number; nowMs: number },
  { rawStepMs, retention }: { rawStepMs: number; retention: Retention },
): { name: TierName; tier: Tier; stepMs: number } {
  const tiers: TierSpec[] = [
    { name: "raw", tier: TIER.raw, stepMs: rawStepMs, retentionMs: retention.rawMs },
    { name: "minute", tier: TIER.minute, stepMs: MINUTE_MS, retentionMs: retention.minuteMs },
    { name: "hour", tier: TIER.hour, stepMs: HOUR_MS, retentionMs: retention.hourMs },
  ];
  // Epoch-aligned buckets of this length touch at most maxPoints of them across the span.
  const wantedMs = Math.ceil((toMs - fromMs) / Math.max(1, maxPoints - 1));
  const holding = tiers.filter((t) => fromMs >= nowMs - t.retentionMs);
  const chosen = holding.filter((t) => t.stepMs <= wantedMs).at(-1) ?? holding[0] ?? (tiers[2] as TierSpec);
  return { name: chosen.name, tier: chosen.tier, stepMs: Math.max(chosen.stepMs, wantedMs) };
}

export interface MetricsHistoryOptions {
  store: MetricsStore;
  writes: WriteBatcher;
  clock: Clock;
  log: Logger;
  rawStepMs: number;
  retention: Retention;
}

export function createMetricsHistory({ store, writes, clock, log, rawStepMs, retention }: MetricsHistoryOptions) {
  let buffered: { atMs: number; values: [string, number][] }[] = [];

  return {
    /** Keeps a sample for the next flush. */
    record(sample: MetricsSample): void {
      buffered.push({ atMs: sample.at.getTime(), values: seriesValues(sample) });
      if (buffered.length > MAX_BUFFERED_SAMPLES) buffered.splice(0, buffered.length - MAX_BUFFERED_SAMPLES);
    },

    /**
     * Writes the samples kept since the last flush in one transaction and recomputes the minute and
     * hour buckets they fall in. Samples whose write failed are kept for the next flush.
     */
    async flush(): Promise<void> {
      if (buffered.length === 0) return;
      const batch = buffered;
      buffered = [];
      const sinceMs = Math.min(...batch.map((s) => s.atMs));
      const untilMs = Math.max(...batch.map((s) => s.atMs)) + 1;
      try {
        await writes.run(() => {
          store.insertRaw(batch);
          store.rollUp(TIER.raw, TIER.minute, MINUTE_MS, sinceMs, untilMs);
          store.rollUp(TIER.minute, TIER.hour, HOUR_MS, sinceMs, untilMs);
        });
      } catch (err) {
        log.warn("metrics history not written; kept for the next flush", { err, samples: batch.length });
        buffered = [...batch, ...buffered].slice(-MAX_BUFFERED_SAMPLES);
      }
    },

    /** Deletes each tier's points past its retention, then series left without points; returns how many points. */
    prune(): Promise<number> {
      const now = clock.now();
      return writes.run(() => {
        const deleted =
          store.deleteBefore(TIER.raw, now - retention.rawMs) +
          store.deleteBefore(TIER.minute, now - retention.minuteMs) +
          store.deleteBefore(TIER.hour, now - retention.hourMs);
        store.deleteEmptySeries();
        return deleted;
      });
    },

    /**
     * Points of `series` in [from, to], at most `maxPoints`, from the tier that suits the span
     * (see chooseTier). Throws InvalidInputError for a bad span, name or point count.
     */
    query({ series, from, to, maxPoints }: { series: string; from: Date; to: Date; maxPoints: number }): HistoryAnswer {
      if (series.length === 0 || series.length > MAX_SERIES_NAME) {
        throw new InvalidInputError(`series must be 1 to ${MAX_SERIES_NAME} characters.`);
      }
      if (!Number.isInteger(maxPoints) || maxPoints < 2 || maxPoints > MAX_HISTORY_POINTS) {
        throw new InvalidInputError(`maxPoints must be 2 to ${MAX_HISTORY_POINTS}.`);
      }
      const fromMs = from.getTime();
      const toMs = to.getTime();
      if (!(fromMs < toMs)) throw new InvalidInputError("from must be before to.");
      const { name, tier, stepMs } = chooseTier({ fromMs, toMs, maxPoints, nowMs: clock.now() }, { rawStepMs, retention });
      return { series, tier: name, stepMs, points: store.points(series, tier, fromMs, toMs, stepMs) };
    },

    /** Names of every series the history holds, sorted. */
    seriesNames: (): string[] => store.seriesNames(),
  };
}

export type MetricsHistory = ReturnType<typeof createMetricsHistory>;
