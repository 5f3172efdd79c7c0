// Named background jobs: periodic (`every`) and one-shot (`at`), on the injected clock. A job's
// error is logged and kept for the `jobs` listing, never thrown at the timer; a periodic job never
// overlaps itself; nothing runs before start() or after stop().
import type { Clock } from "./clock";
import type { Logger } from "./log";

export type JobRun = () => unknown;

export interface JobInfo {
  name: string;
  kind: "every" | "at";
  /** For periodic jobs. */
  intervalMs: number | null;
  lastRunAt: Date | null;
  lastDurationMs: number | null;
  nextRunAt: Date | null;
  /** The message of the last run's error; null after a run that succeeded. */
  lastError: string | null;
  runs: number;
  running: boolean;
}

export interface Jobs {
  /** Runs `run` every `intervalMs` from start (and once at start with `runAtStart`). A name is registered once. */
  every(name: string, intervalMs: number, run: JobRun, options?: { runAtStart?: boolean }): void;
  /**
   * Runs the one-shot job `name` at `atMs`. If it is already due earlier, the earlier time stands;
   * after it runs it waits until scheduled again (its run may schedule the next time).
   */
  at(name: string, atMs: number, run: JobRun): void;
  /** Every job with its last and next run. */
  list(): JobInfo[];
  /** Arms every job's timer. */
  start(): void;
  /** Cancels every timer and waits for runs in progress. */
  stop(): Promise<void>;
}

interface Job {
  info: JobInfo;
  run: JobRun;
  runAtStart: boolean;
  cancelTimer: (() => void) | null;
  inFlight: Promise<void> | null;
}

export function createJobs({ clock, log }: { clock: Clock; log: Logger }): Jobs {
  const jobs = new Map<string, Job>();
  let started = false;
  let stopped = false;

  const arm = (job: Job, atMs: number) => {
    job.cancelTimer?.();
    job.info.nextRunAt = new Date(atMs);
    job.cancelTimer = started && !stopped ? clock.setTimer(() => void execute(job), atMs - clock.now()) : null;
  };

  const execute = async (job: Job) => {
    job.cancelTimer = null;
    job.info.nextRunAt = null;
    if (job.info.kind === "every") arm(job, clock.now() + (job.info.intervalMs as number));
    if (job.inFlight) return;
    const startedAt = clock.now();
    job.info.running = true;
    let settle = () => {};
    job.inFlight = new Promise((resolve) => {
      settle = resolve;
    });
    try {
      await job.run();
      job.info.lastError = null;
    } catch (err) {
      job.info.lastError = err instanceof Error ? err.message : String(err);
      log.error("job failed", { job: job.info.name, err });
    } finally {
      job.info.running = false;
      job.info.runs += 1;
      job.info.lastRunAt = new Date(startedAt);
      job.info.lastDurationMs = clock.now() - startedAt;
      job.inFlight = null;
      settle();
    }
  };

  const register = (name: string, kind: JobInfo["kind"], intervalMs: number | null, run: JobRun, runAtStart: boolean) => {
    if (jobs.has(name)) throw new Error(`Job ${name} is registered twice.`);
    const job: Job = {
      info: {
        name,
        kind,
        intervalMs,
        lastRunAt: null,
        lastDurationMs: null,
        nextRunAt: null,
        lastError: null,
        runs: 0,
        running: false,
      },
      run,
      runAtStart,
      cancelTimer: null,
      inFlight: null,
    };
    jobs.set(name, job);
    return job;
  };

  return {
    every(name, intervalMs, run, { runAtStart = false } = {}) {
      if (!(intervalMs > 0)) throw new Error(`Job ${name} needs a positive interval.`);
      const job = register(name, "every", intervalMs, run, runAtStart);
      if (started && !stopped) {
        if (runAtStart) void execute(job);
        else arm(job, clock.now() + intervalMs);
      }
    },
    at(name, atMs, run) {
      const job = jobs.get(name) ?? register(name, "at", null, run, false);
      job.run = run;
      if (job.info.nextRunAt && job.info.nextRunAt.getTime() <= atMs) return;
      arm(job, atMs);
    },
    list: () => [...jobs.values()].map((job) => ({ ...job.info })),
    start() {
      if (started) return;
      started = true;
      for (const job of jobs.values()) {
        // A job that runs at start has run (up to its first await) when start returns.
        if (job.runAtStart) void execute(job);
        else if (job.info.kind === "every") arm(job, clock.now() + (job.info.intervalMs as number));
        else if (job.info.nextRunAt) arm(job, job.info.nextRunAt.getTime());
      }
    },
    async stop() {
      stopped = true;
      for (const job of jobs.values()) {
        job.cancelTimer?.();
        job.cancelTimer = null;
        job.info.nextRunAt = null;
      }
      await Promise.all([...jobs.values()].map((job) => job.inFlight));
    },
  };
}
