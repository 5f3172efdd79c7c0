// Benchmark of terminals, printed as figures (no assertions), with Outpost running in this process
// on loopback: keystroke-to-echo latency over graphql-ws and over the outpost-terminal socket next
// to writing to a PTY directly in the same process; `cat` of a large file through a terminal to one subscriber next to `cat` to
// /dev/null; and the server's RSS growth with 20 open shells. Run: `bun test/bench/terminals.ts`
// (`--mib 20` for a smaller file).
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startTestApp } from "../harness/app";
import type { GraphqlClient } from "../harness/client";

const mibArg = process.argv.indexOf("--mib");
const FILE_MIB = mibArg > 0 ? Number(process.argv[mibArg + 1]) : 100;
const KEYSTROKES = 300;
const SESSIONS = 20;
const OUTPUT = "subscription ($id: ID!) { terminalOutput(id: $id) { data exited } }";
const WRITE = "mutation ($id: ID!, $data: String!) { writeTerminal(id: $id, data: $data) }";

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
const summary = (samples: number[]) => {
  const sorted = [...samples].sort((a, b) => a - b);
  return `p50 ${percentile(sorted, 50).toFixed(2)} ms, p99 ${percentile(sorted, 99).toFixed(2)} ms`;
};
const rssMiB = () => process.memoryUsage().rss / (1 << 20);

/** Echo latency writing straight to a PTY (the kernel's echo of `cat`'s terminal), in this process. */
async function directEchoLatency(): Promise<number[]> {
  let seen = "";
  const proc = Bun.spawn(["cat"], {
    env: { TERM: "xterm" },
    terminal: {
      cols: 80,
      rows: 24,
      data: (_t, bytes) => {
        seen += new TextDecoder().decode(bytes);
      },
    },
  });
  const samples: number[] = [];
  for (let i = 0; i < KEYSTROKES; i++) {
    const before = seen.length;
    const started = performance.now();
    proc.terminal?.write("a");
    while (seen.length === before) await new Promise((resolve) => setImmediate(resolve));
    samples.push(performance.now() - started);
  }
  proc.kill();
  await proc.exited;
  proc.terminal?.close();
  return samples;
}

/** A subscriber over graphql-ws counting what it receives; `write` sends a mutation over the same socket. */
function viewer(client: GraphqlClient, id: string) {
  const socket = client.socket();
  let received = 0;
  let exited = false;
  let onOutput = () => {};
  socket.client.subscribe<{ terminalOutput: { data: string; exited: boolean } }>(
    { query: OUTPUT, variables: { id } },
    {
      next: (result) => {
        received += result.data?.terminalOutput.data.length ?? 0;
        if (result.data?.terminalOutput.exited) exited = true;
        onOutput();
      },
      error: (error) => console.error("subscription failed", error),
      complete: () => {},
    },
  );
  const write = (data: string) =>
    new Promise<void>((resolve, reject) =>
      socket.client.subscribe({ query: WRITE, variables: { id, data } }, { next: () => {}, error: reject, complete: resolve }),
    );
  /** Resolves at the next output received. */
  const nextOutput = () =>
    new Promise<void>((resolve) => {
      onOutput = resolve;
    });
  return { received: () => received, exited: () => exited, write, nextOutput, dispose: () => socket.dispose() };
}

/** Keystroke-to-echo over the outpost-terminal socket: `i<key>` sent, timed until the next output frame. */
async function rawSocketEchoLatency(url: string, client: GraphqlClient, id: string): Promise<number[]> {
  const ws = new WebSocket(`${url.replace("http", "ws")}/terminals/socket`, {
    protocols: ["outpost-terminal"],
    headers: { authorization: `Bearer ${client.accessToken}` },
  } as unknown as string[]);
  let onOutput = () => {};
  ws.onmessage = () => onOutput();
  await new Promise((resolve) => {
    ws.onopen = resolve;
  });
  const nextFrame = () =>
    new Promise<void>((resolve) => {
      onOutput = resolve;
    });
  const replayed = nextFrame();
  ws.send(`a${id}`);
  await replayed;
  const samples: number[] = [];
  for (let i = 0; i < KEYSTROKES; i++) {
    const echoed = nextFrame();
    const started = performance.now();
    ws.send("ia");
    await echoed;
    samples.push(performance.now() - started);
  }
  ws.close();
  return samples;
}

/** Characters of output received over the outpost-terminal socket until the terminal's end frame. */
async function rawSocketOutputUntilExit(url: string, client: GraphqlClient, id: string): Promise<number> {
  const ws = new WebSocket(`${url.replace("http", "ws")}/terminals/socket`, {
    protocols: ["outpost-terminal"],
    headers: { authorization: `Bearer ${client.accessToken}` },
  } as unknown as string[]);
  let received = 0;
  const ended = new Promise<void>((resolve, reject) => {
    ws.onmessage = (message) => {
      const frame = String(message.data);
      if (frame[0] === "o" || frame[0] === "r") received += frame.length - 1;
      if (frame[0] === "x") resolve();
      if (frame[0] === "e") reject(new Error(frame));
    };
    ws.onclose = () => reject(new Error("the terminal socket closed before the end"));
  });
  await new Promise((resolve) => {
    ws.onopen = resolve;
  });
  ws.send(`a${id}`);
  await ended;
  ws.close();
  return received;
}

const work = mkdtempSync(join(tmpdir(), "outpost-terminals-bench-"));
const server = await startTestApp({ config: { rateLimitApiPerMinute: 10_000_000, terminalsMaxPerUser: 64, terminalsMaxTotal: 64 } });
try {
  const admin = await server.admin();
  const open = async (command: string | null) =>
    (
      await admin.data<{ openTerminal: { id: string } }>("mutation ($c: String) { openTerminal(cols: 80, rows: 24, command: $c) { id } }", {
        c: command,
      })
    ).openTerminal.id;

  // Memory: 20 open login shells, nobody watching.
  Bun.gc(true);
  const before = rssMiB();
  for (let i = 0; i < SESSIONS; i++) await open(null);
  // Measured once every shell has started and printed something (its prompt).
  const started20 = async () =>
    (
      await admin.data<{ terminals: { createdAt: string; lastActivityAt: string }[] }>("{ terminals { createdAt lastActivityAt } }")
    ).terminals.filter((t) => t.lastActivityAt > t.createdAt).length >= SESSIONS;
  while (!(await started20())) await new Promise((resolve) => setTimeout(resolve, 100));
  Bun.gc(true);
  console.log(
    `RSS with ${SESSIONS} open shells: +${(rssMiB() - before).toFixed(1)} MiB (server process; the shells are their own processes)`,
  );

  // Latency: each keystroke is written over the socket and timed until its echo arrives.
  const direct = await directEchoLatency();
  const catId = await open("cat");
  const typing = await server.listening("terminal.output", () => viewer(admin, catId));
  const overSocket: number[] = [];
  for (let i = 0; i < KEYSTROKES; i++) {
    const echoed = typing.nextOutput();
    const started = performance.now();
    await Promise.all([typing.write("a"), echoed]);
    overSocket.push(performance.now() - started);
  }
  await typing.dispose();
  const raw = await rawSocketEchoLatency(server.url, admin, catId);
  console.log(
    `keystroke to echo, ${KEYSTROKES} keys: over graphql-ws ${summary(overSocket)}; over outpost-terminal ${summary(raw)}; PTY directly ${summary(direct)}`,
  );

  // Throughput: a large file through a terminal to one subscriber.
  const file = join(work, "big.txt");
  writeFileSync(file, `${"x".repeat(79)}\n`.repeat((FILE_MIB << 20) / 80));
  const plainStarted = performance.now();
  await Bun.spawn(["sh", "-c", `cat ${file} > /dev/null`]).exited;
  const plainSeconds = (performance.now() - plainStarted) / 1000;
  // Through the socket the UI uses (graphql-ws cuts a viewer that leaves 2 MiB unread, and a
  // reader in this same process cannot keep up with a flood).
  const flood = await open(`sleep 0.3; cat ${file}`);
  const started = performance.now();
  const received = await rawSocketOutputUntilExit(server.url, admin, flood);
  const seconds = (performance.now() - started) / 1000;
  console.log(
    `cat of ${FILE_MIB} MiB: through a terminal to one viewer on outpost-terminal ${seconds.toFixed(2)} s (${(FILE_MIB / seconds).toFixed(1)} MiB/s, ${(received / (1 << 20)).toFixed(0)} MiB received); to /dev/null ${plainSeconds.toFixed(3)} s`,
  );
} finally {
  await server.stop();
  rmSync(work, { recursive: true, force: true });
}
