// Synthetic metrics samples for tests of what consumes them (history roll-ups, alert rules): only
// what a test sets differs from an idle, empty host.
import type { FilesystemUsage, MetricsSample, Throttling } from "../../server/metrics/sampler";

export interface SyntheticSample {
  atMs: number;
  cpu?: number;
  mem?: number;
  load1?: number;
  /** Used share of each mount point, by mount point. */
  disks?: Record<string, number>;
  celsius?: number;
  throttling?: Partial<Throttling> | null;
}

const NO_THROTTLING: Throttling = {
  underVoltage: false,
  frequencyCapped: false,
  throttled: false,
  softTemperatureLimit: false,
  underVoltageOccurred: false,
  frequencyCappedOccurred: false,
  throttledOccurred: false,
  softTemperatureLimitOccurred: false,
  raw: 0,
};

/** A sample whose CPU share is `cpu` and memory share `mem` (50 by default); the rest as given or empty. */
export function syntheticSample({
  atMs,
  cpu = 0,
  mem = 50,
  load1 = 0,
  disks = {},
  celsius = 40,
  throttling = null,
}: SyntheticSample): MetricsSample {
  const usage = { percent: cpu, userPercent: cpu, systemPercent: 0, iowaitPercent: 0, stealPercent: 0 };
  const filesystems = Object.entries(disks).map(
    ([mountPoint, usedPercent]): FilesystemUsage => ({
      mountPoint,
      device: `/dev/fake${mountPoint}`,
      fsType: "ext4",
      sizeBytes: 100,
      usedBytes: usedPercent,
      freeBytes: 100 - usedPercent,
      usedPercent,
      inodesTotal: 100,
      inodesUsed: 1,
      inodesFree: 99,
    }),
  );
  return {
    at: new Date(atMs),
    cpu: { ...usage, cores: [], load1, load5: 0, load15: 0 },
    memory: {
      totalBytes: 100,
      usedBytes: mem,
      availableBytes: 100 - mem,
      percent: mem,
      swapTotalBytes: 0,
      swapUsedBytes: 0,
      swapPercent: 0,
    },
    filesystems,
    disks: [],
    network: [],
    temperatures: [{ sensor: "cpu-thermal", celsius }],
    uptimeSeconds: 1,
    processCount: 1,
    threadCount: 1,
    boardModel: null,
    throttling: throttling === null ? null : { ...NO_THROTTLING, ...throttling },
    topProcesses: null,
  };
}
