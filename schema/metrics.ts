// The host's health now, live and in the past: CPU, memory, file systems, disk and network I/O, temperatures,
// the Raspberry Pi's throttling flags, and the host's processes.
import {
  type AppGauge,
  type AppMetrics,
  LATENCY_BUCKETS_MS,
  MAX_OPERATION_NAMES,
  type OperationStats,
  OTHER_OPERATIONS,
} from "../server/app-metrics";
import { can } from "../server/auth/viewer";
import { type HistoryAnswer, MAX_HISTORY_POINTS } from "../server/metrics/history";
import { HIDDEN_COMMAND, MAX_PROCESS_LIMIT, type ProcessInfo, shownProcess, type TopProcesses } from "../server/metrics/processes";
import type { CpuUsage, DiskIo, FilesystemUsage, MetricsSample, NetworkIo, Temperature, Throttling } from "../server/metrics/sampler";
import { cpuTemperature } from "../server/metrics/series";
import type { HistoryPoint } from "../server/metrics/store";
import { auditTarget } from "./audit";
import { builder } from "./builder";
import { signedInViewer } from "./context";

// Byte counts and rates are Floats: they pass Int's 2^31, and a Float carries whole numbers exactly up to 2^53.

const CpuUsageType = builder.objectRef<CpuUsage>("CpuUsage").implement({
  description: "Shares of CPU time since the previous sample, in percent.",
  fields: (t) => ({
    percent: t.exposeFloat("percent", { description: "Busy: everything but idle and I/O wait." }),
    userPercent: t.exposeFloat("userPercent", { description: "User space, niced processes included." }),
    systemPercent: t.exposeFloat("systemPercent", { description: "Kernel, interrupts included." }),
    iowaitPercent: t.exposeFloat("iowaitPercent"),
    stealPercent: t.exposeFloat("stealPercent", { description: "Taken by the hypervisor for other guests." }),
  }),
});

const CpuMetricsType = builder.objectRef<MetricsSample["cpu"]>("CpuMetrics").implement({
  fields: (t) => ({
    total: t.field({ type: CpuUsageType, description: "All cores together.", resolve: (cpu) => cpu }),
    cores: t.field({ type: [CpuUsageType], description: "Each core, in the kernel's order.", resolve: (cpu) => cpu.cores }),
    load1: t.exposeFloat("load1"),
    load5: t.exposeFloat("load5"),
    load15: t.exposeFloat("load15"),
  }),
});

const MemoryMetricsType = builder.objectRef<MetricsSample["memory"]>("MemoryMetrics").implement({
  fields: (t) => ({
    totalBytes: t.exposeFloat("totalBytes"),
    usedBytes: t.exposeFloat("usedBytes", { description: "Total less what is available to new programs without swapping." }),
    availableBytes: t.exposeFloat("availableBytes"),
    percent: t.exposeFloat("percent"),
    swapTotalBytes: t.exposeFloat("swapTotalBytes"),
    swapUsedBytes: t.exposeFloat("swapUsedBytes"),
    swapPercent: t.exposeFloat("swapPercent"),
  }),
});

const FilesystemUsageType = builder.objectRef<FilesystemUsage>("FilesystemUsage").implement({
  description: "A mounted file system that holds data (kernel and memory-backed ones are left out).",
  fields: (t) => ({
    mountPoint: t.exposeString("mountPoint"),
    device: t.exposeString("device"),
    fsType: t.exposeString("fsType"),
    sizeBytes: t.exposeFloat("sizeBytes"),
    usedBytes: t.exposeFloat("usedBytes"),
    freeBytes: t.exposeFloat("freeBytes", { description: "Free to ordinary users (root's reserve left out)." }),
    usedPercent: t.exposeFloat("usedPercent", { description: "As df counts it: used out of used + free." }),
    inodesTotal: t.exposeFloat("inodesTotal"),
    inodesUsed: t.exposeFloat("inodesUsed"),
    inodesFree: t.exposeFloat("inodesFree"),
  }),
});

const DiskIoType = builder.objectRef<DiskIo>("DiskIo").implement({
  description: "Reads and writes of a block device since the previous sample, per second.",
  fields: (t) => ({
    device: t.exposeString("device"),
    readBps: t.exposeFloat("readBps", { description: "Bytes read per second." }),
    writeBps: t.exposeFloat("writeBps", { description: "Bytes written per second." }),
    readsPerSecond: t.exposeFloat("readsPerSecond"),
    writesPerSecond: t.exposeFloat("writesPerSecond"),
  }),
});

const NetworkIoType = builder.objectRef<NetworkIo>("NetworkIo").implement({
  description: "A network interface (loopback left out): rates since the previous sample, error and drop totals since boot.",
  fields: (t) => ({
    name: t.exposeString("name"),
    rxBps: t.exposeFloat("rxBps", { description: "Bytes received per second." }),
    txBps: t.exposeFloat("txBps", { description: "Bytes sent per second." }),
    rxErrors: t.exposeFloat("rxErrors"),
    txErrors: t.exposeFloat("txErrors"),
    rxDropped: t.exposeFloat("rxDropped"),
    txDropped: t.exposeFloat("txDropped"),
  }),
});

const TemperatureType = builder.objectRef<Temperature>("Temperature").implement({
  fields: (t) => ({
    sensor: t.exposeString("sensor", { description: "A thermal zone's type (cpu-thermal) or <hwmon name>.<label> (coretemp.Core 0)." }),
    celsius: t.exposeFloat("celsius"),
  }),
});

const ThrottlingType = builder.objectRef<Throttling>("Throttling").implement({
  description: "The Raspberry Pi firmware's throttling flags: now, and since boot (…Occurred).",
  fields: (t) => ({
    underVoltage: t.exposeBoolean("underVoltage"),
    frequencyCapped: t.exposeBoolean("frequencyCapped"),
    throttled: t.exposeBoolean("throttled"),
    softTemperatureLimit: t.exposeBoolean("softTemperatureLimit"),
    underVoltageOccurred: t.exposeBoolean("underVoltageOccurred"),
    frequencyCappedOccurred: t.exposeBoolean("frequencyCappedOccurred"),
    throttledOccurred: t.exposeBoolean("throttledOccurred"),
    softTemperatureLimitOccurred: t.exposeBoolean("softTemperatureLimitOccurred"),
    raw: t.exposeInt("raw", { description: "The word get_throttled reports." }),
  }),
});

const MetricsType = builder.objectRef<MetricsSample>("Metrics").implement({
  description: "One sample of the host's health, read from /proc and /sys.",
  fields: (t) => ({
    at: t.expose("at", { type: "DateTime" }),
    cpu: t.field({ type: CpuMetricsType, resolve: (sample) => sample.cpu }),
    memory: t.field({ type: MemoryMetricsType, resolve: (sample) => sample.memory }),
    filesystems: t.field({ type: [FilesystemUsageType], resolve: (sample) => sample.filesystems }),
    disks: t.field({ type: [DiskIoType], resolve: (sample) => sample.disks }),
    network: t.field({ type: [NetworkIoType], resolve: (sample) => sample.network }),
    temperatures: t.field({ type: [TemperatureType], resolve: (sample) => sample.temperatures }),
    cpuCelsius: t.float({
      nullable: true,
      description: "The temperature of the sensor that stands for the CPU (the history's temp.cpu); null without sensors.",
      resolve: (sample) => cpuTemperature(sample.temperatures),
    }),
    uptimeSeconds: t.exposeInt("uptimeSeconds"),
    processCount: t.exposeInt("processCount"),
    threadCount: t.exposeInt("threadCount", { description: "Every task the scheduler knows, kernel threads included." }),
    boardModel: t.exposeString("boardModel", { nullable: true, description: "The device tree's model, such as a Raspberry Pi's." }),
    throttling: t.field({
      type: ThrottlingType,
      nullable: true,
      description: "Null where the firmware does not report it (anything but a Raspberry Pi).",
      resolve: (sample) => sample.throttling,
    }),
    topProcesses: t.field({
      type: TopProcessesType,
      nullable: true,
      description:
        "The five processes using the most CPU (over the sample interval) and the most memory, read with the sample; needs processes:read as well.",
      authScopes: { permission: "processes:read" },
      resolve: (sample) => sample.topProcesses,
    }),
  }),
});

builder.queryField("metrics", (t) =>
  t.field({
    type: MetricsType,
    description: "The latest sample (taken every metrics_interval_seconds).",
    authScopes: { permission: "metrics:read" },
    resolve: (_root, _args, ctx) => ctx.services.metrics.current(),
  }),
);

builder.subscriptionField("metricsUpdated", (t) =>
  t.field({
    type: MetricsType,
    description: "Each sample as it is taken, every metrics_interval_seconds.",
    authScopes: { permission: "metrics:read" },
    subscribe: (_root, _args, ctx) => ctx.services.metrics.watch(),
    resolve: (sample) => sample,
  }),
);

const MetricTierEnum = builder.enumType("MetricTier", {
  values: {
    RAW: { value: "raw", description: "Each sample, kept metrics_raw_retention_hours." },
    MINUTE: { value: "minute", description: "1-minute roll-ups, kept metrics_minute_retention_days." },
    HOUR: { value: "hour", description: "1-hour roll-ups, kept metrics_hour_retention_days." },
  } as const,
});

const MetricPointType = builder.objectRef<HistoryPoint>("MetricPoint").implement({
  description: "A bucket of a series: the average, lowest and highest value in it.",
  fields: (t) => ({
    at: t.expose("at", { type: "DateTime", description: "The start of the bucket." }),
    avg: t.exposeFloat("avg"),
    min: t.exposeFloat("min"),
    max: t.exposeFloat("max"),
  }),
});

const MetricHistoryType = builder.objectRef<HistoryAnswer>("MetricHistory").implement({
  fields: (t) => ({
    series: t.exposeString("series"),
    tier: t.field({ type: MetricTierEnum, description: "The tier the points were read from.", resolve: (h) => h.tier }),
    stepMs: t.exposeInt("stepMs", { description: "The length of each point's bucket." }),
    points: t.field({
      type: [MetricPointType],
      description: "Oldest first; buckets without samples are left out.",
      resolve: (h) => h.points,
    }),
  }),
});

builder.queryFields((t) => ({
  metricsHistory: t.field({
    type: MetricHistoryType,
    description: `Past values of one series (named as metricSeries lists them) in [from, to], at most maxPoints (2 to ${MAX_HISTORY_POINTS}), from the coarsest tier that still holds from and gives enough points. Samples reach the history every metrics_flush_seconds. BAD_USER_INPUT for an empty span or a maxPoints out of range.`,
    authScopes: { permission: "metrics:read" },
    args: {
      series: t.arg.string({ required: true }),
      from: t.arg({ type: "DateTime", required: true }),
      to: t.arg({ type: "DateTime", required: true }),
      maxPoints: t.arg.int({ defaultValue: 300 }),
    },
    resolve: (_root, args, ctx) => ctx.services.metricsHistory.query({ ...args, maxPoints: args.maxPoints ?? 300 }),
  }),
  metricSeries: t.stringList({
    description:
      "Names of every series the history holds (cpu.percent, mem.percent, disk./.usedPercent, net.eth0.rxBps, temp.cpu, ...), sorted.",
    authScopes: { permission: "metrics:read" },
    resolve: (_root, _args, ctx) => ctx.services.metricsHistory.seriesNames(),
  }),
}));

const ProcessSortEnum = builder.enumType("ProcessSort", {
  values: { CPU: { value: "cpu" }, MEMORY: { value: "memory" }, PID: { value: "pid" }, NAME: { value: "name" } } as const,
});

const ProcessSignalEnum = builder.enumType("ProcessSignal", {
  values: {
    TERM: { value: "SIGTERM", description: "Ask it to end." },
    KILL: { value: "SIGKILL", description: "End it at once." },
    HUP: { value: "SIGHUP" },
    INT: { value: "SIGINT" },
    STOP: { value: "SIGSTOP", description: "Pause it." },
    CONT: { value: "SIGCONT", description: "Resume it after STOP." },
  } as const,
});

const ProcessType = builder.objectRef<ProcessInfo>("Process");
const TopProcessesType = builder.objectRef<TopProcesses>("TopProcesses").implement({
  fields: (t) => ({
    // The live sample is one object for every subscriber: confidential processes are hidden per viewer here.
    byCpu: t.field({ type: [ProcessType], resolve: (top, _args, ctx) => top.byCpu.map((p) => shownProcess(p, can(ctx.viewer, "exec"))) }),
    byMemory: t.field({
      type: [ProcessType],
      resolve: (top, _args, ctx) => top.byMemory.map((p) => shownProcess(p, can(ctx.viewer, "exec"))),
    }),
  }),
});
ProcessType.implement({
  description: "A process on the host, as /proc shows it.",
  fields: (t) => ({
    pid: t.exposeInt("pid"),
    parentPid: t.exposeInt("parentPid"),
    user: t.exposeString("user"),
    name: t.exposeString("name", { description: "The short name the kernel keeps; (hidden) where the command line is." }),
    command: t.exposeString("command", {
      description: `The command line; [name] for kernel threads. One that a shell command or terminal of Outpost's started (in its session) reads "${HIDDEN_COMMAND}" to those who may not exec.`,
    }),
    cpuPercent: t.exposeFloat("cpuPercent", {
      description: "Share of one core since the previous listing (within five minutes), else since the process started.",
    }),
    memoryBytes: t.exposeFloat("memoryBytes", { description: "Resident memory." }),
    state: t.exposeString("state", { description: "R running, S sleeping, D waiting on I/O, Z zombie, T stopped, I idle, ..." }),
    threads: t.exposeInt("threads"),
    startedAt: t.expose("startedAt", { type: "DateTime" }),
    kernelThread: t.exposeBoolean("kernelThread"),
  }),
});

builder.queryField("processes", (t) =>
  t.field({
    type: [ProcessType],
    description: `The host's processes whose command, name or user contains filter (ignoring case), sorted, at most limit (1 to ${MAX_PROCESS_LIMIT}).`,
    authScopes: { permission: "processes:read" },
    args: {
      sortBy: t.arg({ type: ProcessSortEnum, defaultValue: "cpu" }),
      limit: t.arg.int({ defaultValue: 50 }),
      filter: t.arg.string({ defaultValue: "" }),
    },
    resolve: (_root, args, ctx) =>
      ctx.services.processes.list({
        sortBy: args.sortBy ?? "cpu",
        limit: args.limit ?? 50,
        filter: args.filter ?? "",
        revealConfidential: can(signedInViewer(ctx), "exec"),
      }),
  }),
);

builder.mutationField("signalProcess", (t) =>
  t.boolean({
    description:
      "Sends a signal to a process. BAD_USER_INPUT for pid 1, Outpost itself and kernel threads, which are never signalled; FORBIDDEN for processes the system does not let Outpost signal; NOT_FOUND when there is no such process.",
    authScopes: { permission: "processes:signal" },
    extensions: auditTarget("pid", "signal"),
    args: { pid: t.arg.int({ required: true }), signal: t.arg({ type: ProcessSignalEnum, required: true }) },
    resolve: (_root, { pid, signal }, ctx) => {
      ctx.services.processes.signal(pid, signal);
      return true;
    },
  }),
);

const LatencyBucketType = builder.objectRef<{ leMs: number; count: number }>("LatencyBucket").implement({
  fields: (t) => ({
    leMs: t.exposeFloat("leMs", { description: "The bucket's upper bound in milliseconds." }),
    count: t.exposeInt("count", { description: "Operations that took at most leMs (cumulative)." }),
  }),
});

const OperationStatsType = builder.objectRef<OperationStats>("GraphqlOperationStats").implement({
  description: `One GraphQL operation name's use since the server started (at most ${MAX_OPERATION_NAMES} names; the rest count as ${OTHER_OPERATIONS}).`,
  fields: (t) => ({
    name: t.exposeString("name"),
    type: t.exposeString("type", { description: "query, mutation or subscription." }),
    count: t.exposeInt("count"),
    errors: t.exposeInt("errors", { description: "Operations that answered with errors." }),
    totalMs: t.exposeFloat("totalMs"),
    latency: t.field({
      type: [LatencyBucketType],
      resolve: (op) => LATENCY_BUCKETS_MS.map((leMs, i) => ({ leMs, count: op.bucketCounts[i] ?? 0 })),
    }),
  }),
});

const AppGaugeType = builder.objectRef<AppGauge>("AppGauge").implement({
  fields: (t) => ({
    name: t.exposeString("name", {
      description: "As in GET /metrics, without the outpost_ prefix: sockets_open, terminals_open, runs_running, ...",
    }),
    help: t.exposeString("help"),
    value: t.exposeFloat("value"),
  }),
});

builder.queryField("appMetrics", (t) =>
  t.field({
    type: builder.objectRef<AppMetrics>("AppMetrics").implement({
      description: "Outpost's own use: GraphQL operations and what features count (sockets, terminals, runs).",
      fields: (f) => ({
        operations: f.field({ type: [OperationStatsType], resolve: (m) => m.operations() }),
        gauges: f.field({ type: [AppGaugeType], resolve: (m) => m.gauges() }),
      }),
    }),
    description: "The server's application metrics, as GET /metrics serves them.",
    authScopes: { permission: "metrics:read" },
    resolve: (_root, _args, ctx) => ctx.services.appMetrics,
  }),
);
