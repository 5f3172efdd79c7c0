// The host's processes through GraphQL: listing, sorting and filtering, and signals to a process
// the test started, with the refusals for pid 1, Outpost itself, kernel threads and roles without the permission.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { startTestApp, type TestApp } from "../harness/app";
import { codes, type GraphqlClient, waitUntil } from "../harness/client";

const LIST = `query ($sortBy: ProcessSort, $limit: Int, $filter: String) {
  processes(sortBy: $sortBy, limit: $limit, filter: $filter) { pid parentPid user name command cpuPercent memoryBytes state threads startedAt kernelThread }
}`;
const SIGNAL = "mutation ($pid: Int!, $signal: ProcessSignal!) { signalProcess(pid: $pid, signal: $signal) }";

interface Process {
  pid: number;
  parentPid: number;
  user: string;
  name: string;
  command: string;
  cpuPercent: number;
  memoryBytes: number;
  state: string;
  threads: number;
  startedAt: string;
}

let server: TestApp;
let admin: GraphqlClient;
let viewer: GraphqlClient;
const started: ReturnType<typeof Bun.spawn>[] = [];
beforeAll(async () => {
  server = await startTestApp();
  admin = await server.admin();
  viewer = await server.userWithRole("viewer");
});
afterAll(async () => {
  for (const child of started) child.kill("SIGKILL");
  await server.stop();
});

/** A sleeping child with an argument no other process has, so a filter finds it alone. */
function sleeper(): { child: ReturnType<typeof Bun.spawn>; marker: string } {
  const seconds = String(3000 + Math.floor(Math.random() * 1000) + Math.random()).slice(0, 12);
  const child = Bun.spawn(["sleep", seconds], { stdout: "ignore", stderr: "ignore" });
  started.push(child);
  return { child, marker: `sleep ${seconds}` };
}

const list = async (client: GraphqlClient, variables: Record<string, unknown>) =>
  (await client.data<{ processes: Process[] }>(LIST, variables)).processes;

test("a viewer lists processes by memory, with this server's own among them", async () => {
  const byMemory = await list(viewer, { sortBy: "MEMORY", limit: 500 });
  const sizes = byMemory.map((p) => p.memoryBytes);
  expect(sizes).toEqual([...sizes].sort((a, b) => b - a));
  const self = byMemory.find((p) => p.pid === process.pid);
  const myName = readFileSync("/etc/passwd", "utf8")
    .split("\n")
    .map((line) => line.split(":"))
    .find((fields) => Number(fields[2]) === process.getuid?.())?.[0];
  expect(self).toMatchObject({ user: myName, parentPid: process.ppid, name: "bun" });
  expect(self?.memoryBytes).toBeGreaterThan(10 << 20);
  expect(self?.threads).toBeGreaterThan(1);
  expect(new Date(self?.startedAt ?? 0).getTime()).toBeLessThanOrEqual(Date.now());
  expect(await list(viewer, { sortBy: "PID", limit: 3 })).toHaveLength(3);
});

test("a filter finds a process the test started, with its command line and state", async () => {
  const { child, marker } = sleeper();
  // The child may not have exec'd sleep yet when spawn returns, and runs (R) a moment before it sleeps (S).
  let found: Process[] = [];
  await waitUntil(
    async () => {
      found = await list(viewer, { filter: marker.toUpperCase() });
      return found[0]?.state === "S";
    },
    5000,
    "the sleeper to show, asleep",
  );
  expect(found).toHaveLength(1);
  expect(found[0]).toMatchObject({ pid: child.pid, name: "sleep", command: marker, state: "S", threads: 1 });
});

test("an admin stops, continues and ends a process the test started", async () => {
  const { child, marker } = sleeper();
  expect(await admin.data(SIGNAL, { pid: child.pid, signal: "STOP" })).toEqual({ signalProcess: true });
  // The kernel stops it asynchronously: read its state until it shows, for up to five seconds.
  await waitUntil(async () => (await list(viewer, { filter: marker }))[0]?.state === "T", 5000, "the process to show as stopped");
  expect(await admin.data(SIGNAL, { pid: child.pid, signal: "CONT" })).toEqual({ signalProcess: true });
  expect(await admin.data(SIGNAL, { pid: child.pid, signal: "TERM" })).toEqual({ signalProcess: true });
  await child.exited;
  expect(child.signalCode).toBe("SIGTERM");
});

test("pid 1, Outpost itself and a process that does not exist are refused", async () => {
  expect(codes(await admin.request(SIGNAL, { pid: 1, signal: "KILL" }))).toEqual(["BAD_USER_INPUT"]);
  expect(codes(await admin.request(SIGNAL, { pid: process.pid, signal: "TERM" }))).toEqual(["BAD_USER_INPUT"]);
  expect(codes(await admin.request(SIGNAL, { pid: 999_999_999, signal: "TERM" }))).toEqual(["NOT_FOUND"]);
});

/** PF_KTHREAD in /proc/<pid>/stat's flags: the task is a kernel thread. */
const PF_KTHREAD = 0x00200000;

/** Pids of kernel threads, as the kernel marks them (flags), with no command line. */
function kernelThreads(): number[] {
  return readdirSync("/proc")
    .filter((entry) => /^\d+$/.test(entry))
    .filter((pid) => {
      try {
        const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
        // After the command name, which is in parentheses and may hold spaces, the flags are the seventh field.
        const flags = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[6]);
        return (flags & PF_KTHREAD) !== 0 && readFileSync(`/proc/${pid}/cmdline`).length === 0;
      } catch {
        return false;
      }
    })
    .map(Number);
}

test("kernel threads are refused, kthreadd and its workers alike", async () => {
  const threads = kernelThreads();
  // kthreadd is pid 2 on a Linux box; the workers it started at boot, next in line, stay.
  expect(threads).toContain(2);
  const worker = Math.min(...threads.filter((pid) => pid !== 2));
  expect(worker).toBeGreaterThan(2);
  for (const pid of [2, worker]) {
    const refused = await admin.request(SIGNAL, { pid, signal: "KILL" });
    expect(codes(refused)).toEqual(["BAD_USER_INPUT"]);
    expect(refused.errors?.[0]?.message).toBe("Kernel threads are never signalled.");
  }
});

test("only admins signal; listing needs a sign-in and a bounded limit", async () => {
  const { child } = sleeper();
  const operator = await server.userWithRole("operator");
  expect(codes(await operator.request(SIGNAL, { pid: child.pid, signal: "KILL" }))).toEqual(["FORBIDDEN"]);
  expect(codes(await viewer.request(SIGNAL, { pid: child.pid, signal: "KILL" }))).toEqual(["FORBIDDEN"]);
  expect(child.killed || child.exitCode !== null).toBe(false);
  expect(codes(await server.anonymous.request(LIST))).toEqual(["UNAUTHENTICATED"]);
  expect(codes(await viewer.request(LIST, { limit: 0 }))).toEqual(["BAD_USER_INPUT"]);
  expect(codes(await viewer.request(LIST, { limit: 501 }))).toEqual(["BAD_USER_INPUT"]);
});

test("the live metrics carry the five busiest processes by CPU and by memory, a busy child among them", async () => {
  const busy = Bun.spawn(["sh", "-c", "while :; do :; done"], { stdout: "ignore", stderr: "ignore" });
  started.push(busy);
  // Each sample's CPU shares are over the time since the one before; other busy programs on the
  // machine (a browser test, say) may outrank it, but not five of them.
  const busyAmongTop = () => server.app.services.metrics.collect().topProcesses?.byCpu.some((p) => p.pid === busy.pid) ?? false;
  await waitUntil(busyAmongTop, 15_000, "the busy child among the top five (read every 5 s)");
  type Top = { pid: number; cpuPercent: number; memoryBytes: number; command: string };
  const { metrics } = await viewer.data<{ metrics: { topProcesses: { byCpu: Top[]; byMemory: Top[] } } }>(
    "{ metrics { topProcesses { byCpu { pid cpuPercent memoryBytes command } byMemory { pid cpuPercent memoryBytes command } } } }",
  );
  const { byCpu, byMemory } = metrics.topProcesses;
  expect(byCpu).toHaveLength(5);
  const shares = byCpu.map((p) => p.cpuPercent);
  expect(shares).toEqual([...shares].sort((a, b) => b - a));
  const child = byCpu.find((p) => p.pid === busy.pid);
  expect(child?.command).toBe("sh -c while :; do :; done");
  expect(child?.cpuPercent).toBeGreaterThan(0);
  expect(byMemory).toHaveLength(5);
  const sizes = byMemory.map((p) => p.memoryBytes);
  expect(sizes).toEqual([...sizes].sort((a, b) => b - a));
  busy.kill("SIGKILL");
});

test("what a shell command or terminal runs shows in the process list only to those who may exec", async () => {
  const token = `typed-secret-${Date.now()}`;
  const list = async (client: GraphqlClient, filter: string) =>
    (await client.data<{ processes: Process[] }>(LIST, { sortBy: "PID", limit: 500, filter })).processes;
  const { exec } = await admin.data<{ exec: { id: string } }>("mutation ($c: String!) { exec(command: $c) { id } }", {
    c: `sleep 2900 && echo ${token}`,
  });
  const { openTerminal } = await admin.data<{ openTerminal: { id: string } }>(
    "mutation ($c: String!) { openTerminal(cols: 80, rows: 24, command: $c) { id } }",
    { c: `sleep 2901 && echo ${token}` },
  );
  // Each runs `sh -c …`, which starts sleep in its session: both processes are hidden, not only the shell.
  await waitUntil(async () => (await list(admin, "sleep 290")).length >= 4, 10_000, "the command's and the terminal's processes");
  const shown = await list(admin, "sleep 290");
  expect(shown.filter((p) => p.command.includes(token)).length).toBeGreaterThanOrEqual(2);

  expect(await list(viewer, token)).toEqual([]);
  expect(await list(viewer, "sleep 290")).toEqual([]);
  const hidden = (await list(viewer, "hidden")).filter((p) => shown.some((s) => s.pid === p.pid));
  expect(hidden.map((p) => p.pid).sort()).toEqual(shown.map((p) => p.pid).sort());
  expect(new Set(hidden.map((p) => p.command))).toEqual(new Set(["(hidden: a shell command or terminal started through Outpost)"]));

  await admin.data("mutation ($id: ID!) { cancelRun(id: $id) { id } }", { id: exec.id });
  await admin.data("mutation ($id: ID!) { closeTerminal(id: $id) { id } }", { id: openTerminal.id });
});

test("what a shell command leaves running after it ends stays hidden until it ends too, however many runs end after it", async () => {
  // Its own server: the supervisor forgets ended runs past the newest 64, so 70 more must end here.
  await using app = await startTestApp({ config: { rateLimitExecPerMinute: 10_000 } });
  const admin = await app.admin();
  const viewer = await app.userWithRole("viewer");
  const list = async (client: GraphqlClient, filter: string) =>
    (await client.data<{ processes: Process[] }>(LIST, { sortBy: "PID", limit: 500, filter })).processes;
  // A job in a process group of its own (as a shell with job control starts one) outlives the group
  // kill at the command's end, in the command's session.
  const { exec } = await admin.data<{ exec: { id: string } }>("mutation ($c: String!) { exec(command: $c) { id } }", {
    c: [
      `python3 -c "import os; os.setpgid(0, 0); os.execvp('sleep', ['sleep', '2913'])" & job=$!`,
      // The command ends once the job leads its own group (field 5 of its stat), so the kill misses it.
      `while [ "$(cut -d' ' -f5 /proc/$job/stat)" != "$job" ]; do sleep 0.02; done; echo $job`,
    ].join("\n"),
  });
  let output = "";
  await waitUntil(
    async () => {
      const { run } = await admin.data<{ run: { status: string; output: { stream: string | null; text: string | null }[] } }>(
        "query ($id: ID!) { run(id: $id) { status output { stream text } } }",
        { id: exec.id },
      );
      output = run.output
        .filter((c) => c.stream === "STDOUT")
        .map((c) => c.text ?? "")
        .join("");
      return run.status === "SUCCEEDED";
    },
    10_000,
    "the command to end",
  );
  const leftover = Number(output.trim());
  try {
    await waitUntil(async () => (await list(admin, "sleep 2913")).length === 1, 10_000, "the leftover to run sleep");
    expect((await list(admin, "sleep 2913")).map((p) => p.pid)).toEqual([leftover]);
    for (let i = 0; i < 70; i++) await admin.data('mutation { exec(command: "true") { id } }');
    await waitUntil(
      async () =>
        (await admin.data<{ runs: { nodes: { status: string }[] } }>("{ runs(first: 200) { nodes { status } } }")).runs.nodes.every(
          (r) => r.status === "SUCCEEDED",
        ),
      30_000,
      "the runs to end",
    );
    expect(await list(viewer, "sleep 2913")).toEqual([]);
    expect((await list(viewer, "hidden")).map((p) => p.pid)).toContain(leftover);
  } finally {
    process.kill(leftover, "SIGKILL");
  }
});
