// Spawning one child of a supervised process, and signalling it. Every child starts in a new
// session (`detached`: pgid = pid), so a signal to its group reaches its grandchildren too. Its
// output, through a pseudo-terminal or pipes, starts flowing at once.
import type { FileSink, Subprocess, Terminal } from "bun";
import type { Clock } from "./clock";
import type { Logger } from "./log";
import type { OutputStream, ProcessSpec } from "./supervisor";
import { type ChildOutput, drainPipe } from "./supervisor-output";

/** One spawned child: a supervised process has one at a time, a new one per restart. */
export interface Child extends ChildOutput {
  proc: Subprocess;
  pid: number;
  startedAt: number;
  stdin: FileSink | null;
  terminal: Terminal | null;
  exited: boolean;
  stopRequested: boolean;
  killAt: number;
  cancelKill: (() => void) | null;
}

/**
 * Signals a whole process group. A group already gone is fine; anything else (EPERM from a
 * setuid program in the group) is logged rather than thrown, so a stop or an exit report never fails.
 */
export function signalGroup(log: Logger, pgid: number, signal: NodeJS.Signals, fields: Record<string, unknown>): void {
  try {
    process.kill(-pgid, signal);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ESRCH") log.warn("process group could not be signalled", { ...fields, signal, err });
  }
}

export interface SpawnChildOptions {
  spec: ProcessSpec;
  /** What runs: `spec.command`, or that behind setpriv (see asUser). */
  command: string[];
  env: Record<string, string>;
  clock: Clock;
  /** Takes each chunk; a promise it returns holds back reading that pipe until it settles. */
  onOutput: (stream: OutputStream, chunk: Uint8Array) => void | Promise<void>;
  /** Told when a promise from `onOutput` rejects. */
  onOutputError: (err: unknown) => void;
}

/** The spawn itself, with a pseudo-terminal or with pipes; output starts flowing at once. */
function spawnIo(
  { spec, command, env, onOutput, onOutputError }: SpawnChildOptions,
  abandon: (() => void)[],
  reading: () => ChildOutput,
): Pick<Child, "proc" | "stdin" | "terminal" | "drained"> {
  if (spec.terminal) {
    let ptyClosed: () => void = () => {};
    const drained = new Promise<void>((resolve) => {
      ptyClosed = resolve;
    });
    abandon.push(() => ptyClosed());
    const proc = Bun.spawn(command, {
      cwd: spec.cwd,
      env,
      detached: true,
      terminal: {
        cols: spec.terminal.cols,
        rows: spec.terminal.rows,
        data: (_terminal, bytes) => onOutput("stdout", bytes),
        exit: () => ptyClosed(),
      },
    });
    return { proc, stdin: null, terminal: proc.terminal ?? null, drained };
  }
  const proc = Bun.spawn(command, {
    cwd: spec.cwd,
    env,
    detached: true,
    stdin: spec.stdin ?? "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  const drain = (stream: OutputStream) =>
    drainPipe(proc[stream], { handle: (chunk) => onOutput(stream, chunk), reading, abandon, onHandlerError: onOutputError });
  const drained = Promise.all([drain("stdout"), drain("stderr")]).then(() => {});
  return { proc, stdin: proc.stdin ?? null, terminal: null, drained };
}

/** Spawns a child in its own process group. Throws when the program cannot be spawned (e.g. not found). */
export function spawnChild(options: SpawnChildOptions): Child {
  const abandon: (() => void)[] = [];
  // The pipes are read from the first tick on, after `spawned` below is set.
  const io = spawnIo(options, abandon, () => spawned);
  const spawned: Child = {
    ...io,
    pid: io.proc.pid,
    startedAt: options.clock.now(),
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
}
