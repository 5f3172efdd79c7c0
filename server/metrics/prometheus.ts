// The latest sample and this process's own use of the machine in Prometheus's text exposition
// format (version 0.0.4), for `GET /metrics`, written by prom-client. The values already exist as
// one sample (and the application's counts in core.appMetrics, histograms included), so they are
// handed over as they are at each scrape rather than copied into prom-client's gauges as they
// change. prom-client's default process metrics are left out: its event-loop monitor wakes the
// process a hundred times a second, which an idle Pi would pay for.
import { type Metric, Registry } from "prom-client";
import { type AppGauge, LATENCY_BUCKETS_MS, type OperationStats } from "../app-metrics";
import type { MetricsSample } from "./sampler";

export const PROMETHEUS_CONTENT_TYPE = Registry.PROMETHEUS_CONTENT_TYPE;

type Labels = Record<string, string>;
interface Family {
  name: string;
  help: string;
  type: "gauge" | "counter" | "histogram";
  /** Each sample's labels, value and, for a histogram's lines, the suffix of its name (_bucket, _sum, _count). */
  samples: [Labels, number, string?][];
}

/**
 * The text of `families` as prom-client writes it (escaping, value formats, line order): each family
 * is handed to its registry as a ready-made metric, the way prom-client's own cluster aggregation
 * registers metrics collected elsewhere.
 */
function render(families: Family[]): Promise<string> {
  const registry = new Registry();
  for (const family of families) {
    if (family.samples.length === 0) continue;
    const { name, help, type } = family;
    const values = family.samples.map(([labels, value, suffix = ""]) => ({ labels, value, metricName: `${name}${suffix}` }));
    const metric = { name, help, type, values, aggregator: "sum" as const };
    registry.registerMetric({ ...metric, get: async () => metric } as unknown as Metric);
  }
  return registry.metrics();
}

const gauge = (name: string, help: string, samples: [Labels, number][]): Family => ({ name, help, type: "gauge", samples });
const counter = (name: string, help: string, samples: [Labels, number][]): Family => ({ name, help, type: "counter", samples });

/** GraphQL operations by name and type, and the gauges features declared. */
function applicationFamilies({ operations, gauges }: { operations: OperationStats[]; gauges: AppGauge[] }): Family[] {
  const labelsOf = (op: OperationStats) => ({ operation: op.name, type: op.type });
  return [
    counter(
      "outpost_graphql_operations_total",
      "GraphQL operations run, by operation name and type.",
      operations.map((op) => [labelsOf(op), op.count]),
    ),
    counter(
      "outpost_graphql_operation_errors_total",
      "GraphQL operations that answered with errors.",
      operations.map((op) => [labelsOf(op), op.errors]),
    ),
    {
      name: "outpost_graphql_operation_duration_seconds",
      help: "Time GraphQL operations took to run (a subscription: to start).",
      type: "histogram",
      samples: operations.flatMap((op): [Labels, number, string][] => [
        ...LATENCY_BUCKETS_MS.map((bound, i): [Labels, number, string] => [
          { ...labelsOf(op), le: String(bound / 1000) },
          op.bucketCounts[i] ?? 0,
          "_bucket",
        ]),
        [{ ...labelsOf(op), le: "+Inf" }, op.count, "_bucket"],
        [labelsOf(op), op.totalMs / 1000, "_sum"],
        [labelsOf(op), op.count, "_count"],
      ]),
    },
    ...gauges.map((g) => gauge(`outpost_${g.name}`, g.help, [[{}, g.value]])),
  ];
}

/** The exposition of `sample`, of this process (resident memory, CPU time, heap) and of the application's own metrics. */
export function prometheusText(sample: MetricsSample, application: { operations: OperationStats[]; gauges: AppGauge[] }): Promise<string> {
  const { cpu, memory } = sample;
  const fsLabels = (fs: MetricsSample["filesystems"][number]) => ({ mountpoint: fs.mountPoint, device: fs.device, fstype: fs.fsType });
  const throttling = sample.throttling;
  const usage = process.cpuUsage();
  return render([
    gauge("outpost_cpu_busy_percent", "Busy share of all cores since the previous sample.", [[{}, cpu.percent]]),
    gauge("outpost_cpu_mode_percent", "Share of CPU time by mode since the previous sample.", [
      [{ mode: "user" }, cpu.userPercent],
      [{ mode: "system" }, cpu.systemPercent],
      [{ mode: "iowait" }, cpu.iowaitPercent],
      [{ mode: "steal" }, cpu.stealPercent],
    ]),
    gauge(
      "outpost_cpu_core_busy_percent",
      "Busy share of each core since the previous sample.",
      cpu.cores.map((core, i) => [{ core: String(i) }, core.percent]),
    ),
    gauge("outpost_load_average", "System load average.", [
      [{ period: "1m" }, cpu.load1],
      [{ period: "5m" }, cpu.load5],
      [{ period: "15m" }, cpu.load15],
    ]),
    gauge("outpost_memory_total_bytes", "Physical memory.", [[{}, memory.totalBytes]]),
    gauge("outpost_memory_used_bytes", "Memory not available to new programs.", [[{}, memory.usedBytes]]),
    gauge("outpost_memory_available_bytes", "Memory available to new programs without swapping.", [[{}, memory.availableBytes]]),
    gauge("outpost_swap_total_bytes", "Swap space.", [[{}, memory.swapTotalBytes]]),
    gauge("outpost_swap_used_bytes", "Swap space in use.", [[{}, memory.swapUsedBytes]]),
    gauge(
      "outpost_filesystem_size_bytes",
      "Size of each mounted file system.",
      sample.filesystems.map((fs) => [fsLabels(fs), fs.sizeBytes]),
    ),
    gauge(
      "outpost_filesystem_used_bytes",
      "Used space of each mounted file system.",
      sample.filesystems.map((fs) => [fsLabels(fs), fs.usedBytes]),
    ),
    gauge(
      "outpost_filesystem_free_bytes",
      "Space free to ordinary users on each mounted file system.",
      sample.filesystems.map((fs) => [fsLabels(fs), fs.freeBytes]),
    ),
    gauge(
      "outpost_filesystem_inodes",
      "Inodes of each mounted file system.",
      sample.filesystems.map((fs) => [fsLabels(fs), fs.inodesTotal]),
    ),
    gauge(
      "outpost_filesystem_inodes_free",
      "Free inodes of each mounted file system.",
      sample.filesystems.map((fs) => [fsLabels(fs), fs.inodesFree]),
    ),
    gauge(
      "outpost_disk_read_bytes_per_second",
      "Bytes read from each block device per second.",
      sample.disks.map((d) => [{ device: d.device }, d.readBps]),
    ),
    gauge(
      "outpost_disk_written_bytes_per_second",
      "Bytes written to each block device per second.",
      sample.disks.map((d) => [{ device: d.device }, d.writeBps]),
    ),
    gauge(
      "outpost_network_receive_bytes_per_second",
      "Bytes received on each interface per second.",
      sample.network.map((n) => [{ interface: n.name }, n.rxBps]),
    ),
    gauge(
      "outpost_network_transmit_bytes_per_second",
      "Bytes sent on each interface per second.",
      sample.network.map((n) => [{ interface: n.name }, n.txBps]),
    ),
    counter(
      "outpost_network_receive_errors_total",
      "Receive errors on each interface since boot.",
      sample.network.map((n) => [{ interface: n.name }, n.rxErrors]),
    ),
    counter(
      "outpost_network_transmit_errors_total",
      "Transmit errors on each interface since boot.",
      sample.network.map((n) => [{ interface: n.name }, n.txErrors]),
    ),
    counter(
      "outpost_network_receive_drops_total",
      "Received packets dropped on each interface since boot.",
      sample.network.map((n) => [{ interface: n.name }, n.rxDropped]),
    ),
    counter(
      "outpost_network_transmit_drops_total",
      "Packets to send dropped on each interface since boot.",
      sample.network.map((n) => [{ interface: n.name }, n.txDropped]),
    ),
    gauge(
      "outpost_temperature_celsius",
      "Temperature of each sensor.",
      sample.temperatures.map((t) => [{ sensor: t.sensor }, t.celsius]),
    ),
    gauge(
      "outpost_pi_throttled",
      "The Raspberry Pi firmware's throttling flags (1 = set), now and since boot.",
      throttling
        ? [
            [{ flag: "under_voltage" }, Number(throttling.underVoltage)],
            [{ flag: "frequency_capped" }, Number(throttling.frequencyCapped)],
            [{ flag: "throttled" }, Number(throttling.throttled)],
            [{ flag: "soft_temperature_limit" }, Number(throttling.softTemperatureLimit)],
            [{ flag: "under_voltage_occurred" }, Number(throttling.underVoltageOccurred)],
            [{ flag: "frequency_capped_occurred" }, Number(throttling.frequencyCappedOccurred)],
            [{ flag: "throttled_occurred" }, Number(throttling.throttledOccurred)],
            [{ flag: "soft_temperature_limit_occurred" }, Number(throttling.softTemperatureLimitOccurred)],
          ]
        : [],
    ),
    gauge("outpost_uptime_seconds", "Seconds since the host booted.", [[{}, sample.uptimeSeconds]]),
    gauge("outpost_processes", "Processes on the host.", [[{}, sample.processCount]]),
    gauge("outpost_threads", "Tasks the scheduler knows, kernel threads included.", [[{}, sample.threadCount]]),
    gauge("outpost_sample_timestamp_seconds", "When the sample was taken.", [[{}, sample.at.getTime() / 1000]]),
    gauge("outpost_process_resident_memory_bytes", "Resident memory of the Outpost server.", [[{}, process.memoryUsage.rss()]]),
    counter("outpost_process_cpu_seconds_total", "CPU time the Outpost server has used.", [[{}, (usage.user + usage.system) / 1e6]]),
    gauge("outpost_process_heap_used_bytes", "JavaScript heap in use by the Outpost server.", [[{}, process.memoryUsage().heapUsed]]),
    ...applicationFamilies(application),
  ]);
}
