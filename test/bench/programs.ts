// Benchmark of runs, printed as figures (no assertions), against Outpost running in its own process
// on loopback: runs of `true` per second through `exec` next to raw `Bun.spawn` of the same
// command; latency from `startRun` to the first output byte at a subscriber (p50, p99); output
// throughput of a program writing as fast as it can to one subscriber next to the same program
// writing to /dev/null; the server's RSS while a program prints 1 GB, all of which reaches a
// subscriber that reads slowly. Run: `bun test/bench/programs.ts`.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { uploadProgram } from "../fixtures/program-archives";
import { graphqlClient, waitUntil } from "../harness/client";
import { frame, openRawSocket } from "../harness/raw-socket";

const root = join(import.meta.dir, "../..");
const PASSWORD = "bench-password-1";
/** At most one page of `runs`, which is how their ends are counted. */
const EXEC_RUNS = 200;
const LATENCY_RUNS = 100;
const THROUGHPUT_MIB = 256;
const LOUD_GIB = 1;
/** How fast the slow subscriber reads. */
const SLOW_MIB_PER_S = 64;
const work = mkdtempSync(join(tmpdir(), "outpost-programs-bench-"));
const rssBytes = (pid: number) => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1]) * 1024;
const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;
const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] ?? Number.NaN;

const server = Bun.spawn(
  [
    process.execPath,
    "server/main.ts",
    "serve",
    "--data",
    join(work, "data"),
    "--port",
    "0",
    "--host",
    "127.0.0.1",
    "--rate-limit-exec-per-minute",
    "1000000",
  ],
  { cwd: root, env: { PATH: process.env.PATH ?? "/usr/bin:/bin", OUTPOST_ADMIN_PASSWORD: PASSWORD }, stdout: "ignore", stderr: "pipe" },
);
let log = "";
void (async () => {
  const decoder = new TextDecoder();
  const reader = (server.stderr as ReadableStream<Uint8Array>).getReader();
  for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) log += decoder.decode(chunk.value, { stream: true });
})();

try {
  await waitUntil(() => /listening on \S+/.test(log), 30_000, "Outpost to listen");
  const url = /listening on (\S+)/.exec(log)?.[1] as string;
  const login = await graphqlClient(url).data<{ login: { accessToken: string } }>(
    'mutation ($p: String!) { login(username: "admin", password: $p) { accessToken } }',
    { p: PASSWORD },
  );
  const client = graphqlClient(url, login.login.accessToken);
  const socket = client.socket();

  // ---- runs of `true` through exec, 4 at a time (the default limit), next to raw spawns ----
  const execStarted = performance.now();
  await Promise.all(Array.from({ length: EXEC_RUNS }, () => client.data('mutation { exec(command: "true") { id } }')));
  for (;;) {
    const { runs } = await client.data<{ runs: { nodes: unknown[] } }>("{ runs(status: SUCCEEDED, first: 200) { nodes { id } } }");
    if (runs.nodes.length >= EXEC_RUNS) break;
  }
  const execPerSecond = EXEC_RUNS / ((performance.now() - execStarted) / 1000);
  const rawStarted = performance.now();
  for (let i = 0; i < EXEC_RUNS; i += 4) {
    await Promise.all(Array.from({ length: 4 }, () => Bun.spawn(["sh", "-c", "true"], { stdout: "pipe", stderr: "pipe" }).exited));
  }
  const rawPerSecond = EXEC_RUNS / ((performance.now() - rawStarted) / 1000);
  console.log(
    `exec of true: ${execPerSecond.toFixed(0)} runs/s; raw Bun.spawn of sh -c true, 4 at a time: ${rawPerSecond.toFixed(0)}/s; ratio ${((execPerSecond / rawPerSecond) * 100).toFixed(0)} %`,
  );

  // ---- startRun to the first output byte at a subscriber ----
  const echo = (await uploadProgram(client, new File(["echo x\n"], "echo.sh"))).data?.uploadProgram.id as string;
  const latencies: number[] = [];
  for (let i = 0; i < LATENCY_RUNS; i++) {
    const started = performance.now();
    const { startRun } = await client.data<{ startRun: { id: string } }>("mutation ($p: ID!) { startRun(programId: $p) { id } }", {
      p: echo,
    });
    const sub = socket.subscribe<{ runOutput: { kind: string } }>("subscription ($id: ID!) { runOutput(runId: $id) { kind } }", {
      id: startRun.id,
    });
    await sub.waitFor(1, 10_000);
    latencies.push(performance.now() - started);
    await sub.ended;
  }
  latencies.sort((a, b) => a - b);
  console.log(
    `startRun to first output byte: p50 ${percentile(latencies, 50).toFixed(1)} ms, p99 ${percentile(latencies, 99).toFixed(1)} ms`,
  );

  // ---- throughput to one subscriber next to /dev/null ----
  const writer = `head -c ${THROUGHPUT_MIB * 2 ** 20} /dev/zero | tr '\\0' 'a'`;
  const loud = (await uploadProgram(client, new File([`${writer}\n`], "loud.sh"))).data?.uploadProgram.id as string;
  const nullStarted = performance.now();
  await Bun.spawn(["sh", "-c", `${writer} > /dev/null`]).exited;
  const nullSeconds = (performance.now() - nullStarted) / 1000;
  const subStarted = performance.now();
  const { startRun: loudRun } = await client.data<{ startRun: { id: string } }>(
    "mutation ($p: ID!) { startRun(programId: $p, timeoutSeconds: 600) { id } }",
    {
      p: loud,
    },
  );
  let received = 0;
  const loudSub = socket.subscribe<{ runOutput: { text: string | null } }>("subscription ($id: ID!) { runOutput(runId: $id) { text } }", {
    id: loudRun.id,
  });
  const ending = await loudSub.ended;
  for (const r of loudSub.results) received += r.data?.runOutput.text?.length ?? 0;
  const subSeconds = (performance.now() - subStarted) / 1000;
  console.log(
    `output of ${THROUGHPUT_MIB} MiB: to /dev/null ${(THROUGHPUT_MIB / nullSeconds).toFixed(0)} MiB/s; to one subscriber ${(received / 2 ** 20 / subSeconds).toFixed(0)} MiB/s (${mib(received)} received${ending.error ? ", then cut off" : ""})`,
  );
  await socket.dispose();

  // ---- RSS while 1 GB goes, all of it, to a subscriber reading at SLOW_MIB_PER_S ----
  const huge = (await uploadProgram(client, new File([`head -c ${LOUD_GIB * 2 ** 30} /dev/zero | tr '\\0' 'a'\n`], "huge.sh"))).data
    ?.uploadProgram.id as string;
  const slow = await openRawSocket(Number(new URL(url).port), client.accessToken as string);
  const { startRun: hugeRun } = await client.data<{ startRun: { id: string } }>(
    "mutation ($p: ID!) { startRun(programId: $p, timeoutSeconds: 3600) { id } }",
    { p: huge },
  );
  slow.write(
    frame(
      JSON.stringify({ id: "1", type: "subscribe", payload: { query: `subscription { runOutput(runId: "${hugeRun.id}") { text } }` } }),
    ),
  );
  // A TCP reader that takes at most SLOW_MIB_PER_S: the server must hold the program back, not buffer.
  let slowBytes = 0;
  let slowEnded = false;
  const slowStarted = performance.now();
  slow.on("data", (chunk: Buffer) => {
    slowBytes += chunk.length;
    if (chunk.includes('"type":"complete"')) slowEnded = true;
    const aheadMs = (slowBytes / 2 ** 20 / SLOW_MIB_PER_S) * 1000 - (performance.now() - slowStarted);
    if (aheadMs > 0) {
      slow.pause();
      setTimeout(() => slow.resume(), aheadMs);
    }
  });
  slow.resume();
  const rssBefore = rssBytes(server.pid);
  let rssPeak = rssBefore;
  while (!slowEnded) {
    rssPeak = Math.max(rssPeak, rssBytes(server.pid));
    await Bun.sleep(50);
  }
  slow.destroy();
  const { run: hugeEnd } = await client.data<{ run: { status: string; stdoutBytes: number } }>(
    "query ($id: ID!) { run(id: $id) { status stdoutBytes } }",
    { id: hugeRun.id },
  );
  console.log(
    `${LOUD_GIB} GiB printed to a subscriber reading ${SLOW_MIB_PER_S} MiB/s in ${((performance.now() - slowStarted) / 1000).toFixed(1)} s (${mib(slowBytes)} received, run ${hugeEnd.status}): server RSS ${mib(rssBefore)} before, peak ${mib(rssPeak)} (+${mib(rssPeak - rssBefore)})`,
  );
} finally {
  server.kill("SIGTERM");
  await server.exited;
  rmSync(work, { recursive: true, force: true });
}
