// Background jobs on a manual clock: periodic and one-shot runs, errors kept for the listing and
// logged (never thrown at the timer), no overlap of a slow run, nothing before start or after stop.
import { expect, test } from "bun:test";
import { createManualClock } from "../../server/clock";
import { createJobs } from "../../server/jobs";
import { createLogger } from "../../server/log";

function jobsOnManualClock() {
  const clock = createManualClock();
  const logs: string[] = [];
  const jobs = createJobs({ clock, log: createLogger({ level: "info", write: (line) => logs.push(line) }) });
  return { clock, jobs, logs };
}

test("a periodic job runs every interval from start, never before start", async () => {
  const { clock, jobs } = jobsOnManualClock();
  let runs = 0;
  jobs.every("count", 1000, () => runs++);
  await clock.advance(5000);
  expect(runs).toBe(0);
  jobs.start();
  await clock.advance(3500);
  expect(runs).toBe(3);
  expect(jobs.list()[0]).toMatchObject({ name: "count", kind: "every", runs: 3, lastError: null, nextRunAt: new Date(clock.now() + 500) });
  await jobs.stop();
});

test("runAtStart runs a job as start returns", async () => {
  const { jobs } = jobsOnManualClock();
  let runs = 0;
  jobs.every("early", 60_000, () => runs++, { runAtStart: true });
  jobs.start();
  expect(runs).toBe(1);
  await jobs.stop();
});

test("an error is logged and kept for the listing until a run succeeds; the job goes on", async () => {
  const { clock, jobs, logs } = jobsOnManualClock();
  let fail = true;
  jobs.every("flaky", 1000, () => {
    if (fail) throw new Error("disk on fire");
  });
  jobs.start();
  await clock.advance(1000);
  expect(jobs.list()[0]?.lastError).toBe("disk on fire");
  expect(logs.some((line) => line.includes("job failed") && line.includes("flaky"))).toBe(true);
  fail = false;
  await clock.advance(1000);
  expect(jobs.list()[0]).toMatchObject({ lastError: null, runs: 2 });
  await jobs.stop();
});

test("a slow run is not overlapped by the next tick, and stop waits for it", async () => {
  const { clock, jobs } = jobsOnManualClock();
  let running = 0;
  let most = 0;
  let finish: () => void = () => {};
  jobs.every("slow", 1000, async () => {
    running++;
    most = Math.max(most, running);
    await new Promise<void>((resolve) => {
      finish = resolve;
    });
    running--;
  });
  jobs.start();
  await clock.advance(3000);
  expect(most).toBe(1);
  expect(jobs.list()[0]?.running).toBe(true);
  const stopped = jobs.stop();
  finish();
  await stopped;
  expect(running).toBe(0);
});

test("a one-shot job keeps the earliest time asked for, runs once, and can be scheduled again by its run", async () => {
  const { clock, jobs } = jobsOnManualClock();
  const ranAt: number[] = [];
  const start = clock.now();
  const run = () => {
    ranAt.push(clock.now() - start);
    if (ranAt.length === 1) jobs.at("sweep", clock.now() + 40 * 86_400_000, run);
  };
  jobs.start();
  jobs.at("sweep", start + 5000, run);
  jobs.at("sweep", start + 9000, run);
  jobs.at("sweep", start + 2000, run);
  await clock.advance(10_000);
  expect(ranAt).toEqual([2000]);
  // 40 days: past setTimeout's range, and still on time.
  await clock.advance(40 * 86_400_000);
  expect(ranAt).toEqual([2000, 2000 + 40 * 86_400_000]);
  expect(jobs.list()[0]).toMatchObject({ kind: "at", runs: 2, nextRunAt: null });
  await jobs.stop();
});

test("nothing runs after stop", async () => {
  const { clock, jobs } = jobsOnManualClock();
  let runs = 0;
  jobs.every("tick", 1000, () => runs++);
  jobs.at("once", clock.now() + 500, () => runs++);
  jobs.start();
  await jobs.stop();
  await clock.advance(10_000);
  expect(runs).toBe(0);
  expect(clock.pendingTimers()).toBe(0);
});

test("a name is registered once", () => {
  const { jobs } = jobsOnManualClock();
  jobs.every("twice", 1000, () => {});
  expect(() => jobs.every("twice", 1000, () => {})).toThrow("registered twice");
});
