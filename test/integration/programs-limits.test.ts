// What bounds runs: the exec rate shared by programs' runs and shell commands, per user, and how
// long finished runs stay in the history (by count and by age), with their output files.
import { describe, expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { createManualClock } from "../../server/clock";
import { uploadProgram } from "../fixtures/program-archives";
import { startTestApp } from "../harness/app";
import { codes, waitUntil } from "../harness/client";

describe("the exec rate", () => {
  test("past rate_limit_exec_per_minute a user's next run or command is refused with LIMIT_EXCEEDED until the rate allows one more; others still run", async () => {
    // Time stands still, so the bucket refills only when the test moves the clock. 10 a minute: it holds 5.
    const clock = createManualClock(Date.now());
    await using server = await startTestApp({ clock, config: { rateLimitExecPerMinute: 10 } });
    const admin = await server.admin();
    const other = await server.userWithRole("admin");
    const EXEC = 'mutation { exec(command: "true") { id } }';
    const script = (await uploadProgram(admin, new File(["true\n"], "quick.sh"))).data?.uploadProgram.id as string;
    const START = "mutation ($p: ID!) { startRun(programId: $p) { id } }";

    for (let i = 0; i < 3; i++) await admin.data(EXEC);
    for (let i = 0; i < 2; i++) await admin.data(START, { p: script });
    const refused = await admin.request(EXEC);
    expect(codes(refused)).toEqual(["LIMIT_EXCEEDED"]);
    expect(refused.errors?.[0]?.extensions?.retryAfterSeconds).toBe(6);
    // Programs' runs and shell commands draw on the same rate.
    expect(codes(await admin.request(START, { p: script }))).toEqual(["LIMIT_EXCEEDED"]);
    // Another user has a rate of their own.
    await other.data(EXEC);

    await clock.advance(6000);
    await admin.data(EXEC);
    expect(codes(await admin.request(EXEC))).toEqual(["LIMIT_EXCEEDED"]);
    // A refused start left no run behind: the admin's six and the other's one.
    const { runs } = await admin.data<{ runs: { nodes: unknown[] } }>("{ runs(first: 200) { nodes { id } } }");
    expect(runs.nodes).toHaveLength(7);
  });
});

describe("history retention", () => {
  test("beyond runs_keep and past runs_keep_days finished runs leave the history with their output; a running one stays", async () => {
    const hour = 3_600_000;
    const clock = createManualClock(Date.now());
    await using server = await startTestApp({
      clock,
      // A long run outlives the days the clock passes; samples once an hour spare the clock's steps.
      config: { runsKeep: 2, runsKeepDays: 1, runsMaxTimeoutSeconds: 7 * 86_400, metricsIntervalSeconds: 3600 },
    });
    let admin = await server.admin();
    const exec = async (command: string) =>
      (
        await admin.data<{ exec: { id: string } }>("mutation ($c: String!) { exec(command: $c, timeoutSeconds: 604800) { id } }", {
          c: command,
        })
      ).exec.id;
    const runStatus = async (id: string) =>
      (await admin.data<{ run: { status: string } | null }>("query ($id: ID!) { run(id: $id) { status } }", { id })).run?.status;
    const finishedRun = async () => {
      const id = await exec("echo kept");
      await waitUntil(async () => (await runStatus(id)) === "SUCCEEDED", 15_000, `run ${id} to finish`);
      // Runs a second apart, so "newest" is clear.
      await clock.advance(1000);
      return id;
    };
    const history = async () =>
      (await admin.data<{ runs: { nodes: { id: string }[] } }>("{ runs(first: 200) { nodes { id } } }")).runs.nodes.map((n) => n.id);
    const outputKept = (id: string) => existsSync(join(server.dataDir, "runs", `${id}.out`));
    /** Moves the clock by `ms` and waits for the hourly retention job it brings due to finish. */
    const passTime = async (ms: number) => {
      const retention = () => server.app.jobs.list().find((job) => job.name === "runs.retention");
      const before = retention()?.runs ?? 0;
      await clock.advance(ms);
      await waitUntil(() => (retention()?.runs ?? 0) > before && !retention()?.running, 10_000, "the retention job to run");
      // Hours later the access token has expired: sign in again, as a returning user would.
      admin = await server.admin();
    };

    const [a, b, c] = [await finishedRun(), await finishedRun(), await finishedRun()];
    const running = await exec("sleep 1000");
    await waitUntil(async () => (await runStatus(running)) === "RUNNING", 15_000, "the long run to start");
    expect([a, b, c].every(outputKept)).toBe(true);

    // By count: the two newest finished runs stay; the running one takes no place among them.
    await passTime(hour);
    expect(await history()).toEqual([running, c, b]);
    expect(await runStatus(a)).toBeUndefined();
    expect(outputKept(a)).toBe(false);
    expect([b, c].every(outputKept)).toBe(true);

    // By age: a day later b and c are gone though under the count; a run from since stays, and so
    // does the running one, older than a day itself.
    await passTime(22 * hour);
    const d = await finishedRun();
    await passTime(2 * hour);
    expect(await history()).toEqual([d, running]);
    expect([b, c].some(outputKept)).toBe(false);
    expect(outputKept(d)).toBe(true);

    // Once it ends, the long run is past the age too.
    await admin.data("mutation ($id: ID!) { cancelRun(id: $id) { id } }", { id: running });
    await passTime(hour);
    expect(await history()).toEqual([d]);
    expect(outputKept(running)).toBe(false);
  }, 60_000);
});
