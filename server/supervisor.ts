// The process supervisor: the one way Outpost runs child programs (user scripts, terminals,
// tunnel clients). Each child gets its own process group so a stop reaches its grandchildren, a
// clean environment so the server's secrets never leak, bounded output buffers, SIGTERM then
// SIGKILL on stop, and optional restart with exponential backoff. Time comes from the injected
// clock, and nothing is spawned until `start` is called (under qemu-user every spawn hangs, so the
// server must come up without one). This file holds its contract and the list of processes; one
// process's life is in supervisor-process.ts, spawning and signalling in supervisor-spawn.ts,
// output in supervisor-output.ts, the environment and run-as-user in supervisor-environment.ts.

import type { Clock } from "./clock";
import type { Logger } from "./log";
import { startSupervisedProcess } from "./supervisor-process";

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
   * LOGNAME, with no-new-privileges set (sudo and setuid programs raise nothing). Only root may
   * switch; `start` throws ConflictError when it cannot (no such user, Outpost not root, no
   * setpriv). The child's paths must be reachable by that user.
   */
  user?: string | null;
  /** "pipe" lets the caller `write` to the child; the default gives it /dev/null. */
  stdin?: "pipe" | "ignore";
  /**
   * Its command lines, and those of everything it starts in its session, are what a person typed
   * (shell commands, terminals): the host's process list shows them only to those who may run
   * shell commands (`confidentialSessions`).
   */
  confidential?: boolean;
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
  /**
   * The sessions of confidential children (`ProcessSpec.confidential`): each child leads its own,
   * so its session id is its pid, shared by whatever it starts. A session stays listed after its
   * leader ends, as long as anything it left runs: until `forgetEndedSessions` is told it is empty
   * (the kernel does not reuse its id meanwhile).
   */
  confidentialSessions(): ReadonlySet<number>;
  /** Drops sessions a scan of every process found empty. */
  forgetEndedSessions(ended: Iterable<number>): void;
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
  const confidentialSessions = new Set<number>();
  const exitedIds: string[] = [];

  const forgetOldExited = (id: string) => {
    exitedIds.push(id);
    while (exitedIds.length > keepExited) {
      const oldest = exitedIds.shift();
      if (oldest !== undefined) processes.delete(oldest);
    }
  };

  return {
    start(spec) {
      const supervised = startSupervisedProcess(spec, {
        clock,
        log,
        maxOutputBytes,
        stopGraceMs,
        outputDrainMs,
        onFinalExit: forgetOldExited,
      });
      processes.set(supervised.id, supervised);
      const pid = supervised.info().pid;
      if (spec.confidential && pid) confidentialSessions.add(pid);
      return supervised;
    },
    get: (id) => processes.get(id),
    list: () => [...processes.values()].map((p) => p.info()),
    confidentialSessions: () => confidentialSessions,
    forgetEndedSessions: (ended) => {
      for (const session of ended) confidentialSessions.delete(session);
    },
    stopAll: (options) => Promise.all([...processes.values()].map((p) => p.stop(options))),
  };
}
