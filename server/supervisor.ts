// The process supervisor: the one way Outpost runs child programs (user scripts, terminals,
// tunnel clients). Each child gets its own process group so a stop reaches its grandchildren, a
// clean environment so the server's secrets never leak, bounded output buffers, SIGTERM then
// SIGKILL on stop, and optional restart with exponential backoff. Time comes from the injected
// clock, and nothing is spawned until `start` is called (under qemu-user every spawn hangs, so the
// server must come up without one).

import type { FileSink, Subprocess, Terminal } from "bun";
import { withoutInheritedCapabilities } from "./child-capabilities";
import type { Clock } from "./clock";
import { ConflictError } from "./errors";
import type { Logger } from "./log";
import { findOsUser } from "./os-users";

export type OutputStream = "stdout" | "stderr";

/** When and how often a child that exits on its own is started again. */
export interface RestartPolicy {
  /** Wait before the first restart; doubles with each consecutive restart. */
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  /** After this many restarts the next exit is final. */
  maxRestarts?: number;
  /** A child that ran at least this long counts as healthy: the backoff starts over. */
  stableAfterMs?: number;
}

export interface ProcessSpec {
  /** Shown in logs and `list()`. */
  name: string;
  /** Program and arguments; no shell unless you run one (`["sh", "-c", script]`). */
  command: string[];
  cwd?: string;
  /** Added to the clean base environment (PATH, HOME, LANG); entries here win. */
  env?: Record<string, string>;
  /**
   * Run as this user of the box, not as Outpost's: its uid, gid and supplementary groups (through
   * `setpriv --init-groups`, as Bun's own uid/gid leave the groups out) and its HOME, USER and
   * LOGNAME. Only root may switch; `start` throws ConflictError when it cannot (no such user,
   * Outpost not root, no setpriv). The child's paths must be reachable by that user.
   */
  user?: string | null;
  /** "pipe" lets the caller `write` to the child; the default gives it /dev/null. */
  stdin?: "pipe" | "ignore";
  /**
   * Run under a pseudo-terminal instead of pipes (for terminals). Output then arrives as
   * "stdout" only, `write` types into the terminal, and TERM defaults to xterm-256color.
   */
  terminal?: { cols: number; rows: number };
  /** The first signal `stop` sends (SIGHUP suits shells, which ignore SIGTERM). */
  stopSignal?: NodeJS.Signals;
  /** Overrides the supervisor's `stopGraceMs` for this child. */
  stopGraceMs?: number;
  /** Overrides the supervisor's `maxOutputBytes` for this child. */
  maxOutputBytes?: number;
  /** Restart the child when it exits on its own; `{}` uses the defaults. */
  restart?: RestartPolicy;
  /**
   * Called with each chunk as it arrives; the chunk is the caller's to keep. A returned promise
   * holds back reading that stream until it settles: its pipe fills and the child blocks on its
   * next write, as under `prog | less` (pipes only; a terminal's output is never held back).
   */
  onOutput?: (stream: OutputStream, chunk: Uint8Array) => void | Promise<void>;
  /** Called once per exit of the child, after its output has been drained. */
  onExit?: (exit: ProcessExit) => void;
}

export interface ProcessExit {
  /** The exit status, or null when a signal ended the child or it could not be started. */
  code: number | null;
  /** The signal that ended the child ("SIGKILL", or a number for unnamed signals), or null. */
  signal: NodeJS.Signals | number | null;
  /** True when `stop` (or `stopAll`) ended it rather than the child itself. */
  stopped: boolean;
  /** True when a restart follows, after `restartInMs`. */
  restarting: boolean;
  restartInMs: number | null;
  pid: number | null;
  /** Clock times in ms since the epoch. */
  startedAt: number;
  exitedAt: number;
  /** Why a restart could not spawn the program. */
  error?: string;
}

export type ProcessState = "running" | "restarting" | "stopping" | "exited";

export interface ProcessInfo {
  id: string;
  name: string;
  /** The current (or last) child's pid; null if a restart failed to spawn. */
  pid: number | null;
  state: ProcessState;
  restarts: number;
  startedAt: number;
  /** The latest exit, or null while the first child still runs. */
  exit: ProcessExit | null;
  /** All bytes written per stream; more than the kept tail means output was dropped. */
  outputBytes: Record<OutputStream, number>;
}

export interface SupervisedProcess {
  readonly id: string;
  readonly name: string;
  readonly pid: number | null;
  readonly state: ProcessState;
  readonly restarts: number;
  /** Resolves with the final exit: the one no restart follows. Never rejects. */
  readonly exited: Promise<ProcessExit>;
  info(): ProcessInfo;
  /** The last `maxOutputBytes` bytes of a stream, kept across restarts. */
  output(stream: OutputStream): Uint8Array;
  /** `output` decoded as UTF-8 (a multi-byte character cut by the tail becomes U+FFFD). */
  outputText(stream: OutputStream): string;
  /**
   * Sends input to the child's stdin (spec `stdin: "pipe"`) or terminal. Resolves once flushed.
   * Throws ConflictError when the child is not running; bytes a dying child cannot read are lost.
   */
  write(data: string | Uint8Array): Promise<void>;
  /** Closes the child's stdin (end of input). No-op without a pipe. */
  closeStdin(): void;
  /** Sets the terminal size (spec `terminal` only). */
  resize(cols: number, rows: number): void;
  /** Sends a signal to the child's whole process group; no-op when no child is running. */
  signal(signal: NodeJS.Signals): void;
  /**
   * Stops for good: cancels a pending restart, sends the stop signal to the process group, then
   * SIGKILL after `graceMs` (0: at once). Resolves with the final exit; at once if already exited.
   */
  stop(options?: { graceMs?: number }): Promise<ProcessExit>;
}

export interface Supervisor {
  /**
   * Spawns `spec.command` in a new process group with a clean environment and starts draining
   * its output. Throws when the program cannot be spawned (e.g. not found); nothing is registered then.
   */
  start(spec: ProcessSpec): SupervisedProcess;
  get(id: string): SupervisedProcess | undefined;
  /** Every live process and the most recent exited ones (`keepExited`), oldest first. */
  list(): ProcessInfo[];
  /** Stops every process (server shutdown); resolves when all are reaped. */
  stopAll(options?: { graceMs?: number }): Promise<ProcessExit[]>;
}

export interface SupervisorOptions {
  clock: Clock;
  log: Logger;
  maxOutputBytes?: number;
  stopGraceMs?: number;
  /** How many exited processes `list` and `get` still show; older ones are forgotten. */
  keepExited?: number;
  /** After a child exits, how long to wait for the rest of its output before giving up. */
  outputDrainMs?: number;
}

/** PATH for every child, unless its spec sets one: the server's own PATH is not passed on. */
export const DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/** The environment every child starts from: nothing of the server's own beyond HOME. */
function childEnvironment(spec: ProcessSpec, userEnv: Record<string, string>): Record<string, string> {
  return {
    PATH: DEFAULT_PATH,
    HOME: process.env.HOME || "/",
    LANG: "C.UTF-8",
    ...userEnv,
    ...(spec.terminal ? { TERM: "xterm-256color" } : {}),
    ...spec.env,
  };
}

/**
 * What starts `command` as `user` (ProcessSpec.user): the command behind setpriv and the user's
 * environment. Throws ConflictError, saying what to do, when it cannot be done.
 */
function asUser(user: string, command: string[]): { command: string[]; env: Record<string, string> } {
  const account = findOsUser(user);
  if (!account)
    throw new ConflictError(
      `There is no user "${user}" on this box to run as; create it (sudo useradd --system ${user}) or change run_as_user.`,
    );
  const env = { HOME: account.home, USER: account.name, LOGNAME: account.name };
  const self = process.getuid?.() ?? 0;
  if (account.uid === self) return { command, env };
  if (self !== 0)
    throw new ConflictError(`Outpost runs as uid ${self}, not root, so it cannot run programs as "${user}"; clear run_as_user.`);
  const setpriv = Bun.which("setpriv", { PATH: DEFAULT_PATH });
  if (!setpriv) throw new ConflictError(`Running as "${user}" needs setpriv, which is not installed; sudo apt install util-linux.`);
  return { command: [setpriv, `--reuid=${account.uid}`, `--regid=${account.gid}`, "--init-groups", "--", ...command], env };
}

/**
 * Keeps the last `capacityBytes` bytes written to it. The ring grows on demand up to the
 * capacity, so a child that prints little costs little.
 */
function createTailBuffer(capacityBytes: number) {
  let ring = new Uint8Array(0);
  let start = 0;
  let size = 0;
  let totalBytes = 0;

  const bytes = (): Uint8Array => {
    const out = new Uint8Array(size);
    const first = Math.min(size, ring.length - start);
    out.set(ring.subarray(start, start + first));
    out.set(ring.subarray(0, size - first), first);
    return out;
  };

  const push = (chunk: Uint8Array) => {
    totalBytes += chunk.length;
    if (capacityBytes <= 0 || chunk.length === 0) return;
    if (chunk.length >= capacityBytes) {
      if (ring.length < capacityBytes) ring = new Uint8Array(capacityBytes);
      ring.set(chunk.subarray(chunk.length - capacityBytes));
      start = 0;
      size = capacityBytes;
      return;
    }
    if (size + chunk.length > ring.length && ring.length < capacityBytes) {
      const grown = new Uint8Array(Math.min(capacityBytes, Math.max(size + chunk.length, ring.length * 2, 4096)));
      grown.set(bytes());
      ring = grown;
      start = 0;
    }
    const end = (start + size) % ring.length;
    const first = Math.min(chunk.length, ring.length - end);
    ring.set(chunk.subarray(0, first), end);
    ring.set(chunk.subarray(first), 0);
    const overflow = size + chunk.length - ring.length;
    if (overflow > 0) {
      start = (start + overflow) % ring.length;
      size = ring.length;
    } else {
      size += chunk.length;
    }
  };

  return { push, bytes, total: () => totalBytes };
}

/** One spawned child: a supervised process has one at a time, a new one per restart. */
interface Child {
  proc: Subprocess;
  pid: number;
  startedAt: number;
  stdin: FileSink | null;
  terminal: Terminal | null;
  /** Resolves when every output stream has ended. */
  drained: Promise<void>;
  /** Stops reading (a process that left the group may hold a pipe open forever). */
  abandonOutput: () => void;
  /** Chunks read so far, and the reads the caller's `onOutput` holds back now: how the wait for the rest of the output tells progress. */
  reads: number;
  heldReads: number;
  exited: boolean;
  stopRequested: boolean;
  killAt: number;
  cancelKill: (() => void) | null;
}

/**
 * Creates a supervisor. Spawns nothing by itself: children start only through `start`.
 */
export function createSupervisor({
  clock,
  log,
  maxOutputBytes = 1 << 20,
  stopGraceMs = 5000,
  keepExited = 64,
  outputDrainMs = 2000,
}: SupervisorOptions): Supervisor {
  const processes = new Map<string, SupervisedProcess>();
  const exitedIds: string[] = [];

  /**
   * Signals a whole process group. A group already gone is fine; anything else (EPERM from a
   * setuid program in the group) is logged rather than thrown, so a stop or an exit report never fails.
   */
  const signalGroup = (pgid: number, signal: NodeJS.Signals, fields: Record<string, unknown>) => {
    try {
      process.kill(-pgid, signal);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ESRCH") log.warn("process group could not be signalled", { ...fields, signal, err });
    }
  };

  const forgetOldExited = (id: string) => {
    exitedIds.push(id);
    while (exitedIds.length > keepExited) {
      const oldest = exitedIds.shift();
      if (oldest !== undefined) processes.delete(oldest);
    }
  };

  const start = (spec: ProcessSpec): SupervisedProcess => {
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

    /** Hands a chunk on; returns what the caller's `onOutput` wants waited for before the next read. */
    const handleOutput = (stream: OutputStream, chunk: Uint8Array): void | Promise<void> => {
      tails[stream].push(chunk);
      if (!spec.onOutput) return;
      try {
        return spec.onOutput(stream, chunk);
      } catch (err) {
        log.error("process output handler failed", { process: name, id, err });
      }
    };

    /** Reads a pipe to its end, only as fast as `onOutput` lets it (a held-back pipe blocks the child). */
    const drainPipe = async (stream: ReadableStream<Uint8Array>, which: OutputStream, abandon: (() => void)[], running: () => Child) => {
      const reader = stream.getReader();
      abandon.push(() => void reader.cancel().catch(() => {}));
      try {
        for (;;) {
          const { done, value } = await reader.read();
          if (done) return;
          running().reads++;
          const held = handleOutput(which, value);
          if (!held) continue;
          running().heldReads++;
          await held.catch((err) => log.error("process output handler failed", { process: name, id, err }));
          running().heldReads--;
        }
      } catch {
        // A cancelled or broken pipe just ends the output.
      }
    };

    /** The spawn itself, with a pseudo-terminal or with pipes; output starts flowing at once. */
    const command = withoutInheritedCapabilities(spec.command);
    const identity = spec.user ? asUser(spec.user, command) : { command, env: {} };
    const spawnIo = (env: Record<string, string>, abandon: (() => void)[], running: () => Child) => {
      if (spec.terminal) {
        let ptyClosed: () => void = () => {};
        const drained = new Promise<void>((resolve) => {
          ptyClosed = resolve;
        });
        abandon.push(() => ptyClosed());
        const proc = Bun.spawn(identity.command, {
          cwd: spec.cwd,
          env,
          detached: true,
          terminal: {
            cols: spec.terminal.cols,
            rows: spec.terminal.rows,
            data: (_terminal, bytes) => handleOutput("stdout", bytes),
            exit: () => ptyClosed(),
          },
        });
        return { proc, stdin: null, terminal: proc.terminal ?? null, drained };
      }
      const proc = Bun.spawn(identity.command, {
        cwd: spec.cwd,
        env,
        detached: true,
        stdin: spec.stdin ?? "ignore",
        stdout: "pipe",
        stderr: "pipe",
      });
      const drained = Promise.all([
        drainPipe(proc.stdout, "stdout", abandon, running),
        drainPipe(proc.stderr, "stderr", abandon, running),
      ]).then(() => {});
      return { proc, stdin: proc.stdin ?? null, terminal: null, drained };
    };

    const spawnChild = (): Child => {
      const abandon: (() => void)[] = [];
      // The pipes are read from the first tick on, after `spawned` below is set.
      const io = spawnIo(childEnvironment(spec, identity.env), abandon, () => spawned);
      const spawned: Child = {
        ...io,
        pid: io.proc.pid,
        startedAt: clock.now(),
        abandonOutput: () => {
          for (const stopReading of abandon) stopReading();
        },
        reads: 0,
        heldReads: 0,
        exited: false,
        stopRequested: false,
        killAt: Number.POSITIVE_INFINITY,
        cancelKill: null,
      };
      return spawned;
    };

    const launch = (initial: boolean): void => {
      cancelRestart = null;
      let started: Child;
      try {
        started = spawnChild();
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
      signalGroup(running.pid, "SIGKILL", { process: name, id });
      await outputEnd(running);
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

    /**
     * Waits for the rest of an exited child's output. Reading stops after `outputDrainMs` without
     * a chunk read (a process that left the group holds the pipe), but not while `onOutput` holds
     * reads back: what is left in the pipe is then waiting for the caller, who bounds that wait.
     */
    const outputEnd = async (running: Child) => {
      let readsBefore = -1;
      const stalled = () => running.reads === readsBefore && running.heldReads === 0;
      let cancelWait = () => {};
      const abandoned = new Promise<void>((resolve) => {
        const check = () => {
          if (stalled()) return resolve(running.abandonOutput());
          readsBefore = running.reads;
          cancelWait = clock.setTimer(check, outputDrainMs);
        };
        check();
      });
      await Promise.race([running.drained, abandoned.then(() => running.drained)]);
      cancelWait();
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
      forgetOldExited(id);
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
        if (child && !child.exited) signalGroup(child.pid, signal, { process: name, id });
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
          signalGroup(running.pid, spec.stopSignal ?? "SIGTERM", { process: name, id });
        }
        const killAt = clock.now() + Math.max(0, graceMs);
        if (killAt < running.killAt) {
          running.killAt = killAt;
          running.cancelKill?.();
          const kill = () => {
            if (running.exited) return;
            log.warn("process did not stop in time; killing it", { process: name, id, pid: running.pid, graceMs });
            signalGroup(running.pid, "SIGKILL", { process: name, id });
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
    processes.set(id, supervised);
    return supervised;
  };

  return {
    start,
    get: (id) => processes.get(id),
    list: () => [...processes.values()].map((p) => p.info()),
    stopAll: (options) => Promise.all([...processes.values()].map((p) => p.stop(options))),
  };
}
