// The sampler against a fake /proc and /sys tree (a Raspberry Pi 4 with two cores): values parsed,
// rates from two readings, file systems filtered, temperatures and throttling flags.
import { afterAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { parseMounts } from "../../server/metrics/proc-text";
import { createSampler, parseThrottled } from "../../server/metrics/sampler";

const root = mkdtempSync(join(tmpdir(), "outpost-metrics-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const procRoot = join(root, "proc");
const sysRoot = join(root, "sys");

function write(path: string, text: string) {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
}

/** The counters that grow between the two readings, as /proc shows them. */
function writeCounters({
  cpu,
  core0,
  core1,
  sda,
  eth0,
}: {
  cpu: number[];
  core0: number[];
  core1: number[];
  sda: number[];
  eth0: number[];
}) {
  write(
    join(procRoot, "stat"),
    `cpu  ${cpu.join(" ")} 0 0\ncpu0 ${core0.join(" ")} 0 0\ncpu1 ${core1.join(" ")} 0 0\nintr 1 2 3\nctxt 99\nprocs_running 2\n`,
  );
  write(
    join(procRoot, "diskstats"),
    [
      `   8       0 mmcblk0 ${sda.join(" ")} 0 0 0 0 0 0 0 0 0 0 0`,
      "   8       1 mmcblk0p1 10 0 20 0 5 0 10 0 0 0 0 0 0 0 0 0 0",
      "   7       0 loop0 1 0 2 0 0 0 0 0 0 0 0 0 0 0 0 0 0",
    ].join("\n"),
  );
  write(
    join(procRoot, "net", "dev"),
    [
      "Inter-|   Receive                                                |  Transmit",
      " face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed",
      "    lo: 5000 50 0 0 0 0 0 0 5000 50 0 0 0 0 0 0",
      `  eth0: ${eth0[0]} 100 3 4 0 0 0 0 ${eth0[1]} 90 5 6 0 0 0 0`,
    ].join("\n"),
  );
}

// user nice system idle iowait irq softirq steal
writeCounters({
  cpu: [100, 0, 50, 800, 50, 0, 0, 0],
  core0: [50, 0, 25, 400, 25, 0, 0, 0],
  core1: [50, 0, 25, 400, 25, 0, 0, 0],
  sda: [100, 0, 2000, 0, 50, 0, 1000],
  eth0: [1_000_000, 2_000_000],
});
write(
  join(procRoot, "meminfo"),
  "MemTotal:        3884000 kB\nMemFree:          500000 kB\nMemAvailable:    2884000 kB\nBuffers:           10000 kB\nCached:          1000000 kB\nSwapTotal:        102396 kB\nSwapFree:          51198 kB\n",
);
write(join(procRoot, "loadavg"), "0.52 0.31 0.20 2/345 12345\n");
write(join(procRoot, "uptime"), "86461.37 170000.00\n");
write(
  join(procRoot, "mounts"),
  [
    "/dev/root / ext4 rw,noatime 0 0",
    "proc /proc proc rw 0 0",
    "tmpfs /run tmpfs rw 0 0",
    "/dev/mmcblk0p1 /boot/firmware vfat rw 0 0",
    "/dev/root /srv/bind\\040dir ext4 rw 0 0",
    "/dev/sdb1 /mnt/gone ext4 rw 0 0",
  ].join("\n"),
);
write(join(procRoot, "device-tree", "model"), "Raspberry Pi 4 Model B Rev 1.4\0");
for (const pid of ["1", "42", "4242"]) mkdirSync(join(procRoot, pid), { recursive: true });
mkdirSync(join(procRoot, "self"), { recursive: true });
for (const device of ["mmcblk0", "loop0"]) mkdirSync(join(sysRoot, "block", device), { recursive: true });
write(join(sysRoot, "class", "thermal", "thermal_zone0", "type"), "cpu-thermal\n");
write(join(sysRoot, "class", "thermal", "thermal_zone0", "temp"), "61835\n");
write(join(sysRoot, "class", "hwmon", "hwmon0", "name"), "rpi_volt\n");
write(join(sysRoot, "class", "hwmon", "hwmon1", "name"), "nvme\n");
write(join(sysRoot, "class", "hwmon", "hwmon1", "temp1_input"), "38850\n");
write(join(sysRoot, "class", "hwmon", "hwmon1", "temp1_label"), "Composite\n");
write(join(sysRoot, "devices", "platform", "soc", "soc:firmware", "get_throttled"), "0x50005\n");

const BLOCK = 4096;
const statfs = (path: string) => {
  if (path === "/mnt/gone") throw new Error("ENOENT");
  if (path === "/") return { bsize: BLOCK, blocks: 1000, bfree: 400, bavail: 350, files: 500, ffree: 100 };
  return { bsize: BLOCK, blocks: 100, bfree: 90, bavail: 90, files: 0, ffree: 0 };
};

describe("a Raspberry Pi's /proc and /sys", () => {
  let monotonic = 0;
  const sampler = createSampler({ procRoot, sysRoot, statfs, monotonicMs: () => monotonic });
  // Two seconds later: core 0 fully busy in user time, core 1 idle; 2 MB read, 1 MB written, eth0 in 1 MB/s out 0.5 MB/s.
  monotonic = 2000;
  writeCounters({
    cpu: [300, 0, 50, 1000, 50, 0, 0, 0],
    core0: [250, 0, 25, 400, 25, 0, 0, 0],
    core1: [50, 0, 25, 600, 25, 0, 0, 0],
    sda: [300, 0, 2000 + 8192, 0, 150, 0, 1000 + 4096],
    eth0: [3_000_000, 3_000_000],
  });
  const at = new Date(Date.UTC(2026, 0, 1));
  const sample = sampler.read(at);

  test("CPU shares come from the ticks between the two readings, in total and per core", () => {
    expect(sample.at).toEqual(at);
    expect(sample.cpu).toMatchObject({ percent: 50, userPercent: 50, systemPercent: 0, iowaitPercent: 0, stealPercent: 0 });
    expect(sample.cpu.cores.map((core) => core.percent)).toEqual([100, 0]);
    expect(sample.cpu).toMatchObject({ load1: 0.52, load5: 0.31, load15: 0.2 });
  });

  test("memory and swap in bytes, used meaning not available", () => {
    expect(sample.memory).toEqual({
      totalBytes: 3884000 * 1024,
      usedBytes: 1000000 * 1024,
      availableBytes: 2884000 * 1024,
      percent: 25.75,
      swapTotalBytes: 102396 * 1024,
      swapUsedBytes: 51198 * 1024,
      swapPercent: 50,
    });
  });

  test("disk and network rates are per second over the time between readings; partitions, loop devices and lo are left out", () => {
    expect(sample.disks).toEqual([
      { device: "mmcblk0", readBps: 8192 * 256, writeBps: 4096 * 256, readsPerSecond: 100, writesPerSecond: 50 },
    ]);
    expect(sample.network).toEqual([
      { name: "eth0", rxBps: 1_000_000, txBps: 500_000, rxErrors: 3, txErrors: 5, rxDropped: 4, txDropped: 6 },
    ]);
  });

  test("file systems holding data, once per device, skipping what cannot be read", () => {
    expect(sample.filesystems).toEqual([
      {
        mountPoint: "/",
        device: "/dev/root",
        fsType: "ext4",
        sizeBytes: 1000 * BLOCK,
        usedBytes: 600 * BLOCK,
        freeBytes: 350 * BLOCK,
        usedPercent: 63.16,
        inodesTotal: 500,
        inodesUsed: 400,
        inodesFree: 100,
      },
      expect.objectContaining({ mountPoint: "/boot/firmware", fsType: "vfat", usedPercent: 10 }),
    ]);
  });

  test("temperatures from thermal zones and hwmon, uptime, processes and threads", () => {
    expect(sample.temperatures).toEqual([
      { sensor: "cpu-thermal", celsius: 61.835 },
      { sensor: "nvme.Composite", celsius: 38.85 },
    ]);
    expect(sample.uptimeSeconds).toBe(86461);
    expect(sample.processCount).toBe(3);
    expect(sample.threadCount).toBe(345);
  });

  test("the board model and the firmware's throttling flags", () => {
    expect(sample.boardModel).toBe("Raspberry Pi 4 Model B Rev 1.4");
    expect(sample.throttling).toEqual({
      underVoltage: true,
      frequencyCapped: false,
      throttled: true,
      softTemperatureLimit: false,
      underVoltageOccurred: true,
      frequencyCappedOccurred: false,
      throttledOccurred: true,
      softTemperatureLimitOccurred: false,
      raw: 0x50005,
    });
  });

  test("a reading with no change since the last gives zero rates, not a division by zero", () => {
    const again = sampler.read(at);
    expect(again.cpu.percent).toBe(0);
    expect(again.disks[0]?.readBps).toBe(0);
    expect(again.network[0]?.rxBps).toBe(0);
  });
});

describe("a machine without a Pi's firmware", () => {
  test("has no board model and no throttling", () => {
    const bare = join(root, "bare");
    write(join(bare, "proc", "stat"), "cpu  1 0 1 10 0 0 0 0\ncpu0 1 0 1 10 0 0 0 0\n");
    const sample = createSampler({ procRoot: join(bare, "proc"), sysRoot: join(bare, "sys") }).read(new Date());
    expect(sample.boardModel).toBeNull();
    expect(sample.throttling).toBeNull();
    expect(sample.temperatures).toEqual([]);
  });
});

test("the under-voltage bit alone", () => {
  expect(parseThrottled(0x1)).toMatchObject({ underVoltage: true, underVoltageOccurred: false, throttled: false });
});

test("mount points with spaces are unescaped", () => {
  expect(parseMounts("/dev/sda1 /media/my\\040disk ext4 rw 0 0")).toEqual([
    { device: "/dev/sda1", mountPoint: "/media/my disk", fsType: "ext4" },
  ]);
});
