// Runs across a crash: Outpost killed with SIGKILL while a run is running and another is queued,
// then started again on the same data directory, lists both as LOST, never as running forever.
import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { uploadProgram } from "../fixtures/program-archives";
import { graphqlClient, waitUntil } from "../harness/client";

const ROOT = join(import.meta.dir, "..", "..");
const PASSWORD = "restart-test-password";
const dataDir = mkdtempSync(join(tmpdir(), "outpost-runs-restart-"));
/** Process groups of runs the killed server left behind, ended after the test. */
const orphanGroups: number[] = [];
afterAll(() => {
  for (const pgid of orphanGroups) {
    try {
      process.kill(-pgid, "SIGKILL");
    } catch {
      // Already gone.
    }
  }
  rmSync(dataDir, { recursive: true, force: true });
});

/** `bun server/main.ts serve` on the data directory, in its own process; resolves once it listens. */
async function startOutpost() {
  const proc = Bun.spawn(
    [process.execPath, "server/main.ts", "serve", "--data", dataDir, "--port", "0", "--host", "127.0.0.1", "--runs-max-concurrent", "1"],
    { cwd: ROOT, env: { PATH: process.env.PATH ?? "/usr/bin:/bin", OUTPOST_ADMIN_PASSWORD: PASSWORD }, stdout: "ignore", stderr: "pipe" },
  );
  let stderr = "";
  void (async () => {
    const decoder = new TextDecoder();
    const reader = proc.stderr.getReader();
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) stderr += decoder.decode(chunk.value, { stream: true });
  })();
  await waitUntil(() => /listening on \S+/.test(stderr) || proc.exitCode !== null, 30_000, "Outpost to listen");
  const url = /listening on (\S+)/.exec(stderr)?.[1];
  if (!url) throw new Error(`Outpost did not start:\n${stderr}`);
  const login = await graphqlClient(url).data<{ login: { accessToken: string } }>(
    'mutation ($p: String!) { login(username: "admin", password: $p) { accessToken } }',
    { p: PASSWORD },
  );
  return { proc, client: graphqlClient(url, login.login.accessToken) };
}

test("runs left running or queued by a killed server are LOST after it starts again", async () => {
  const first = await startOutpost();
  const upload = await uploadProgram(first.client, new File(['echo "pid $$"\nsleep 1000\n'], "long.sh"));
  const programId = upload.data?.uploadProgram.id as string;
  const start = async () =>
    (
      await first.client.data<{ startRun: { id: string; status: string } }>(
        "mutation ($p: ID!) { startRun(programId: $p) { id status } }",
        { p: programId },
      )
    ).startRun;
  const running = await start();
  const queued = await start();
  expect([running.status, queued.status]).toEqual(["RUNNING", "QUEUED"]);
  const outputOf = async () =>
    (
      await first.client.data<{ run: { output: { text: string | null }[] } }>("query ($id: ID!) { run(id: $id) { output { text } } }", {
        id: running.id,
      })
    ).run.output
      .map((c) => c.text ?? "")
      .join("");
  // The run leads its own process group, which outlives the killed server: the test ends it.
  let text = "";
  for (const deadline = Date.now() + 10_000; !/pid \d+/.test(text) && Date.now() < deadline; ) text = await outputOf();
  const pid = Number(/pid (\d+)/.exec(text)?.[1]);
  expect(pid).toBeGreaterThan(0);
  orphanGroups.push(pid);

  first.proc.kill("SIGKILL");
  await first.proc.exited;

  const second = await startOutpost();
  try {
    const runs = await second.client.data<{ runs: { nodes: { id: string; status: string; finishedAt: string | null }[] } }>(
      "{ runs { nodes { id status finishedAt } } }",
    );
    expect(runs.runs.nodes.map((r) => [r.id, r.status])).toEqual([
      [queued.id, "LOST"],
      [running.id, "LOST"],
    ]);
    expect(runs.runs.nodes.every((r) => r.finishedAt !== null)).toBe(true);
  } finally {
    second.proc.kill("SIGTERM");
    await second.proc.exited;
  }
}, 60_000);
