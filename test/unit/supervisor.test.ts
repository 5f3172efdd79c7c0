// The process supervisor with real child processes (`sh -c ...`) and a manual clock: stop
// reaches grandchildren, the environment is clean, output stays bounded, restarts back off.
import { afterEach, describe, expect, spyOn, test } from "bun:test";
import { readFileSync } from "node:fs";
import { createManualClock } from "../../server/clock";
import { ConflictError } from "../../server/errors";
import { createLogger } from "../../server/log";
import { createSupervisor, type ProcessExit, type Supervisor, type SupervisorOptions } from "../../server/supervisor";

const supervisors: Supervisor[] = [];
afterEach(async () => {
  await Promise.all(supervisors.splice(0).map((supervisor) => supervisor.stopAll({ graceMs: 0 })));
});

/** A supervisor on a manual clock, with its log lines kept for inspection. */
function setup(options: Partial<SupervisorOptions> = {}) {
  const clock = createManualClock();
  const lines: string[] = [];
  const log = createLogger({ level: "debug", write: (line) => lines.push(line) });
  const supervisor = createSupervisor({ clock, log, ...options });
  supervisors.push(supervisor);
  const logs = () => lines.map((line) => JSON.parse(line) as { level: string; msg: string; process?: string });
  return { clock, supervisor, logs };
}

/** Polls `check` every few ms; fails after `timeoutMs`. */
async function waitFor(check: () => boolean, timeoutMs = 5000) {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error("timed out waiting");
    await Bun.sleep(5);
  }
}

/** True once `pid` no longer runs. */
function isGone(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ESRCH") return true;
    throw err;
  }
  // Where PID 1 does not reap orphans (some containers), a killed grandchild stays a zombie
  // that kill(pid, 0) still finds: it is dead all the same.
  try {
    return readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.startsWith("Z") ?? true;
  } catch {
    return true;
  }
}

/** Collects onExit reports so a test can await them one by one. */
function exitQueue() {
  const ready: ProcessExit[] = [];
  const waiting: ((exit: ProcessExit) => void)[] = [];
  return {
    onExit(exit: ProcessExit) {
      const waiter = waiting.shift();
      if (waiter) waiter(exit);
      else ready.push(exit);
    },
    next(): Promise<ProcessExit> {
      const exit = ready.shift();
      return exit ? Promise.resolve(exit) : new Promise((resolve) => waiting.push(resolve));
    },
  };
}

describe("output", () => {
  test("stdout and stderr are kept apart and streamed as they arrive", async () => {
    const { supervisor, logs } = setup();
    const chunks: string[] = [];
    const proc = supervisor.start({
      name: "hello",
      command: ["sh", "-c", "echo out; echo err >&2"],
      onOutput: (stream, chunk) => {
        chunks.push(`${stream}:${new TextDecoder().decode(chunk)}`);
      },
    });
    const exit = await proc.exited;
    expect(exit).toMatchObject({ code: 0, signal: null, stopped: false, restarting: false });
    expect(proc.outputText("stdout")).toBe("out\n");
    expect(proc.outputText("stderr")).toBe("err\n");
    expect(chunks.sort()).toEqual(["stderr:err\n", "stdout:out\n"]);
    expect(
      logs()
        .filter((line) => line.process === "hello")
        .map((line) => line.msg),
    ).toEqual(["process started", "process exited"]);
  });

  test("only the last maxOutputBytes bytes are kept; the total is still counted", async () => {
    const { supervisor } = setup();
    const proc = supervisor.start({ name: "seq", command: ["seq", "1", "200000"], maxOutputBytes: 1000 });
    await proc.exited;
    const all = `${Array.from({ length: 200_000 }, (_, i) => i + 1).join("\n")}\n`;
    expect(proc.outputText("stdout")).toBe(all.slice(-1000));
    expect(proc.info().outputBytes).toEqual({ stdout: all.length, stderr: 0 });
  });

  test("a child writing 200 MB is drained to the end while the server keeps only the tail", async () => {
    const { supervisor } = setup();
    const flood = async (bytes: number) => {
      let streamed = 0;
      const proc = supervisor.start({
        name: "flood",
        command: ["sh", "-c", `yes | head -c ${bytes}`],
        onOutput: (_stream, chunk) => {
          streamed += chunk.length;
        },
      });
      await proc.exited;
      return { proc, streamed };
    };
    // The first big read grows Bun's heap once, whoever reads; measure a second flood.
    await flood(50_000_000);
    Bun.gc(true);
    // What the process still holds is measured on the heap (buffers included): RSS after a GC
    // keeps pages the allocator has not handed back, and other test files' garbage with them.
    const heldBefore = process.memoryUsage().heapUsed;
    const before = process.memoryUsage().rss;
    let peak = before;
    const sampler = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage().rss);
    }, 10);
    const { proc, streamed } = await flood(200_000_000);
    clearInterval(sampler);
    peak = Math.max(peak, process.memoryUsage().rss);
    Bun.gc(true);
    const kept = process.memoryUsage().heapUsed - heldBefore;
    expect(streamed).toBe(200_000_000);
    expect(proc.output("stdout").length).toBe(1 << 20);
    expect(proc.outputText("stdout").endsWith("y\ny\n")).toBe(true);
    // What stays is about the 1 MiB tail. The peak is Bun's own read chunks awaiting GC (a bare
    // read loop over the same pipe peaks at 10-25 MB alone, up to ~55 MB when the whole suite
    // shares the heap), far below the 200 MB written: the output is never held whole.
    expect(kept).toBeLessThan(8 * 1024 * 1024);
    expect(peak - before).toBeLessThan(100 * 1024 * 1024);
  });
  test("an output handler that holds reading back blocks the child on its pipe, and nothing is lost", async () => {
    const { supervisor } = setup();
    let streamed = 0;
    let release = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const proc = supervisor.start({
      name: "held",
      command: ["head", "-c", "5000000", "/dev/zero"],
      onOutput: (_stream, chunk) => {
        streamed += chunk.length;
        return held;
      },
    });
    // The child fills its output (Bun's stdio is a socket pair) and sleeps in its write, as under
    // `prog | less`: reading /dev/zero never sleeps.
    const state = () => readFileSync(`/proc/${proc.pid}/stat`, "utf8").split(") ")[1]?.[0];
    await waitFor(() => streamed > 0 && state() === "S");
    expect(streamed).toBeLessThan(5_000_000);
    release();
    expect((await proc.exited).code).toBe(0);
    expect(streamed).toBe(5_000_000);
  });
});

describe("process groups", () => {
  test("stop() ends the child and its grandchildren", async () => {
    const { supervisor } = setup();
    const proc = supervisor.start({ name: "parent", command: ["sh", "-c", "sleep 100 & echo $!; wait"] });
    await waitFor(() => proc.outputText("stdout").includes("\n"));
    const grandchild = Number(proc.outputText("stdout").trim());
    expect(isGone(grandchild)).toBe(false);
    const exit = await proc.stop();
    expect(exit).toMatchObject({ code: null, signal: "SIGTERM", stopped: true, restarting: false });
    await waitFor(() => isGone(grandchild), 1000);
    expect(proc.state).toBe("exited");
  });

  test("what a child leaves running in its group dies with it, so its exit is reported at once", async () => {
    const { supervisor } = setup();
    const proc = supervisor.start({ name: "leaver", command: ["sh", "-c", "sleep 100 & echo $!"] });
    const exit = await proc.exited;
    expect(exit.code).toBe(0);
    await waitFor(() => isGone(Number(proc.outputText("stdout").trim())), 1000);
  });

  test("a child that ignores SIGTERM gets SIGKILL when the grace period ends", async () => {
    const { supervisor, clock } = setup({ stopGraceMs: 5000 });
    const proc = supervisor.start({ name: "stubborn", command: ["sh", "-c", "trap '' TERM; echo ready; sleep 100"] });
    await waitFor(() => proc.outputText("stdout") === "ready\n");
    const stopping = proc.stop();
    expect(proc.state).toBe("stopping");
    expect(await Promise.race([stopping, Bun.sleep(100).then(() => "still running")])).toBe("still running");
    await clock.advance(4999);
    expect(proc.state).toBe("stopping");
    await clock.advance(1);
    const exit = await stopping;
    expect(exit).toMatchObject({ signal: "SIGKILL", stopped: true });
    expect(exit.exitedAt - exit.startedAt).toBe(5000);
  });

  test("stopping an exited process resolves at once with its exit", async () => {
    const { supervisor } = setup();
    const proc = supervisor.start({ name: "quick", command: ["true"] });
    const exit = await proc.exited;
    expect(await proc.stop()).toBe(exit);
  });
});

describe("environment and input", () => {
  test("the child sees only the base environment and the spec's env, never the server's secrets", async () => {
    const { supervisor } = setup();
    const saved = process.env.OUTPOST_ADMIN_PASSWORD;
    process.env.OUTPOST_ADMIN_PASSWORD = "hunter2-do-not-leak";
    try {
      const proc = supervisor.start({ name: "env", command: ["env"], env: { GREETING: "hello world", LANG: "en_GB.UTF-8" } });
      await proc.exited;
      const env = proc.outputText("stdout");
      expect(env).not.toContain("hunter2-do-not-leak");
      expect(env).not.toContain("OUTPOST_");
      const names = env
        .trim()
        .split("\n")
        .map((line) => line.slice(0, line.indexOf("=")))
        .sort();
      expect(names).toEqual(["GREETING", "HOME", "LANG", "PATH"]);
      expect(env).toContain("GREETING=hello world\n");
      expect(env).toContain("LANG=en_GB.UTF-8\n");
      expect(env).toContain("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\n");
    } finally {
      if (saved === undefined) delete process.env.OUTPOST_ADMIN_PASSWORD;
      else process.env.OUTPOST_ADMIN_PASSWORD = saved;
    }
  });

  test("with stdin: pipe the caller writes to the child; writing to an exited child is a conflict", async () => {
    const { supervisor } = setup();
    const proc = supervisor.start({ name: "cat", command: ["cat"], stdin: "pipe" });
    await proc.write("hello ");
    await proc.write(new TextEncoder().encode("there\n"));
    proc.closeStdin();
    expect(await proc.exited).toMatchObject({ code: 0 });
    expect(proc.outputText("stdout")).toBe("hello there\n");
    await expect(proc.write("again")).rejects.toBeInstanceOf(ConflictError);
  });

  test("a terminal child gets a PTY of the given size, can be resized, and stops with its stop signal", async () => {
    const { supervisor } = setup();
    const proc = supervisor.start({ name: "shell", command: ["sh"], terminal: { cols: 100, rows: 30 }, stopSignal: "SIGHUP" });
    await proc.write("stty size; echo term=$TERM\n");
    await waitFor(() => proc.outputText("stdout").includes("30 100") && proc.outputText("stdout").includes("term=xterm-256color"));
    proc.resize(120, 40);
    await proc.write("stty size\n");
    await waitFor(() => proc.outputText("stdout").includes("40 120"));
    expect(await proc.stop()).toMatchObject({ signal: "SIGHUP", stopped: true });
  });

  test("a program that cannot be spawned throws from start and is not listed", () => {
    const { supervisor } = setup();
    expect(() => supervisor.start({ name: "missing", command: ["/nonexistent/program"] })).toThrow();
    expect(supervisor.list()).toEqual([]);
  });
});

describe("restart with backoff", () => {
  test("a failing child restarts after 1 s, then 2 s, then 4 s, and gives up after maxRestarts", async () => {
    const { supervisor, clock, logs } = setup();
    const exits = exitQueue();
    const proc = supervisor.start({ name: "flaky", command: ["sh", "-c", "exit 1"], restart: { maxRestarts: 3 }, onExit: exits.onExit });
    const pids = [proc.pid];
    for (const [restarts, backoffMs] of [
      [0, 1000],
      [1, 2000],
      [2, 4000],
    ] as const) {
      expect(await exits.next()).toMatchObject({ code: 1, restarting: true, restartInMs: backoffMs, stopped: false });
      expect(proc.state).toBe("restarting");
      await clock.advance(backoffMs - 1);
      expect(proc.restarts).toBe(restarts);
      await clock.advance(1);
      expect(proc.restarts).toBe(restarts + 1);
      pids.push(proc.pid);
    }
    const last = await exits.next();
    expect(last).toMatchObject({ code: 1, restarting: false, restartInMs: null });
    expect(await proc.exited).toBe(last);
    expect(proc.state).toBe("exited");
    expect(clock.pendingTimers()).toBe(0);
    expect(new Set(pids).size).toBe(4);
    expect(logs().some((line) => line.msg === "process gave up restarting" && line.level === "warn")).toBe(true);
  });

  test("the backoff is capped by maxBackoffMs and starts over after a run of stableAfterMs", async () => {
    const { supervisor, clock } = setup();
    const exits = exitQueue();
    const proc = supervisor.start({
      name: "reader",
      command: ["sh", "-c", "read line; exit 1"],
      stdin: "pipe",
      restart: { initialBackoffMs: 100, maxBackoffMs: 300, stableAfterMs: 30_000 },
      onExit: exits.onExit,
    });
    const delays: (number | null)[] = [];
    for (const runMs of [0, 0, 0, 30_000]) {
      await clock.advance(runMs);
      await proc.write("\n");
      const exit = await exits.next();
      delays.push(exit.restartInMs);
      await clock.advance(exit.restartInMs ?? 0);
    }
    expect(delays).toEqual([100, 200, 300, 100]);
    expect(proc.restarts).toBe(4);
  });

  test("stop() during a pending restart cancels it", async () => {
    const { supervisor, clock } = setup();
    const exits = exitQueue();
    const proc = supervisor.start({ name: "flaky", command: ["sh", "-c", "exit 3"], restart: {}, onExit: exits.onExit });
    expect(await exits.next()).toMatchObject({ code: 3, restarting: true });
    expect(await proc.stop()).toMatchObject({ code: 3, restarting: false, stopped: true });
    expect(clock.pendingTimers()).toBe(0);
    await clock.advance(600_000);
    expect(proc.restarts).toBe(0);
    expect(supervisor.list()).toMatchObject([{ name: "flaky", state: "exited", restarts: 0 }]);
  });

  test("a child stopped by stop() is not restarted", async () => {
    const { supervisor, clock } = setup();
    const exits = exitQueue();
    const proc = supervisor.start({ name: "service", command: ["sleep", "100"], restart: {}, onExit: exits.onExit });
    expect(await proc.stop()).toMatchObject({ signal: "SIGTERM", stopped: true, restarting: false });
    expect(await exits.next()).toMatchObject({ stopped: true, restarting: false });
    expect(clock.pendingTimers()).toBe(0);
  });
});

describe("the supervisor", () => {
  test("creating one spawns nothing", async () => {
    const spawn = spyOn(Bun, "spawn");
    try {
      const { supervisor } = setup();
      expect(supervisor.list()).toEqual([]);
      expect(await supervisor.stopAll()).toEqual([]);
      expect(spawn).not.toHaveBeenCalled();
    } finally {
      spawn.mockRestore();
    }
  });

  test("stopAll stops and reaps every child, whatever state it is in", async () => {
    const { supervisor, clock } = setup({ stopGraceMs: 2000 });
    const sleeper = supervisor.start({ name: "sleeper", command: ["sleep", "100"] });
    const parent = supervisor.start({ name: "parent", command: ["sh", "-c", "sleep 100 & echo $!; wait"] });
    const stubborn = supervisor.start({ name: "stubborn", command: ["sh", "-c", "trap '' TERM; echo ready; sleep 100"] });
    const exits = exitQueue();
    const flaky = supervisor.start({ name: "flaky", command: ["false"], restart: {}, onExit: exits.onExit });
    await waitFor(() => parent.outputText("stdout").includes("\n") && stubborn.outputText("stdout") === "ready\n");
    await exits.next();
    const grandchild = Number(parent.outputText("stdout").trim());
    expect(supervisor.list().map((p) => [p.name, p.state])).toEqual([
      ["sleeper", "running"],
      ["parent", "running"],
      ["stubborn", "running"],
      ["flaky", "restarting"],
    ]);

    const all = supervisor.stopAll();
    await waitFor(() => sleeper.state === "exited" && parent.state === "exited");
    await clock.advance(2000);
    const stopped = await all;
    expect(stopped.map((exit) => exit.signal)).toEqual(["SIGTERM", "SIGTERM", "SIGKILL", null]);
    expect(supervisor.list().every((p) => p.state === "exited")).toBe(true);
    for (const pid of [sleeper.pid, parent.pid, stubborn.pid, grandchild]) await waitFor(() => isGone(pid ?? 0), 1000);
    expect(flaky.restarts).toBe(0);
  });

  test("only the most recent keepExited exited processes stay listed", async () => {
    const { supervisor } = setup({ keepExited: 2 });
    const ids: string[] = [];
    for (const name of ["a", "b", "c"]) {
      const proc = supervisor.start({ name, command: ["true"] });
      ids.push(proc.id);
      await proc.exited;
    }
    expect(supervisor.list().map((p) => p.name)).toEqual(["b", "c"]);
    expect(supervisor.get(ids[0] ?? "")).toBeUndefined();
    expect(supervisor.get(ids[2] ?? "")?.name).toBe("c");
  });
});
