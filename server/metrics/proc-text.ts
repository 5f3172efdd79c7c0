// Parsers of the text the kernel writes in /proc: pure functions from file contents to counters,
// so they are tested against fixture text and the sampler only reads files and subtracts.

/** CPU time in clock ticks, as the `cpu` lines of /proc/stat give it. */
export interface CpuTicks {
  user: number;
  nice: number;
  system: number;
  idle: number;
  iowait: number;
  irq: number;
  softirq: number;
  steal: number;
}

export interface ProcStat {
  /** The `cpu` line: all cores together. */
  total: CpuTicks;
  /** The `cpuN` lines, by N. */
  cores: CpuTicks[];
}

/** Parses /proc/stat's cpu lines (guest time is already counted in user and nice). */
export function parseProcStat(text: string): ProcStat {
  let total: CpuTicks | null = null;
  const cores: CpuTicks[] = [];
  for (const line of text.split("\n")) {
    const match = /^cpu(\d*)\s+(.*)$/.exec(line);
    if (!match) continue;
    const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = (match[2] ?? "")
      .trim()
      .split(/\s+/)
      .map(Number);
    const ticks = { user, nice, system, idle, iowait, irq, softirq, steal };
    if (match[1] === "") total = ticks;
    else cores[Number(match[1])] = ticks;
  }
  if (!total) throw new Error("/proc/stat has no cpu line");
  return { total, cores: cores.filter(Boolean) };
}

/** Values of /proc/meminfo in bytes, by name (`MemTotal`, `SwapFree`, ...). */
export function parseMeminfo(text: string): Map<string, number> {
  const values = new Map<string, number>();
  for (const line of text.split("\n")) {
    const match = /^(\w+(?:\(\w+\))?):\s+(\d+)(\s+kB)?/.exec(line);
    if (match?.[1] && match[2]) values.set(match[1], Number(match[2]) * (match[3] ? 1024 : 1));
  }
  return values;
}

export interface LoadAverage {
  load1: number;
  load5: number;
  load15: number;
  /** Every task the scheduler knows: threads of all processes, kernel threads included. */
  threads: number;
}

export function parseLoadavg(text: string): LoadAverage {
  const [load1, load5, load15, tasks] = text.trim().split(/\s+/);
  return { load1: Number(load1), load5: Number(load5), load15: Number(load15), threads: Number(tasks?.split("/")[1] ?? 0) };
}

export interface DiskCounters {
  device: string;
  readBytes: number;
  writeBytes: number;
  reads: number;
  writes: number;
}

/** /proc/diskstats counts 512-byte sectors whatever the device's own sector size. */
const DISKSTATS_SECTOR_BYTES = 512;

export function parseDiskstats(text: string): DiskCounters[] {
  const disks: DiskCounters[] = [];
  for (const line of text.split("\n")) {
    const fields = line.trim().split(/\s+/);
    if (fields.length < 10) continue;
    disks.push({
      device: fields[2] as string,
      reads: Number(fields[3]),
      readBytes: Number(fields[5]) * DISKSTATS_SECTOR_BYTES,
      writes: Number(fields[7]),
      writeBytes: Number(fields[9]) * DISKSTATS_SECTOR_BYTES,
    });
  }
  return disks;
}

export interface NetCounters {
  name: string;
  rxBytes: number;
  rxErrors: number;
  rxDropped: number;
  txBytes: number;
  txErrors: number;
  txDropped: number;
}

export function parseNetDev(text: string): NetCounters[] {
  const interfaces: NetCounters[] = [];
  for (const line of text.split("\n")) {
    const match = /^\s*([^:\s]+):\s*(.*)$/.exec(line);
    if (!match) continue;
    const f = (match[2] ?? "").trim().split(/\s+/).map(Number);
    interfaces.push({
      name: match[1] as string,
      rxBytes: f[0] ?? 0,
      rxErrors: f[2] ?? 0,
      rxDropped: f[3] ?? 0,
      txBytes: f[8] ?? 0,
      txErrors: f[10] ?? 0,
      txDropped: f[11] ?? 0,
    });
  }
  return interfaces;
}

export interface Mount {
  device: string;
  mountPoint: string;
  fsType: string;
}

/** /proc/mounts writes spaces and other bytes in paths as octal escapes (`\040`). */
const unescapeMountField = (field: string) =>
  field.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(Number.parseInt(octal, 8)));

export function parseMounts(text: string): Mount[] {
  const mounts: Mount[] = [];
  for (const line of text.split("\n")) {
    const [device, mountPoint, fsType] = line.split(" ");
    if (device && mountPoint && fsType)
      mounts.push({ device: unescapeMountField(device), mountPoint: unescapeMountField(mountPoint), fsType });
  }
  return mounts;
}
