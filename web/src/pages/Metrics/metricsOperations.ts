// The Metrics page's GraphQL operations (metrics:read): the latest sample, each new one live, and
// the history of one series.

import { type GraphQLRequestError, query, subscribe } from "../../lib/graphql";
import { graphql, type ResultOf, type VariablesOf } from "../../lib/operation";

const SAMPLE_FIELDS = `at uptimeSeconds processCount threadCount boardModel
  cpu { total { percent userPercent systemPercent iowaitPercent stealPercent } cores { percent } load1 load5 load15 }
  memory { totalBytes usedBytes percent swapTotalBytes swapUsedBytes swapPercent }
  filesystems { mountPoint device fsType sizeBytes usedBytes freeBytes usedPercent }
  disks { device readBps writeBps }
  network { name rxBps txBps rxErrors txErrors }
  temperatures { sensor celsius } cpuCelsius
  throttling { underVoltage frequencyCapped throttled softTemperatureLimit underVoltageOccurred throttledOccurred }
  topProcesses { byCpu { pid name cpuPercent memoryBytes } byMemory { pid name cpuPercent memoryBytes } }`;

const METRICS = graphql(`query Metrics { metrics { ${SAMPLE_FIELDS} } }`);
const METRICS_UPDATED = graphql(`subscription MetricsUpdated { metricsUpdated { ${SAMPLE_FIELDS} } }`);
const METRICS_HISTORY = graphql(`query MetricsHistory($series: String!, $from: DateTime!, $to: DateTime!, $maxPoints: Int) {
  metricsHistory(series: $series, from: $from, to: $to, maxPoints: $maxPoints) { series tier stepMs points { at avg min max } }
}`);

export type MetricsSample = ResultOf<typeof METRICS>["metrics"];
export type MetricHistory = ResultOf<typeof METRICS_HISTORY>["metricsHistory"];

export async function fetchMetrics(): Promise<MetricsSample> {
  const { metrics } = await query(METRICS);
  return metrics;
}

/** Calls `onSample` with each sample the server takes; returns the function that stops it. */
export function watchMetrics(onSample: (sample: MetricsSample) => void, onError: (error: GraphQLRequestError) => void): () => void {
  return subscribe(METRICS_UPDATED, {}, (data) => onSample(data.metricsUpdated), onError);
}

export async function fetchHistory(variables: VariablesOf<typeof METRICS_HISTORY>): Promise<MetricHistory> {
  const { metricsHistory } = await query(METRICS_HISTORY, variables);
  return metricsHistory;
}
