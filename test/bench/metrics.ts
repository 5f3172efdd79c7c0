// Benchmark of the metrics collector, printed as figures (no assertions):
// - the sampler's CPU time per sample (all of /proc and /sys read once), next to a baseline of one
//   child process per sample (`cat /proc/stat`, what a collector that spawns programs pays at least)
//   and to the same readings through systeminformation;
// - the top 5 processes by CPU and memory that each live sample carries, per sample;
// - an idle Outpost in its own process with the collector at 1 s and at 5 s: CPU as a share of one
//   core, and bytes it wrote to disk, scaled to an hour (at 5 s: the default interval and flush);
//   next to Glances (`glances -q -t 2`, the Debian package) measured in the same run the same way;
// - `metricsHistory` latency over 30 days (minute tier) and a year (hour tier) of stored points.
// Run: `bun test/bench/metrics.ts` (`--seconds 60` sets each idle window; 60 by default).
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import si from "systeminformation";
import { createManualClock } from "../../server/clock";
import { createWriteBatcher, openDatabase } from "../../server/db";
import { createLogger } from "../../server/log";
import { createMetricsHistory } from "../../server/metrics/history";
import { metricsMigrations } from "../../server/metrics/migrations";
import { createProcessTable } from "../../server/metrics/processes";
import { createSampler } from "../../server/metrics/sampler";
import { createMetricsStore, TIER } from "../../server/metrics/store";

const root = join(import.meta.dir, "../..");
const secondsArg = process.argv.indexOf("--seconds");
const IDLE_SECONDS = secondsArg > 0 ? Number(process.argv[secondsArg + 1]) : 60;
const work = mkdtempSync(join(tmpdir(), "outpost-metrics-bench-"));
const CLOCK_TICKS = 100; // USER_HZ on Linux: /proc/<pid>/stat counts CPU time in 1/100 s.

const children: ReturnType<typeof Bun.spawn>[] = [];
// A benchmark that fails half-way must not leave servers behind.
process.on("exit", () => {
  for (const child of children) child.kill("SIGKILL");
  rmSync(work, { recursive: true, force: true });
});

/** CPU seconds (user + system) of `pid`, and of its reaped children. */
function cpuSeconds(pid: number | "self"): { own: number; children: number } {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.split(" ") ?? [];
  // After the command: state is field 3, so utime (14), stime (15), cutime (16), cstime (17) sit at 11..14.
  const at = (i: number) => Number(fields[i]) / CLOCK_TICKS;
  return { own: at(11) + at(12), children: at(13) + at(14) };
}
const writtenBytes = (pid: number) => Number(/^write_bytes: (\d+)/m.exec(readFileSync(`/proc/${pid}/io`, "utf8"))?.[1]);

// ---- The sampler in this process ----
const sampler = createSampler();
const SAMPLES = 3000;
sampler.read(new Date());
let before = process.cpuUsage();
let started = performance.now();
for (let i = 0; i < SAMPLES; i++) sampler.read(new Date());
let usage = process.cpuUsage(before);
const samplerCpuUs = (usage.user + usage.system) / SAMPLES;
const samplerWallUs = ((performance.now() - started) * 1000) / SAMPLES;

const SPAWNS = 300;
const childrenBefore = cpuSeconds("self").children;
before = process.cpuUsage();
started = performance.now();
for (let i = 0; i < SPAWNS; i++) Bun.spawnSync(["cat", "/proc/stat"], { stdout: "pipe" });
usage = process.cpuUsage(before);
const spawnCpuUs = (((usage.user + usage.system) / 1e6 + (cpuSeconds("self").children - childrenBefore)) * 1e6) / SPAWNS;
const spawnWallUs = ((performance.now() - started) * 1000) / SPAWNS;

// The same readings through systeminformation, which the issue allowed where it is cheap: load, memory,
// file systems (it runs df), disk I/O, network and temperatures, as one sample of ours holds them.
const SI_SAMPLES = 100;
const siReading = () => Promise.all([si.currentLoad(), si.mem(), si.fsSize(), si.disksIO(), si.networkStats("*"), si.cpuTemperature()]);
await siReading();
const siChildrenBefore = cpuSeconds("self").children;
before = process.cpuUsage();
started = performance.now();
for (let i = 0; i < SI_SAMPLES; i++) await siReading();
usage = process.cpuUsage(before);
const siCpuUs = (((usage.user + usage.system) / 1e6 + (cpuSeconds("self").children - siChildrenBefore)) * 1e6) / SI_SAMPLES;
const siWallUs = ((performance.now() - started) * 1000) / SI_SAMPLES;

const perHour = (us: number, intervalSeconds: number) => `${((us * 3600) / intervalSeconds / 1e6).toFixed(3)} s/h`;
console.log("sampler (all of /proc and /sys once), per sample:");
console.log(
  `  Outpost sampler:       ${samplerCpuUs.toFixed(0)} µs CPU, ${samplerWallUs.toFixed(0)} µs wall; ${perHour(samplerCpuUs, 5)} at 5 s, ${perHour(samplerCpuUs, 1)} at 1 s`,
);
console.log(
  `  baseline, 1 child process (cat /proc/stat): ${spawnCpuUs.toFixed(0)} µs CPU, ${spawnWallUs.toFixed(0)} µs wall; ${perHour(spawnCpuUs, 5)} at 5 s`,
);
console.log(
  `  systeminformation (load, memory, file systems, disk I/O, network, temperatures): ${siCpuUs.toFixed(0)} µs CPU, ${siWallUs.toFixed(0)} µs wall; ${perHour(siCpuUs, 5)} at 5 s (${(siCpuUs / samplerCpuUs).toFixed(1)}× the sampler)`,
);

// ---- The top processes each live sample carries ----
const processTable = createProcessTable();
const TOPS = 300;
processTable.top(5);
before = process.cpuUsage();
started = performance.now();
for (let i = 0; i < TOPS; i++) processTable.top(5);
usage = process.cpuUsage(before);
const topCpuUs = (usage.user + usage.system) / TOPS;
const listCpuStarted = process.cpuUsage();
for (let i = 0; i < 30; i++) processTable.list({ limit: 5 });
const listUsage = process.cpuUsage(listCpuStarted);
console.log(
  `  top 5 processes by CPU and memory (${readdirSync("/proc").filter((e) => /^\d+$/.test(e)).length} processes): ${topCpuUs.toFixed(0)} µs CPU, ${(((performance.now() - started) * 1000) / TOPS).toFixed(0)} µs wall; ${perHour(topCpuUs, 5)} at 5 s (a full listing, as the Processes page reads it: ${((listUsage.user + listUsage.system) / 30).toFixed(0)} µs)`,
);

// ---- An idle Outpost in its own process ----
async function idleServer(intervalSeconds: number) {
  const dataDir = join(work, `data-${intervalSeconds}`);
  const port = 19000 + Math.floor(Math.random() * 500);
  const child = Bun.spawn(
    [process.execPath, "server/main.ts", "serve", "--data", dataDir, "--port", String(port), "--host", "127.0.0.1", "--log-level", "warn"],
    {
      cwd: root,
      env: { ...process.env, OUTPOST_ADMIN_PASSWORD: "bench-password-1", OUTPOST_METRICS_INTERVAL_SECONDS: String(intervalSeconds) },
      stdout: "ignore",
      stderr: "ignore",
    },
  );
  children.push(child);
  for (let ready = false; !ready; await Bun.sleep(100))
    ready = await fetch(`http://127.0.0.1:${port}/ready`).then(
      (r) => r.ok,
      () => false,
    );
  // Start-up (migrations, the seeded admin's hash) is not idling: let it settle first.
  await Bun.sleep(3000);
  const cpu0 = cpuSeconds(child.pid).own;
  const written0 = writtenBytes(child.pid);
  await Bun.sleep(IDLE_SECONDS * 1000);
  const cpu = cpuSeconds(child.pid).own - cpu0;
  const written = writtenBytes(child.pid) - written0;
  child.kill("SIGTERM");
  await child.exited;
  return { sharePercent: (cpu / IDLE_SECONDS) * 100, writtenPerHour: (written * 3600) / IDLE_SECONDS };
}

for (const interval of [1, 5]) {
  const { sharePercent, writtenPerHour } = await idleServer(interval);
  console.log(
    `idle Outpost, collector at ${interval} s, over ${IDLE_SECONDS} s: ${sharePercent.toFixed(2)} % of one core (±${(100 / CLOCK_TICKS / IDLE_SECONDS).toFixed(3)} %: one clock tick), ${(writtenPerHour / 2 ** 20).toFixed(2)} MiB written per hour`,
  );
}

// ---- Glances, measured the same way in the same run ----
const glances = Bun.which("glances");
if (!glances) {
  console.log("Glances: not installed (apt-get install glances), not measured");
} else {
  const child = Bun.spawn([glances, "-q", "-t", "2"], { stdout: "ignore", stderr: "ignore" });
  children.push(child);
  // Its start-up (Python imports) is not idling either.
  await Bun.sleep(8000);
  const total = () => {
    const cpu = cpuSeconds(child.pid);
    return cpu.own + cpu.children;
  };
  const cpu0 = total();
  await Bun.sleep(IDLE_SECONDS * 1000);
  const share = ((total() - cpu0) / IDLE_SECONDS) * 100;
  child.kill("SIGTERM");
  await child.exited;
  console.log(`Glances (glances -q -t 2), over ${IDLE_SECONDS} s: ${share.toFixed(2)} % of one core`);
}

// ---- History queries over a filled database ----
const db = openDatabase(join(work, "history.db"), metricsMigrations);
const store = createMetricsStore(db);
const SERIES = 40;
const nowMs = Date.UTC(2027, 0, 1);
const insert = db.query("INSERT INTO metric_points (tier, series_id, at, avg, min, max) VALUES (?, ?, ?, ?, ?, ?)");
db.transaction(() => {
  store.insertRaw([{ atMs: nowMs, values: Array.from({ length: SERIES }, (_, i) => [`bench.${i}`, 0] as [string, number]) }]);
  for (let series = 1; series <= SERIES; series++) {
    for (let at = nowMs - 30 * 86_400_000; at < nowMs; at += 60_000) insert.run(TIER.minute, series, at, 50, 40, 60);
    for (let at = nowMs - 365 * 86_400_000; at < nowMs; at += 3_600_000) insert.run(TIER.hour, series, at, 50, 40, 60);
  }
})();
const history = createMetricsHistory({
  store,
  writes: createWriteBatcher(db),
  clock: createManualClock(nowMs),
  log: createLogger({ level: "error", write: () => {} }),
  rawStepMs: 5000,
  retention: { rawMs: 86_400_000, minuteMs: 30 * 86_400_000, hourMs: 365 * 86_400_000 },
});
for (const [label, spanMs, maxPoints] of [
  ["30 days", 30 * 86_400_000 - 60_000, 300],
  ["30 days", 30 * 86_400_000 - 60_000, 2000],
  ["1 year", 365 * 86_400_000 - 3_600_000, 300],
  ["1 year", 365 * 86_400_000 - 3_600_000, 2000],
] as const) {
  const runs: number[] = [];
  const ask = () => history.query({ series: "bench.7", from: new Date(nowMs - spanMs), to: new Date(nowMs), maxPoints });
  let answer = ask();
  for (let i = 0; i < 50; i++) {
    const t = performance.now();
    answer = ask();
    runs.push(performance.now() - t);
  }
  runs.sort((a, b) => a - b);
  console.log(
    `metricsHistory over ${label} (${SERIES} series stored, ${maxPoints} points asked): ${answer.tier} tier, ${answer.points.length} points, median ${runs[25]?.toFixed(2)} ms, p95 ${runs[47]?.toFixed(2)} ms`,
  );
}
db.close();
