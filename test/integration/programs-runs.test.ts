// Runs: a user starts a program or a shell command, watches its output stream in (or replays it
// later), cancels it or lets it time out, and finds it in the history; runs beyond the limit wait.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { buildZip, type UploadedProgram, uploadProgram } from "../fixtures/program-archives";
import { startTestApp, type TestApp } from "../harness/app";
import { codes, type GraphqlClient, waitUntil } from "../harness/client";
import { frame, openRawSocket } from "../harness/raw-socket";

let app: TestApp;
let operator: GraphqlClient;
let admin: GraphqlClient;

beforeAll(async () => {
  app = await startTestApp({ config: { runsStopGraceMs: 500 } });
  operator = await app.userWithRole("operator");
  admin = await app.admin();
});
afterAll(() => app.stop());

interface RunView {
  id: string;
  status: string;
  exitCode: number | null;
  signal: string | null;
  error: string | null;
  durationMs: number | null;
  args: string[];
  output: { kind: string; stream: string | null; text: string | null; droppedBytes: number | null }[];
}
const RUN_FIELDS = "id status exitCode signal error durationMs args output { kind stream text droppedBytes }";
interface Chunk {
  seq: number;
  kind: "OUTPUT" | "CUT" | "END";
  stream: "STDOUT" | "STDERR" | null;
  text: string | null;
  run: { status: string; exitCode: number | null } | null;
}
const OUTPUT = "subscription ($id: ID!) { runOutput(runId: $id) { seq kind stream text run { status exitCode } } }";

async function program(name: string, text: string): Promise<UploadedProgram> {
  const result = await uploadProgram(operator, new File([text], name));
  if (!result.data) throw new Error(JSON.stringify(result.errors));
  return result.data.uploadProgram;
}

async function startRun(programId: string, extra: Record<string, unknown> = {}, client = operator) {
  const result = await client.request<{ startRun: RunView }>(
    `mutation ($p: ID!, $a: [String!], $e: JSON, $i: String, $t: Int) { startRun(programId: $p, args: $a, env: $e, stdin: $i, timeoutSeconds: $t) { ${RUN_FIELDS} } }`,
    { p: programId, a: extra.args, e: extra.env, i: extra.stdin, t: extra.timeoutSeconds },
  );
  return result;
}

const runOf = async (id: string, client = operator) =>
  (await client.data<{ run: RunView }>(`query ($id: ID!) { run(id: $id) { ${RUN_FIELDS} } }`, { id })).run;
/** Waits for the run to end, read by `client` (shell commands show only to those who may exec). */
const ended = (id: string, client = operator) => waitUntilRun(id, (r) => !["QUEUED", "RUNNING"].includes(r.status), 15_000, client);
async function waitUntilRun(id: string, check: (run: RunView) => boolean, timeoutMs = 15_000, client = operator): Promise<RunView> {
  let last: RunView | null = null;
  await waitUntil(
    async () => {
      last = await runOf(id, client);
      return check(last);
    },
    timeoutMs,
    `run ${id} to change`,
  );
  return last as unknown as RunView;
}
const stdoutOf = (run: RunView) =>
  run.output
    .filter((c) => c.stream === "STDOUT")
    .map((c) => c.text)
    .join("");

/** Follows a run's output over graphql-ws until its END; the chunks in the order they came. */
async function follow(client: GraphqlClient, runId: string): Promise<Chunk[]> {
  const socket = client.socket();
  try {
    const sub = socket.subscribe<{ runOutput: Chunk }>(OUTPUT, { id: runId });
    await sub.ended;
    const errors = sub.results.flatMap((r) => r.errors ?? []);
    if (errors.length) throw new Error(JSON.stringify(errors));
    return sub.results.map((r) => r.data?.runOutput as Chunk);
  } finally {
    await socket.dispose();
  }
}
const textOf = (chunks: Chunk[], stream: "STDOUT" | "STDERR") =>
  chunks
    .filter((c) => c.stream === stream)
    .map((c) => c.text)
    .join("");

/** The pids of process group `pgid`, zombies included: a zombie keeps its /proc entry until it is reaped. */
function processesInGroup(pgid: number): number[] {
  const found: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      // After the command name, which is in parentheses and may hold spaces: state, parent, group.
      const group = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[2]);
      if (group === pgid) found.push(Number(entry));
    } catch {
      // Ended between the listing and the read.
    }
  }
  return found;
}

/** The process group of `pid`. */
function groupOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[2]);
}

describe("running programs", () => {
  test("a Python, a shell and a TypeScript program run with their arguments, environment and stdin", async () => {
    const python = await program("echo.py", "import os, sys\nprint('py', sys.argv[1:], os.environ['GREETING'], sys.stdin.read())\n");
    const shell = await program("echo.sh", 'echo "sh $1 $GREETING"; echo "to stderr" >&2; exit 3\n');
    const typescript = await program("echo.ts", "const n: number = 6 * 7;\nconsole.log('ts', n, process.argv.slice(2).join(','));\n");

    const py = (await startRun(python.id, { args: ["a b", "c"], env: { GREETING: "hi" }, stdin: "from stdin" })).data?.startRun;
    expect(py?.status).toBe("RUNNING");
    const sh = (await startRun(shell.id, { args: ["x"], env: { GREETING: "hello" } })).data?.startRun;
    const ts = (await startRun(typescript.id, { args: ["1", "2"] })).data?.startRun;

    const pyRun = await ended(py?.id as string);
    expect(pyRun).toMatchObject({ status: "SUCCEEDED", exitCode: 0, args: ["a b", "c"] });
    expect(stdoutOf(pyRun)).toBe("py ['a b', 'c'] hi from stdin\n");
    const shRun = await ended(sh?.id as string);
    expect(shRun).toMatchObject({ status: "FAILED", exitCode: 3 });
    expect(shRun.output).toContainEqual({ kind: "OUTPUT", stream: "STDERR", text: "to stderr\n", droppedBytes: null });
    expect(stdoutOf(shRun)).toBe("sh x hello\n");
    const tsRun = await ended(ts?.id as string);
    expect(tsRun).toMatchObject({ status: "SUCCEEDED", exitCode: 0 });
    expect(stdoutOf(tsRun)).toBe("ts 42 1,2\n");
    expect(tsRun.durationMs).toBeGreaterThan(0);
  });

  test("a ZIP project runs in its folder, with package.json scripts.start on the built-in bun", async () => {
    const zip = buildZip([
      { name: "package.json", text: JSON.stringify({ scripts: { start: "bun src/a.ts" } }) },
      { name: "src/a.ts", text: "import { readFileSync } from 'node:fs';\nconsole.log(readFileSync('data.txt', 'utf8'));\n" },
      { name: "data.txt", text: "from the project folder" },
    ]);
    const result = await uploadProgram(operator, new File([zip], "project.zip"));
    const run = (await startRun(result.data?.uploadProgram.id as string)).data?.startRun;
    const done = await ended(run?.id as string);
    expect(done.status).toBe("SUCCEEDED");
    expect(stdoutOf(done)).toContain("from the project folder");
  });

  test("the environment is clean: no OUTPOST_ variables, and none may be passed", async () => {
    process.env.OUTPOST_LEAK_CHECK = "server-secret";
    try {
      const env = await program("env.sh", "env\n");
      const run = (await startRun(env.id, { env: { MINE: "1" } })).data?.startRun;
      const text = stdoutOf(await ended(run?.id as string));
      expect(text).toContain("MINE=1");
      expect(text).not.toContain("OUTPOST_");
      expect(codes(await startRun(env.id, { env: { OUTPOST_DATA: "/" } }))).toEqual(["BAD_USER_INPUT"]);
      expect(codes(await startRun(env.id, { env: { "BAD NAME": "x" } }))).toEqual(["BAD_USER_INPUT"]);
      expect(codes(await startRun(env.id, { env: ["x"] }))).toEqual(["BAD_USER_INPUT"]);
    } finally {
      delete process.env.OUTPOST_LEAK_CHECK;
    }
  });

  test("a missing interpreter is named, with how to install it", async () => {
    const missing = await program("tool", "#!/usr/bin/no-such-interpreter\n");
    const result = await startRun(missing.id);
    expect(codes(result)).toEqual(["BAD_USER_INPUT"]);
    expect(result.errors?.[0]?.message).toContain("/usr/bin/no-such-interpreter");
  });
});

describe("output", () => {
  test("a subscriber gets stdout and stderr in order, labelled, UTF-8 whole across chunks, then the end", async () => {
    // "é" is two bytes: written one byte at a time with flushes, each may arrive in its own read.
    const script =
      "import sys, time\nfor i in range(5):\n    sys.stdout.write(f'out {i}\\n'); sys.stdout.flush()\n    sys.stderr.write(f'err {i}\\n'); sys.stderr.flush()\n    time.sleep(0.01)\nfor b in 'é'.encode():\n    sys.stdout.buffer.write(bytes([b])); sys.stdout.flush(); time.sleep(0.05)\n";
    const p = await program("ordered.py", script);
    const socket = operator.socket();
    const run = (await startRun(p.id)).data?.startRun as RunView;
    const sub = socket.subscribe<{ runOutput: Chunk }>(OUTPUT, { id: run.id });
    await sub.ended;
    await socket.dispose();
    const chunks = sub.results.map((r) => r.data?.runOutput as Chunk);
    expect(chunks.at(-1)).toMatchObject({ kind: "END", run: { status: "SUCCEEDED", exitCode: 0 } });
    const seqs = chunks.slice(0, -1).map((c) => c.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(textOf(chunks, "STDOUT")).toBe("out 0\nout 1\nout 2\nout 3\nout 4\né");
    expect(textOf(chunks, "STDERR")).toBe("err 0\nerr 1\nerr 2\nerr 3\nerr 4\n");
    expect(chunks.some((c) => c.text?.includes("\ufffd"))).toBe(false);
  });

  test("a late subscriber first gets what was kept, then the rest live", async () => {
    const p = await program("late.sh", 'echo before; read line; echo "after $line"\n');
    const run = (await startRun(p.id, { stdin: "" })).data?.startRun as RunView;
    // stdin is empty: `read` fails at once; the run is over before anyone subscribes.
    await ended(run.id);
    const replay = await follow(operator, run.id);
    expect(textOf(replay, "STDOUT")).toBe("before\nafter \n");
    expect(replay.at(-1)?.kind).toBe("END");

    const slow = await program("slow.sh", "echo first; sleep 0.5; echo second\n");
    const live = (await startRun(slow.id)).data?.startRun as RunView;
    await waitUntilRun(live.id, (r) => stdoutOf(r) === "first\n");
    const chunks = await follow(operator, live.id);
    expect(textOf(chunks, "STDOUT")).toBe("first\nsecond\n");
  });

  test("50 MB of output arrives complete and in order to a subscriber listening from the start", async () => {
    // One run at a time, so the loud run waits QUEUED behind a blocker until its subscriber listens.
    await using single = await startTestApp({ config: { runsMaxConcurrent: 1, runsStopGraceMs: 0 } });
    const client = await single.userWithRole("operator");
    const upload = async (name: string, text: string) =>
      (await uploadProgram(client, new File([text], name))).data?.uploadProgram.id as string;
    const start = async (programId: string) =>
      (
        await client.data<{ startRun: { id: string } }>("mutation ($p: ID!) { startRun(programId: $p, timeoutSeconds: 300) { id } }", {
          p: programId,
        })
      ).startRun.id;
    const lines = 700_000;
    const blocker = await start(await upload("block.sh", "sleep 1000\n"));
    const loud = await start(
      await upload("loud.py", `import sys\nw = sys.stdout.write\nfor i in range(${lines}):\n    w('%070d\\n' % i)\n`),
    );
    const socket = client.socket();
    const sub = await single.listening("run.output", () => socket.subscribe<{ runOutput: Chunk }>(OUTPUT, { id: loud }));
    await client.data("mutation ($id: ID!) { cancelRun(id: $id) { id } }", { id: blocker });
    expect(await sub.ended).toEqual({});
    await socket.dispose();
    const chunks = sub.results.map((r) => r.data?.runOutput as Chunk);
    expect(chunks.at(-1)?.run?.status).toBe("SUCCEEDED");
    expect(chunks.every((c, i) => i === 0 || c.seq > (chunks[i - 1] as Chunk).seq)).toBe(true);
    const text = textOf(chunks, "STDOUT");
    expect(text.length).toBe(lines * 71);
    const expected = new Bun.CryptoHasher("sha256");
    for (let i = 0; i < lines; i++) expected.update(`${String(i).padStart(70, "0")}\n`);
    expect(new Bun.CryptoHasher("sha256").update(text).digest("hex")).toBe(expected.digest("hex"));
  }, 120_000);

  test("a subscriber that stops reading holds the program back, then is cut off and the run goes on", async () => {
    await using held = await startTestApp({
      config: { runsMaxConcurrent: 1, runsStopGraceMs: 0, runsSubscriberBacklogBytes: 64 << 10, runsSubscriberStallSeconds: 2 },
    });
    const client = await held.userWithRole("operator");
    const start = async (name: string, text: string) => {
      const p = (await uploadProgram(client, new File([text], name))).data?.uploadProgram.id as string;
      return (
        await client.data<{ startRun: { id: string } }>("mutation ($p: ID!) { startRun(programId: $p, timeoutSeconds: 120) { id } }", { p })
      ).startRun;
    };
    // Queued behind a blocker until the reader listens.
    const blocker = await start("block.sh", "sleep 1000\n");
    const startRun = await start("loud.sh", "head -c 20000000 /dev/zero | tr '\\0' x\n");
    const stalled = await openRawSocket(held.port, client.accessToken as string);
    await held.listening("run.output", () =>
      stalled.write(frame(JSON.stringify({ id: "out", type: "subscribe", payload: { query: OUTPUT, variables: { id: startRun.id } } }))),
    );
    await client.data("mutation ($id: ID!) { cancelRun(id: $id) { id } }", { id: blocker.id });
    const run = await (async () => {
      let last: { status: string; durationMs: number; stdoutBytes: number } | null = null;
      await waitUntil(
        async () => {
          last = (
            await client.data<{ run: { status: string; durationMs: number; stdoutBytes: number } }>(
              "query ($id: ID!) { run(id: $id) { status durationMs stdoutBytes } }",
              { id: startRun.id },
            )
          ).run;
          return last.status !== "RUNNING";
        },
        60_000,
        "the run to end",
      );
      return last as unknown as { status: string; durationMs: number; stdoutBytes: number };
    })();
    // Every byte was read, after the stalled reader held the program for its 2 s and was cut off.
    expect(run).toMatchObject({ status: "SUCCEEDED", stdoutBytes: 20_000_000 });
    expect(run.durationMs).toBeGreaterThanOrEqual(2000);
    // Once it reads again, it finds why it was cut off.
    let received = "";
    stalled.on("data", (chunk: Buffer) => {
      received += chunk.toString("latin1");
    });
    stalled.resume();
    await waitUntil(() => received.includes("subscribe again to replay"), 10_000, "the cut-off message");
    expect(received).toContain("LIMIT_EXCEEDED");
    stalled.destroy();
  }, 90_000);

  test("of 50 MB of output the history keeps the beginning and the end, the cut marked", async () => {
    const lines = 700_000;
    const p = await program("loud.py", `import sys\nw = sys.stdout.write\nfor i in range(${lines}):\n    w('%070d\\n' % i)\n`);
    const run = (await startRun(p.id, { timeoutSeconds: 120 })).data?.startRun as RunView;
    const kept = await waitUntilRun(run.id, (r) => r.status === "SUCCEEDED", 60_000);
    const cut = kept.output.filter((c) => c.kind === "CUT");
    expect(cut.length).toBe(1);
    const keptText = stdoutOf(kept);
    expect(keptText.length).toBeLessThanOrEqual(2 << 20);
    expect(keptText.length + (cut[0]?.droppedBytes ?? 0)).toBe(lines * 71);
    expect(keptText.startsWith("0".repeat(70))).toBe(true);
    expect(keptText.endsWith(`${String(lines - 1).padStart(70, "0")}\n`)).toBe(true);
  }, 120_000);
});

describe("stopping runs", () => {
  const spawner = (n: number) => `for i in $(seq ${n}); do sleep 1000 & echo "child $!"; done\necho ready\nwait\n`;
  const childPids = (run: RunView) => [...stdoutOf(run).matchAll(/child (\d+)/g)].map((m) => Number(m[1]));
  /** The run's own process group, which its children share (not this test's). */
  const runGroup = (children: number[]) => {
    const group = groupOf(children[0] as number);
    expect(children.map(groupOf)).toEqual(children.map(() => group));
    expect(group).not.toBe(groupOf(process.pid));
    return group;
  };
  /** Waits until no process of `group` is left, not even a zombie nobody reaps. */
  const noneLeftIn = (group: number) =>
    waitUntil(() => processesInGroup(group).length === 0, 5000, `every process of the run's group ${group}, zombies too, to be gone`);

  test("cancel stops the whole process group: no sleep child survives", async () => {
    const p = await program("spawner.sh", spawner(3));
    const run = (await startRun(p.id)).data?.startRun as RunView;
    const running = await waitUntilRun(run.id, (r) => stdoutOf(r).includes("ready"));
    const pids = childPids(running);
    expect(pids.length).toBe(3);
    const group = runGroup(pids);
    expect(processesInGroup(group)).toEqual(expect.arrayContaining(pids));
    const cancelled = await operator.data<{ cancelRun: RunView }>(`mutation ($id: ID!) { cancelRun(id: $id) { ${RUN_FIELDS} } }`, {
      id: run.id,
    });
    expect(cancelled.cancelRun).toMatchObject({ status: "CANCELLED", signal: "SIGTERM" });
    await noneLeftIn(group);
  });

  test("a timeout ends the run as TIMED_OUT and kills its grandchildren too", async () => {
    const p = await program("stubborn.sh", `trap '' TERM\n${spawner(2)}`);
    const run = (await startRun(p.id, { timeoutSeconds: 1 })).data?.startRun as RunView;
    const running = await waitUntilRun(run.id, (r) => stdoutOf(r).includes("ready"));
    const group = runGroup(childPids(running));
    const done = await ended(run.id);
    expect(done.status).toBe("TIMED_OUT");
    await noneLeftIn(group);
  });

  test("a program cannot be deleted while it runs", async () => {
    const p = await program("busy.sh", "sleep 1000\n");
    const run = (await startRun(p.id)).data?.startRun as RunView;
    expect(codes(await operator.request("mutation ($id: ID!) { deleteProgram(id: $id) }", { id: p.id }))).toEqual(["CONFLICT"]);
    await operator.data("mutation ($id: ID!) { cancelRun(id: $id) { id } }", { id: run.id });
    expect(await operator.data("mutation ($id: ID!) { deleteProgram(id: $id) }", { id: p.id })).toEqual({ deleteProgram: true });
  });
});

describe("queueing", () => {
  test("beyond the concurrency limit runs wait QUEUED and start as slots free up", async () => {
    await using small = await startTestApp({ config: { runsMaxConcurrent: 1, runsStopGraceMs: 0 } });
    const client = await small.userWithRole("operator");
    const upload = await uploadProgram(client, new File(["sleep 1000\n"], "wait.sh"));
    const id = upload.data?.uploadProgram.id as string;
    const start = async () =>
      (
        await client.data<{ startRun: { id: string; status: string } }>("mutation ($p: ID!) { startRun(programId: $p) { id status } }", {
          p: id,
        })
      ).startRun;
    const first = await start();
    const second = await start();
    const third = await start();
    expect([first.status, second.status, third.status]).toEqual(["RUNNING", "QUEUED", "QUEUED"]);
    const status = async (runId: string) =>
      (await client.data<{ run: { status: string } }>("query ($id: ID!) { run(id: $id) { status } }", { id: runId })).run.status;
    const cancel = (runId: string) => client.data("mutation ($id: ID!) { cancelRun(id: $id) { status } }", { id: runId });
    expect(await cancel(third.id)).toEqual({ cancelRun: { status: "CANCELLED" } });
    await cancel(first.id);
    expect(await status(second.id)).toBe("RUNNING");
    const queued = await client.data<{ runs: { nodes: { id: string }[] } }>(
      "query ($p: ID) { runs(programId: $p, status: CANCELLED) { nodes { id } } }",
      {
        p: id,
      },
    );
    expect(queued.runs.nodes.map((n) => n.id)).toEqual([third.id, first.id]);
    const stats = await client.data<{ program: { runCount: number; lastRun: { id: string } } }>(
      "query ($p: ID!) { program(id: $p) { runCount lastRun { id } } }",
      { p: id },
    );
    expect(stats.program).toEqual({ runCount: 3, lastRun: { id: third.id } });
    await cancel(second.id);
  });
});

describe("shell commands", () => {
  test("exec runs a command as a run, in a program's folder when cwd names one; operators may not", async () => {
    const p = await program("here.txt", "x");
    const result = await admin.data<{ exec: { id: string } }>('mutation ($c: String) { exec(command: "pwd; ls", cwd: $c) { id } }', {
      c: p.id,
    });
    const run = await ended(result.exec.id, admin);
    expect(run.status).toBe("SUCCEEDED");
    expect(stdoutOf(run)).toBe(`${app.dataDir}/programs/${p.id}\nhere.txt\n`);
    expect(codes(await operator.request('mutation { exec(command: "id") { id } }'))).toEqual(["FORBIDDEN"]);
    expect(codes(await admin.request('mutation { exec(command: "pwd", cwd: "relative/dir") { id } }'))).toEqual(["BAD_USER_INPUT"]);
  });
});
