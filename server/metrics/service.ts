// Live health of the host: one sample every interval (a named job), kept as the latest and
// published as `metrics.sample` for subscribers. Knows nothing of GraphQL.
import type { Clock } from "../clock";
import type { EventBus } from "../events";
import type { TopProcesses } from "./processes";
import type { MetricsSample, Sampler } from "./sampler";

export interface MetricsServiceOptions {
  sampler: Sampler;
  events: EventBus;
  clock: Clock;
  intervalMs: number;
  /** Called with each sample taken (the history keeps it). */
  onSample?: (sample: MetricsSample) => void;
  /** The busiest processes, read with each sample. */
  topProcesses?: () => TopProcesses;
}

export function createMetricsService({ sampler, events, clock, intervalMs, onSample, topProcesses }: MetricsServiceOptions) {
  let latest: MetricsSample | null = null;

  const collect = (): MetricsSample => {
    latest = { ...sampler.read(new Date(clock.now())), topProcesses: topProcesses?.() ?? null };
    onSample?.(latest);
    events.publish("metrics.sample", latest);
    return latest;
  };

  return {
    intervalMs,

    /** Takes a sample (with the top processes) now, keeps it as the latest, hands it to `onSample` and publishes it as `metrics.sample`. */
    collect,

    /** The latest sample; takes the first one when none was taken yet. */
    current: (): MetricsSample => latest ?? collect(),

    /** Every sample from now on; a subscriber that falls behind is dropped (bounded queue). */
    watch: (): AsyncIterableIterator<MetricsSample> => events.subscribe("metrics.sample", { maxQueued: 16 }),
  };
}

export type MetricsService = ReturnType<typeof createMetricsService>;
