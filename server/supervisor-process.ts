// One supervised process: its child's life from spawn to exit, restarts with exponential backoff,
// and what callers do with it while it lives (write, resize, signal, stop with SIGTERM then
// SIGKILL to its group). The supervisor (supervisor.ts) starts these and keeps the list.
import { withoutInheritedCapabilities } from "./child-capabilities";
import { ConflictError } from "./errors";
import type { OutputStream, ProcessExit, ProcessSpec, ProcessState, SupervisedProcess, SupervisorOptions } from "./supervisor";
import { asUser, childEnvironment } from "./supervisor-environment";
import { createTailBuffer, outputEnd } from "./supervisor-output";
import { type Child, signalGroup, spawnChild } from "./supervisor-spawn";

export interface SupervisedProcessOptions extends Required<Omit<SupervisorOptions, "keepExited">> {
  /** Told once the process has exited for good (no restart follows). */
  onFinalExit: (id: string) => void;
}

/**
 * Spawns `spec.command` (see Supervisor.start) and supervises it until it exits for good. Throws
 * when the first child cannot be spawned, or ConflictError when it cannot run as `spec.user`.
 */
export function startSupervisedProcess(
  spec: ProcessSpec,
  { clock, log, maxOutputBytes, stopGraceMs, outputDrainMs, onFinalExit }: SupervisedProcessOptions,
): SupervisedProcess {
  const id = crypto.randomUUID();
  const name = spec.name;
  const outputCapacity = spec.maxOutputBytes ?? maxOutputBytes;
  const tails: Record<OutputStream, ReturnType<typeof createTailBuffer>> = {
    stdout: createTailBuffer(outputCapacity),
    stderr: createTailBuffer(outputCapacity),
  };
  const policy = spec.restart
    ? {
        initialBackoffMs: spec.restart.initialBackoffMs ?? 1000,
        maxBackoffMs: spec.restart.maxBackoffMs ?? 60_000,
        maxRestarts: spec.restart.maxRestarts ?? Number.POSITIVE_INFINITY,
        stableAfterMs: spec.restart.stableAfterMs ?? 30_000,
      }
    : null;

  let state: ProcessState = "running";
  let child: Child | null = null;
  let restarts = 0;
  let consecutiveRestarts = 0;
  let lastStartedAt = clock.now();
  let lastPid: number | null = null;
  let lastExit: ProcessExit | null = null;
  let cancelRestart: (() => void) | null = null;
  let resolveFinal: (exit: ProcessExit) => void = () => {};
  const finalExit = new Promise<ProcessExit>((resolve) => {
    resolveFinal = resolve;
  });

  const signalChildGroup = (pgid: number, signal: NodeJS.Signals) => signalGroup(log, pgid, signal, { process: name, id });
  const outputHandlerFailed = (err: unknown) => log.error("process output handler failed", { process: name, id, err });

  /** Hands a chunk on; returns what the caller's `onOutput` wants waited for before the next read. */
  const handleOutput = (stream: OutputStream, chunk: Uint8Array): void | Promise<void> => {
    tails[stream].push(chunk);
    if (!spec.onOutput) return;
    try {
      return spec.onOutput(stream, chunk);
    } catch (err) {
      outputHandlerFailed(err);
    }
  };

  const command = withoutInheritedCapabilities(spec.command);
  const identity = spec.user ? asUser(spec.user, command) : { command, env: {} };

  const launch = (initial: boolean): void => {
    cancelRestart = null;
    let started: Child;
    try {
      started = spawnChild({
        spec,
        command: identity.command,
        env: childEnvironment(spec, identity.env),
        clock,
        onOutput: handleOutput,
        onOutputError: outputHandlerFailed,
      });
    } catch (err) {
      if (initial) throw err;
      // A restart that cannot spawn (program removed, cwd gone) counts as an exit, so the
      // backoff and maxRestarts still apply instead of the error escaping from a timer.
      log.error("process could not be restarted", { process: name, id, err });
      lastStartedAt = clock.now();
      lastPid = null;
      finishRun({ code: null, signal: null, stopped: false, pid: null, startedAt: lastStartedAt, error: String(err) }, 0);
      return;
    }
    child = started;
    lastStartedAt = started.startedAt;
    lastPid = started.pid;
    state = "running";
    log.info("process started", { process: name, id, pid: started.pid, restarts });
    void watch(started);
  };

  const watch = async (running: Child) => {
    await running.proc.exited;
    running.exited = true;
    running.cancelKill?.();
    // The leader is what we supervise; whatever it left behind in its group is an orphan that
    // would keep holding the output pipes (and ports), so it goes with it.
    signalChildGroup(running.pid, "SIGKILL");
    await outputEnd(running, { clock, outputDrainMs });
    running.terminal?.close();
    child = null;
    finishRun(
      {
        code: running.proc.exitCode,
        signal: running.proc.signalCode,
        stopped: running.stopRequested,
        pid: running.pid,
        startedAt: running.startedAt,
      },
      clock.now() - running.startedAt,
    );
  };

  /** Records one exit, then either schedules the restart or settles the final exit. */
  const finishRun = (run: Omit<ProcessExit, "restarting" | "restartInMs" | "exitedAt">, ranMs: number) => {
    let restartInMs: number | null = null;
    if (policy && !run.stopped && restarts < policy.maxRestarts) {
      if (ranMs >= policy.stableAfterMs) consecutiveRestarts = 0;
      restartInMs = Math.min(policy.maxBackoffMs, policy.initialBackoffMs * 2 ** consecutiveRestarts);
      consecutiveRestarts++;
    }
    const exit: ProcessExit = { ...run, restarting: restartInMs !== null, restartInMs, exitedAt: clock.now() };
    lastExit = exit;
    const fields = { process: name, id, pid: exit.pid, code: exit.code, signal: exit.signal, restarts };
    if (exit.stopped || exit.code === 0) log.info("process exited", fields);
    else log.warn("process exited", fields);

    if (restartInMs !== null) {
      state = "restarting";
      log.info("process restarting", { process: name, id, delayMs: restartInMs, restarts });
      cancelRestart = clock.setTimer(() => {
        restarts++;
        launch(false);
      }, restartInMs);
    } else {
      if (policy && !exit.stopped) log.warn("process gave up restarting", { process: name, id, restarts });
      settle(exit);
    }
    if (spec.onExit) {
      try {
        spec.onExit(exit);
      } catch (err) {
        log.error("process exit handler failed", { process: name, id, err });
      }
    }
  };

  const settle = (exit: ProcessExit) => {
    state = "exited";
    onFinalExit(id);
    resolveFinal(exit);
  };

  const requireRunning = (): Child => {
    if (!child || child.exited) throw new ConflictError(`The process "${name}" is not running.`);
    return child;
  };

  const supervised: SupervisedProcess = {
    id,
    name,
    get pid() {
      return lastPid;
    },
    get state() {
      return state;
    },
    get restarts() {
      return restarts;
    },
    exited: finalExit,
    info: () => ({
      id,
      name,
      pid: lastPid,
      state,
      restarts,
      startedAt: lastStartedAt,
      exit: lastExit,
      outputBytes: { stdout: tails.stdout.total(), stderr: tails.stderr.total() },
    }),
    output: (stream) => tails[stream].bytes(),
    outputText: (stream) => new TextDecoder().decode(tails[stream].bytes()),
    async write(data) {
      const running = requireRunning();
      if (running.terminal) {
        running.terminal.write(data);
        return;
      }
      if (!running.stdin) throw new Error(`The process "${name}" was started without stdin: "pipe".`);
      try {
        await running.stdin.write(data);
        await running.stdin.flush();
      } catch (err) {
        // EPIPE: the child closed its stdin or died; its exit is reported the usual way.
        log.debug("process stdin write failed", { process: name, id, err });
      }
    },
    closeStdin() {
      if (!child?.stdin || child.exited) return;
      try {
        void Promise.resolve(child.stdin.end()).catch(() => {});
      } catch {
        // Already closed.
      }
    },
    resize(cols, rows) {
      const running = requireRunning();
      if (!running.terminal) throw new Error(`The process "${name}" has no terminal to resize.`);
      running.terminal.resize(cols, rows);
    },
    signal(signal) {
      if (child && !child.exited) signalChildGroup(child.pid, signal);
    },
    stop({ graceMs = spec.stopGraceMs ?? stopGraceMs } = {}) {
      if (state === "exited") return finalExit;
      if (state === "restarting" && lastExit) {
        cancelRestart?.();
        cancelRestart = null;
        log.info("process restart cancelled", { process: name, id });
        settle({ ...lastExit, stopped: true, restarting: false, restartInMs: null });
        return finalExit;
      }
      state = "stopping";
      const running = child;
      if (!running) return finalExit;
      if (running.exited) {
        // Exited but not yet reported (its output is still draining): only rule out a restart.
        running.stopRequested = true;
        return finalExit;
      }
      if (!running.stopRequested) {
        running.stopRequested = true;
        signalChildGroup(running.pid, spec.stopSignal ?? "SIGTERM");
      }
      const killAt = clock.now() + Math.max(0, graceMs);
      if (killAt < running.killAt) {
        running.killAt = killAt;
        running.cancelKill?.();
        const kill = () => {
          if (running.exited) return;
          log.warn("process did not stop in time; killing it", { process: name, id, pid: running.pid, graceMs });
          signalChildGroup(running.pid, "SIGKILL");
        };
        if (graceMs <= 0) {
          running.cancelKill = null;
          kill();
        } else {
          running.cancelKill = clock.setTimer(kill, graceMs);
        }
      }
      return finalExit;
    },
  };

  launch(true);
  return supervised;
}
