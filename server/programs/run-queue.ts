// Runs from the moment they are accepted until they end: a bounded number run at once (the rest
// wait, QUEUED), each a supervised process in its own process group, stopped with SIGTERM then
// SIGKILL on cancel, timeout or shutdown. While a run lasts its output is published as
// `run.output` events and kept (head and tail); when it ends the kept output goes to its file,
// its row is settled and the next queued run starts.
import type { Clock } from "../clock";
import type { WriteBatcher } from "../db";
import { LimitExceededError } from "../errors";
import type { EventBus } from "../events";
import type { Logger } from "../log";
import type { SupervisedProcess, Supervisor } from "../supervisor";
import { createRunOutput, type RunOutputEvent, type RunOutputFiles } from "./run-output";
import type { OutputReader } from "./run-output-reader";
import type { Run, RunStatus, RunStore } from "./run-store";

/** A run that is queued or running, with what it needs until it ends. */
export interface ActiveRun {
  run: Run;
  command: string[];
  cwd: string;
  env: Record<string, string>;
  stdin: string | null;
  output: ReturnType<typeof createRunOutput>;
  process: SupervisedProcess | null;
  /** Set by cancel or the timeout: what the run ends as when its process exits. */
  endAs: RunStatus | null;
  /** Its live subscribers' backlogs: reading the program's output waits while one is full. */
  readers: Set<OutputReader>;
  /** Resolves once the run is being stopped: its last output no longer waits for subscribers. */
  stopRequested: Promise<void>;
  stopWaitingForReaders: () => void;
  cancelTimeout: () => void;
  finished: Promise<void>;
  finish: () => void;
}

export interface RunQueueOptions {
  store: RunStore;
  supervisor: Supervisor;
  events: EventBus;
  writes: WriteBatcher;
  clock: Clock;
  log: Logger;
  outputFiles: RunOutputFiles;
  maxConcurrent: number;
  /** Output kept per run: this much of its beginning and this much of its end. */
  keptHeadBytes: number;
  keptTailBytes: number;
  /** How long a cancelled or timed-out run has between SIGTERM and SIGKILL. */
  stopGraceMs: number;
  /** The user runs run as (Outpost as root dropping its privileges), or null for Outpost's own. */
  runAsUser: string | null;
}

/** The queue and the slots of runs; spawns nothing until a run is submitted. */
export function createRunQueue({
  store,
  supervisor,
  events,
  writes,
  clock,
  log,
  outputFiles,
  maxConcurrent,
  keptHeadBytes,
  keptTailBytes,
  stopGraceMs,
  runAsUser,
}: RunQueueOptions) {
  const active = new Map<string, ActiveRun>();
  const queue: ActiveRun[] = [];
  let running = 0;
  let stopping = false;

  const publish = (event: RunOutputEvent) => events.publish("run.output", event);
  const publishState = (run: Run) => events.publish("run.changed", run);

  const pump = () => {
    while (running < maxConcurrent && queue.length > 0) {
      const next = queue.shift();
      if (next) launch(next);
    }
  };

  const launch = (entry: ActiveRun) => {
    running++;
    const startedAt = clock.now();
    entry.run = { ...entry.run, status: "RUNNING", startedAt: new Date(startedAt) };
    void writes
      .run(() => store.started(entry.run.id, startedAt))
      .catch((err) => log.error("run start not recorded", { runId: entry.run.id, err }));
    publishState(entry.run);
    try {
      entry.process = supervisor.start({
        name: `run ${entry.run.id}`,
        command: entry.command,
        cwd: entry.cwd,
        env: entry.env,
        stdin: entry.stdin === null ? "ignore" : "pipe",
        user: runAsUser,
        // A shell command is what its user typed: the process list hides it like the run itself.
        confidential: entry.run.kind === "COMMAND",
        // The run keeps its own head and tail; the supervisor need not keep a copy.
        maxOutputBytes: 0,
        stopGraceMs,
        onOutput: (stream, bytes) => {
          const chunk = entry.output.append(stream, bytes);
          if (chunk) publish({ runId: entry.run.id, ...chunk });
          return readersCaughtUp(entry);
        },
        onExit: (exit) => void end(entry, exit.code, exit.signal === null ? null : String(exit.signal), exit.error ?? null),
      });
    } catch (err) {
      log.warn("run could not start", { runId: entry.run.id, err });
      void end(entry, null, null, `The program could not be started: ${(err as Error).message}`);
      return;
    }
    entry.cancelTimeout = clock.setTimer(() => {
      entry.endAs ??= "TIMED_OUT";
      stopProcess(entry);
    }, entry.run.timeoutMs);
    if (entry.stdin !== null) {
      const process = entry.process;
      void process
        .write(entry.stdin)
        .then(() => process.closeStdin())
        .catch(() => {});
    }
  };

  /**
   * While a live subscriber's backlog is full, what the next read of the program's output waits
   * for: every such subscriber catching up (or being cut off after its stall limit), or the run
   * being stopped. Nothing when none is behind.
   */
  const readersCaughtUp = (entry: ActiveRun): Promise<void> | undefined => {
    const behind = [...entry.readers].filter((reader) => reader.full());
    if (behind.length === 0 || entry.endAs) return;
    return Promise.race([Promise.all(behind.map((reader) => reader.room())).then(() => {}), entry.stopRequested]);
  };

  /** Stops a running run's process (SIGTERM to its group, SIGKILL after the grace); its output no longer waits. */
  const stopProcess = (entry: ActiveRun) => {
    entry.stopWaitingForReaders();
    void entry.process?.stop();
  };

  /** Settles a run: its kept output to disk, its row, the end event; then the next queued run starts. */
  const end = async (entry: ActiveRun, exitCode: number | null, signal: string | null, error: string | null) => {
    entry.cancelTimeout();
    for (const chunk of entry.output.end()) publish({ runId: entry.run.id, ...chunk });
    const status: RunStatus = entry.endAs ?? (error ? "FAILED" : exitCode === 0 ? "SUCCEEDED" : "FAILED");
    const totals = entry.output.totals();
    const finishedAt = clock.now();
    const run: Run = {
      ...entry.run,
      status,
      exitCode,
      signal,
      error,
      finishedAt: new Date(finishedAt),
      stdoutBytes: totals.stdout,
      stderrBytes: totals.stderr,
      droppedBytes: totals.droppedBytes,
    };
    try {
      await outputFiles.save(run.id, entry.output.kept());
      await writes.run(() => store.finished(run, finishedAt));
    } catch (err) {
      log.error("run end not recorded", { runId: run.id, err });
    }
    entry.run = run;
    active.delete(run.id);
    running--;
    publish({ runId: run.id, seq: Number.MAX_SAFE_INTEGER, kind: "end", run });
    publishState(run);
    entry.finish();
    if (!stopping) pump();
  };

  return {
    /** Runs running now and waiting for a slot. */
    counts: () => ({ running, queued: queue.length }),

    /** The run, while it is queued or running. */
    get: (id: string): ActiveRun | undefined => active.get(id),

    isInUse: (programId: string): boolean => [...active.values()].some((a) => a.run.programId === programId),

    /**
     * Records a new run and queues it; it starts at once when a slot is free. Throws
     * LimitExceededError once the server is shutting down.
     */
    async submit(run: Run, spec: Pick<ActiveRun, "command" | "cwd" | "env" | "stdin">): Promise<Run> {
      if (stopping) throw new LimitExceededError("The server is shutting down; start the run again once it is back.");
      await writes.run(() => store.insert(run));
      let finish = () => {};
      const finished = new Promise<void>((resolve) => {
        finish = resolve;
      });
      let stopWaitingForReaders = () => {};
      const stopRequested = new Promise<void>((resolve) => {
        stopWaitingForReaders = resolve;
      });
      const entry: ActiveRun = {
        ...spec,
        run,
        output: createRunOutput({ headBytes: keptHeadBytes, tailBytes: keptTailBytes }),
        process: null,
        endAs: null,
        readers: new Set(),
        stopRequested,
        stopWaitingForReaders,
        cancelTimeout: () => {},
        finished,
        finish,
      };
      active.set(run.id, entry);
      queue.push(entry);
      publishState(run);
      pump();
      return entry.run;
    },

    /** Cancels a queued run at once, or stops a running one and waits for its end; nothing for a run that ended. */
    async cancel(id: string): Promise<void> {
      const entry = active.get(id);
      if (!entry) return;
      entry.endAs ??= "CANCELLED";
      const waiting = queue.indexOf(entry);
      if (waiting >= 0) {
        queue.splice(waiting, 1);
        running++;
        await end(entry, null, null, null);
      } else {
        stopProcess(entry);
        await entry.finished;
      }
    },

    /** Shutdown: nothing new starts; queued runs are cancelled and running ones stopped. */
    async stop(): Promise<void> {
      stopping = true;
      for (const entry of [...queue]) {
        entry.endAs = "CANCELLED";
        queue.splice(queue.indexOf(entry), 1);
        running++;
        await end(entry, null, null, null);
      }
      const finishing = [...active.values()].map((entry) => {
        entry.endAs ??= "CANCELLED";
        stopProcess(entry);
        return entry.finished;
      });
      await Promise.all(finishing);
    },
  };
}

export type RunQueue = ReturnType<typeof createRunQueue>;
