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
  /** The busiest processes, read with a sample when the last reading is `topProcessesEveryMs` old. */
  topProcesses?: () => TopProcesses;
  /**
   * Reading every process costs several times a whole sample (one file per process): at a short
   * interval the samples in between carry the last reading.
   */
  topProcessesEveryMs?: number;
}

export function createMetricsService({
  sampler,
  events,
  clock,
  intervalMs,
  onSample,
  topProcesses,
  topProcessesEveryMs = 0,
}: MetricsServiceOptions) {
  let latest: MetricsSample | null = null;
  let top: { atMs: number; processes: TopProcesses } | null = null;
  const currentTop = (nowMs: number): TopProcesses | null => {
    if (!topProcesses) return null;
    if (!top || nowMs - top.atMs >= topProcessesEveryMs) top = { atMs: nowMs, processes: topProcesses() };
    return top.processes;
  };

  const collect = (): MetricsSample => {
    const nowMs = clock.now();
    latest = { ...sampler.read(new Date(nowMs)), topProcesses: currentTop(nowMs) };
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
