// Reads one sample of the host's health straight from /proc and /sys (no child processes: a few
// small file reads cost microseconds, where systeminformation spawns programs). Counters the kernel
// only ever grows (CPU ticks, disk sectors, network bytes) become rates by subtracting the previous
// reading. The roots are arguments so a fixture tree can stand in for a Raspberry Pi.
import { readdirSync, readFileSync, type StatsFsBase, statfsSync } from "node:fs";
import { join } from "node:path";
import {
  type CpuTicks,
  type DiskCounters,
  type NetCounters,
  parseDiskstats,
  parseLoadavg,
  parseMeminfo,
  parseMounts,
  parseNetDev,
  parseProcStat,
} from "./proc-text";
import type { TopProcesses } from "./processes";

export interface CpuUsage {
  /** Busy share of all cores (100 = every core busy). */
  percent: number;
  userPercent: number;
  systemPercent: number;
  iowaitPercent: number;
  stealPercent: number;
}

export interface FilesystemUsage {
  mountPoint: string;
  device: string;
  fsType: string;
  sizeBytes: number;
  usedBytes: number;
  /** Free to unprivileged users (the root reserve excluded). */
  freeBytes: number;
  usedPercent: number;
  inodesTotal: number;
  inodesUsed: number;
  inodesFree: number;
}

export interface DiskIo {
  device: string;
  readBps: number;
  writeBps: number;
  readsPerSecond: number;
  writesPerSecond: number;
}

export interface NetworkIo {
  name: string;
  rxBps: number;
  txBps: number;
  /** Totals since boot. */
  rxErrors: number;
  txErrors: number;
  rxDropped: number;
  txDropped: number;
}

export interface Temperature {
  /** The thermal zone's type (`cpu-thermal`) or `<hwmon name>.<label or input>` (`coretemp.Core 0`). */
  sensor: string;
  celsius: number;
}

/** The Raspberry Pi firmware's get_throttled bits. */
export interface Throttling {
  underVoltage: boolean;
  frequencyCapped: boolean;
  throttled: boolean;
  softTemperatureLimit: boolean;
  underVoltageOccurred: boolean;
  frequencyCappedOccurred: boolean;
  throttledOccurred: boolean;
  softTemperatureLimitOccurred: boolean;
  /** The word as the firmware gives it. */
  raw: number;
}

export interface MetricsSample {
  at: Date;
  cpu: CpuUsage & { cores: CpuUsage[]; load1: number; load5: number; load15: number };
  memory: {
    totalBytes: number;
    usedBytes: number;
    availableBytes: number;
    percent: number;
    swapTotalBytes: number;
    swapUsedBytes: number;
    swapPercent: number;
  };
  filesystems: FilesystemUsage[];
  disks: DiskIo[];
  network: NetworkIo[];
  temperatures: Temperature[];
  uptimeSeconds: number;
  processCount: number;
  threadCount: number;
  /** The device tree's model (a Raspberry Pi, say); null on machines without one. */
  boardModel: string | null;
  /** Null where the firmware does not report it (anything but a Raspberry Pi). */
  throttling: Throttling | null;
  /** The busiest processes; filled by the metrics service (processes.ts), null from the sampler alone. */
  topProcesses: TopProcesses | null;
}

export interface SamplerOptions {
  procRoot?: string;
  sysRoot?: string;
  /** Monotonic milliseconds, for rates over the time that really passed between readings. */
  monotonicMs?: () => number;
  statfs?: (path: string) => Pick<StatsFsBase<number>, "bsize" | "blocks" | "bfree" | "bavail" | "files" | "ffree">;
}

/** File systems that hold no user data (kernel interfaces, memory-backed, container plumbing). */
const VIRTUAL_FILESYSTEMS = new Set([
  "proc",
  "sysfs",
  "devtmpfs",
  "devpts",
  "tmpfs",
  "ramfs",
  "cgroup",
  "cgroup2",
  "securityfs",
  "pstore",
  "bpf",
  "debugfs",
  "tracefs",
  "mqueue",
  "hugetlbfs",
  "configfs",
  "fusectl",
  "binfmt_misc",
  "autofs",
  "nsfs",
  "rpc_pipefs",
  "efivarfs",
  "selinuxfs",
  "squashfs",
  "fuse.lxcfs",
  "fuse.portal",
  "nfsd",
]);

/** Block devices that are not disks: loop-mounted images and RAM disks. */
const NOT_A_DISK = /^(loop|ram)\d/;

const THROTTLED_PATH = "devices/platform/soc/soc:firmware/get_throttled";

const round = (value: number, digits = 2) => Math.round(value * 10 ** digits) / 10 ** digits;
const percentOf = (part: number, whole: number) => (whole > 0 ? round((part / whole) * 100) : 0);

function readText(path: string): string | null {
  try {
    return readFileSync(path, "utf8");
  } catch {
    // Not every kernel, board or container has every file.
    return null;
  }
}

function listDir(path: string): string[] {
  try {
    return readdirSync(path);
  } catch {
    return [];
  }
}

function cpuUsage(now: CpuTicks, before: CpuTicks | undefined): CpuUsage {
  const d = (key: keyof CpuTicks) => Math.max(0, now[key] - (before?.[key] ?? 0));
  const total = d("user") + d("nice") + d("system") + d("idle") + d("iowait") + d("irq") + d("softirq") + d("steal");
  return {
    percent: percentOf(total - d("idle") - d("iowait"), total),
    userPercent: percentOf(d("user") + d("nice"), total),
    systemPercent: percentOf(d("system") + d("irq") + d("softirq"), total),
    iowaitPercent: percentOf(d("iowait"), total),
    stealPercent: percentOf(d("steal"), total),
  };
}

export function parseThrottled(word: number): Throttling {
  const bit = (n: number) => (word & (1 << n)) !== 0;
  return {
    underVoltage: bit(0),
    frequencyCapped: bit(1),
    throttled: bit(2),
    softTemperatureLimit: bit(3),
    underVoltageOccurred: bit(16),
    frequencyCappedOccurred: bit(17),
    throttledOccurred: bit(18),
    softTemperatureLimitOccurred: bit(19),
    raw: word,
  };
}

export type Sampler = ReturnType<typeof createSampler>;

/**
 * A sampler that remembers its previous reading. The first `read()` measures rates from the
 * moment the sampler was created.
 */
export function createSampler({
  procRoot = "/proc",
  sysRoot = "/sys",
  monotonicMs = () => performance.now(),
  statfs = (path) => statfsSync(path),
}: SamplerOptions = {}) {
  const proc = (...parts: string[]) => join(procRoot, ...parts);
  const sys = (...parts: string[]) => join(sysRoot, ...parts);
  const boardModel = readText(proc("device-tree", "model"))?.replace(/\0/g, "").trim() || null;

  interface Counters {
    atMs: number;
    cpu: ReturnType<typeof parseProcStat>;
    disks: Map<string, DiskCounters>;
    network: Map<string, NetCounters>;
  }

  const readCounters = (): Counters => {
    const diskDevices = new Set(listDir(sys("block")).filter((name) => !NOT_A_DISK.test(name)));
    return {
      atMs: monotonicMs(),
      cpu: parseProcStat(readText(proc("stat")) ?? ""),
      disks: new Map(
        parseDiskstats(readText(proc("diskstats")) ?? "")
          .filter((disk) => diskDevices.has(disk.device))
          .map((disk) => [disk.device, disk]),
      ),
      network: new Map(
        parseNetDev(readText(proc("net", "dev")) ?? "")
          .filter((net) => net.name !== "lo")
          .map((net) => [net.name, net]),
      ),
    };
  };

  let previous = readCounters();

  const filesystems = (): FilesystemUsage[] => {
    const seenDevices = new Set<string>();
    const result: FilesystemUsage[] = [];
    for (const mount of parseMounts(readText(proc("mounts")) ?? "")) {
      // A device mounted twice (bind mounts) is one file system; the first mount point names it.
      if (VIRTUAL_FILESYSTEMS.has(mount.fsType) || seenDevices.has(mount.device)) continue;
      let stats: ReturnType<typeof statfs>;
      try {
        stats = statfs(mount.mountPoint);
      } catch {
        continue; // Unmounted since /proc/mounts was read, or not ours to look at.
      }
      if (stats.blocks === 0) continue;
      seenDevices.add(mount.device);
      const sizeBytes = stats.blocks * stats.bsize;
      const usedBytes = (stats.blocks - stats.bfree) * stats.bsize;
      const freeBytes = stats.bavail * stats.bsize;
      result.push({
        mountPoint: mount.mountPoint,
        device: mount.device,
        fsType: mount.fsType,
        sizeBytes,
        usedBytes,
        freeBytes,
        // As df counts it: used out of what users can have (used + available to them).
        usedPercent: percentOf(usedBytes, usedBytes + freeBytes),
        inodesTotal: stats.files,
        inodesUsed: stats.files - stats.ffree,
        inodesFree: stats.ffree,
      });
    }
    return result;
  };

  const temperatures = (): Temperature[] => {
    const result: Temperature[] = [];
    for (const zone of listDir(sys("class", "thermal")).filter((name) => name.startsWith("thermal_zone"))) {
      const milli = Number(readText(sys("class", "thermal", zone, "temp")));
      const type = readText(sys("class", "thermal", zone, "type"))?.trim() || zone;
      if (Number.isFinite(milli)) result.push({ sensor: type, celsius: milli / 1000 });
    }
    for (const hwmon of listDir(sys("class", "hwmon"))) {
      const dir = sys("class", "hwmon", hwmon);
      const name = readText(join(dir, "name"))?.trim() || hwmon;
      for (const input of listDir(dir).filter((file) => /^temp\d+_input$/.test(file))) {
        const milli = Number(readText(join(dir, input)));
        const label = readText(join(dir, input.replace("_input", "_label")))?.trim() || input.replace("_input", "");
        if (Number.isFinite(milli)) result.push({ sensor: `${name}.${label}`, celsius: milli / 1000 });
      }
    }
    return result;
  };

  const throttling = (): Throttling | null => {
    const text = readText(sys(THROTTLED_PATH))?.trim();
    if (!text) return null;
    const word = Number.parseInt(text, 16);
    return Number.isFinite(word) ? parseThrottled(word) : null;
  };

  return {
    /** Reads everything once; `at` is the time to stamp the sample with. */
    read(at: Date): MetricsSample {
      const now = readCounters();
      const seconds = Math.max(0.001, (now.atMs - previous.atMs) / 1000);
      const rate = (after: number, before: number | undefined) => round(Math.max(0, after - (before ?? after)) / seconds);
      const memory = parseMeminfo(readText(proc("meminfo")) ?? "");
      const mem = (key: string) => memory.get(key) ?? 0;
      const total = mem("MemTotal");
      const available = memory.get("MemAvailable") ?? mem("MemFree") + mem("Buffers") + mem("Cached");
      const swapUsed = mem("SwapTotal") - mem("SwapFree");
      const load = parseLoadavg(readText(proc("loadavg")) ?? "0 0 0 0/0");
      const sample: MetricsSample = {
        at,
        cpu: {
          ...cpuUsage(now.cpu.total, previous.cpu.total),
          cores: now.cpu.cores.map((core, i) => cpuUsage(core, previous.cpu.cores[i])),
          load1: load.load1,
          load5: load.load5,
          load15: load.load15,
        },
        memory: {
          totalBytes: total,
          usedBytes: total - available,
          availableBytes: available,
          percent: percentOf(total - available, total),
          swapTotalBytes: mem("SwapTotal"),
          swapUsedBytes: swapUsed,
          swapPercent: percentOf(swapUsed, mem("SwapTotal")),
        },
        filesystems: filesystems(),
        disks: [...now.disks.values()].map((disk) => {
          const before = previous.disks.get(disk.device);
          return {
            device: disk.device,
            readBps: rate(disk.readBytes, before?.readBytes),
            writeBps: rate(disk.writeBytes, before?.writeBytes),
            readsPerSecond: rate(disk.reads, before?.reads),
            writesPerSecond: rate(disk.writes, before?.writes),
          };
        }),
        network: [...now.network.values()].map((net) => {
          const before = previous.network.get(net.name);
          return {
            name: net.name,
            rxBps: rate(net.rxBytes, before?.rxBytes),
            txBps: rate(net.txBytes, before?.txBytes),
            rxErrors: net.rxErrors,
            txErrors: net.txErrors,
            rxDropped: net.rxDropped,
            txDropped: net.txDropped,
          };
        }),
        temperatures: temperatures(),
        uptimeSeconds: Math.floor(Number(readText(proc("uptime"))?.split(" ")[0] ?? 0)),
        processCount: listDir(procRoot).filter((name) => /^\d+$/.test(name)).length,
        threadCount: load.threads,
        boardModel,
        throttling: throttling(),
        topProcesses: null,
      };
      previous = now;
      return sample;
    },
  };
}
