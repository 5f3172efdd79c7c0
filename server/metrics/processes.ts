// The host's processes, read from /proc (status, stat and cmdline of each), with CPU shares from
// two readings, and signals to them with the refusals that keep the box and Outpost alive.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { ForbiddenError, InvalidInputError, NotFoundError } from "../errors";
import { readOsUsers } from "../os-users";

export interface ProcessInfo {
  pid: number;
  parentPid: number;
  user: string;
  /** The short name the kernel keeps (comm). */
  name: string;
  /** The command line; `[name]` for kernel threads, which have none. */
  command: string;
  cpuPercent: number;
  memoryBytes: number;
  /** R running, S sleeping, D waiting on I/O, Z zombie, T stopped, I idle kernel thread, ... */
  state: string;
  threads: number;
  startedAt: Date;
  kernelThread: boolean;
  /** Started by a shell command or terminal of Outpost's: its command line is what a person typed. */
  confidential: boolean;
}

/** What shows instead of a confidential command line (and name) to those who may not see it. */
export const HIDDEN_COMMAND = "(hidden: a shell command or terminal started through Outpost)";
const HIDDEN_NAME = "(hidden)";

/**
 * `process` as shown to someone who may (or may not) see confidential ones: the command line and
 * the kernel's short name (a script's file name) of a confidential one hidden.
 */
export const shownProcess = (process: ProcessInfo, revealConfidential: boolean): ProcessInfo =>
  process.confidential && !revealConfidential ? { ...process, command: HIDDEN_COMMAND, name: HIDDEN_NAME } : process;

export type ProcessSort = "cpu" | "memory" | "pid" | "name";

/** The busiest processes, part of each live sample. */
export interface TopProcesses {
  byCpu: ProcessInfo[];
  byMemory: ProcessInfo[];
}

type Reading = { ticks: number; atMs: number };
export const SIGNALS = ["SIGTERM", "SIGKILL", "SIGHUP", "SIGINT", "SIGSTOP", "SIGCONT"] as const;
export type ProcessSignal = (typeof SIGNALS)[number];

export const MAX_PROCESS_LIMIT = 500;
const MAX_FILTER_CHARS = 200;
const MAX_COMMAND_CHARS = 4096;
const CLOCK_TICKS = 100; // USER_HZ: /proc counts CPU time in 1/100 s on every Linux.
/** A previous reading older than this says little about now; the average since start is used instead. */
const MAX_READING_AGE_MS = 5 * 60_000;
/** kthreadd, the parent of every kernel thread. */
const KTHREADD_PID = 2;

function readText(path: string): string | null {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return null; // The process ended while it was being read.
  }
}

export interface ProcessTableOptions {
  procRoot?: string;
  passwdPath?: string;
  monotonicMs?: () => number;
  /** Processes that must never be signalled besides pid 1 and kernel threads: Outpost itself. */
  protectedPids?: readonly number[];
  /**
   * Sessions whose processes are confidential (those of Outpost's shell commands and terminals),
   * and where to report those a scan of every process found empty.
   */
  confidentialSessions?: { current(): ReadonlySet<number>; forgetEnded(ended: number[]): void };
}

export function createProcessTable({
  procRoot = "/proc",
  passwdPath = "/etc/passwd",
  monotonicMs = () => performance.now(),
  protectedPids = [process.pid],
  confidentialSessions = { current: () => new Set(), forgetEnded: () => {} },
}: ProcessTableOptions = {}) {
  // Read once; a uid without a name shows as its number.
  const names = new Map(readOsUsers(passwdPath).map((user) => [user.uid, user.name]));
  const bootTimeMs = Number(/^btime (\d+)/m.exec(readText(join(procRoot, "stat")) ?? "")?.[1] ?? 0) * 1000;
  let previous = new Map<number, Reading>();
  // The live sample's own readings: its CPU shares are over the sample interval, whoever lists processes meanwhile.
  let previousTop = new Map<number, Reading>();

  /** Percent of one core since `before` (within five minutes), else since the process started. */
  const cpuShare = (before: Reading | undefined, ticks: number, startTicks: number, nowMs: number, uptimeSeconds: number) => {
    const share =
      before && nowMs - before.atMs > 0 && nowMs - before.atMs < MAX_READING_AGE_MS
        ? ((ticks - before.ticks) / CLOCK_TICKS / ((nowMs - before.atMs) / 1000)) * 100
        : (ticks / CLOCK_TICKS / Math.max(1, uptimeSeconds - startTicks / CLOCK_TICKS)) * 100;
    return Math.round(Math.max(0, share) * 10) / 10;
  };

  /** The fields of /proc/<pid>/stat after the name (which may hold spaces and parentheses), from the state on. */
  const statFieldsOf = (stat: string) => stat.slice(stat.lastIndexOf(") ") + 2).split(" ");

  const readOne = (
    pid: number,
    nowMs: number,
    uptimeSeconds: number,
    readings: Map<number, Reading>,
  ): (ProcessInfo & { ticks: number; session: number }) | null => {
    const status = readText(join(procRoot, String(pid), "status"));
    const stat = readText(join(procRoot, String(pid), "stat"));
    if (!status || !stat) return null;
    const field = (name: string) => new RegExp(`^${name}:\\s*(.*)$`, "m").exec(status)?.[1] ?? "";
    const statFields = statFieldsOf(stat);
    const ticks = Number(statFields[11]) + Number(statFields[12]);
    const startTicks = Number(statFields[19]);
    const parentPid = Number(field("PPid"));
    const name = field("Name");
    const cmdline = (readText(join(procRoot, String(pid), "cmdline")) ?? "").replace(/\0+$/, "").replace(/\0/g, " ");
    const kernelThread = pid === KTHREADD_PID || parentPid === KTHREADD_PID;
    const uid = Number(field("Uid").split(/\s+/)[0]);
    return {
      pid,
      parentPid,
      user: names.get(uid) ?? String(uid),
      name,
      command: (cmdline || `[${name}]`).slice(0, MAX_COMMAND_CHARS),
      cpuPercent: cpuShare(readings.get(pid), ticks, startTicks, nowMs, uptimeSeconds),
      memoryBytes: Number(/(\d+)/.exec(field("VmRSS"))?.[1] ?? 0) * 1024,
      state: field("State").charAt(0),
      threads: Number(field("Threads")),
      startedAt: new Date(bootTimeMs + (startTicks / CLOCK_TICKS) * 1000),
      kernelThread,
      confidential: confidentialSessions.current().has(Number(statFields[3])),
      ticks,
      session: Number(statFields[3]),
    };
  };

  const uptimeSecondsNow = () => Number(readText(join(procRoot, "uptime"))?.split(" ")[0] ?? 0);
  const pids = () => readdirSync(procRoot).filter((entry) => /^\d+$/.test(entry));

  /**
   * Reports the confidential sessions in which `sessionsSeen` (every process's, from one full scan)
   * found nobody: whatever a shell command or terminal left behind stays hidden until then.
   */
  const forgetEndedSessions = (sessionsSeen: Set<number>) => {
    const ended = [...confidentialSessions.current()].filter((session) => !sessionsSeen.has(session));
    if (ended.length > 0) confidentialSessions.forgetEnded(ended);
  };

  const readAll = (): ProcessInfo[] => {
    const nowMs = monotonicMs();
    const uptimeSeconds = uptimeSecondsNow();
    const found: ProcessInfo[] = [];
    const readings = new Map<number, Reading>();
    const sessionsSeen = new Set<number>();
    for (const entry of pids()) {
      const info = readOne(Number(entry), nowMs, uptimeSeconds, previous);
      if (!info) continue;
      const { ticks, session, ...rest } = info;
      readings.set(info.pid, { ticks, atMs: nowMs });
      sessionsSeen.add(session);
      found.push(rest);
    }
    previous = readings;
    forgetEndedSessions(sessionsSeen);
    return found;
  };

  const ORDER: Record<ProcessSort, (a: ProcessInfo, b: ProcessInfo) => number> = {
    cpu: (a, b) => b.cpuPercent - a.cpuPercent || b.memoryBytes - a.memoryBytes,
    memory: (a, b) => b.memoryBytes - a.memoryBytes || b.cpuPercent - a.cpuPercent,
    pid: (a, b) => a.pid - b.pid,
    name: (a, b) => a.name.localeCompare(b.name) || a.pid - b.pid,
  };

  return {
    /**
     * The `count` processes using the most CPU (since the previous call) and the most memory. Cheap
     * enough for every sample: ranks by /proc/<pid>/stat alone and reads the rest only for those shown.
     */
    top(count: number): TopProcesses {
      const nowMs = monotonicMs();
      const uptimeSeconds = uptimeSecondsNow();
      const readings = new Map<number, Reading>();
      const ranked: { pid: number; cpu: number; residentPages: number }[] = [];
      const sessionsSeen = new Set<number>();
      for (const entry of pids()) {
        const stat = readText(join(procRoot, entry, "stat"));
        if (!stat) continue;
        const fields = statFieldsOf(stat);
        const pid = Number(entry);
        sessionsSeen.add(Number(fields[3]));
        const ticks = Number(fields[11]) + Number(fields[12]);
        readings.set(pid, { ticks, atMs: nowMs });
        ranked.push({
          pid,
          cpu: cpuShare(previousTop.get(pid), ticks, Number(fields[19]), nowMs, uptimeSeconds),
          residentPages: Number(fields[21]),
        });
      }
      forgetEndedSessions(sessionsSeen);
      const details = (pids: number[]) =>
        pids.flatMap((pid) => {
          const info = readOne(pid, nowMs, uptimeSeconds, previousTop);
          if (!info) return [];
          const { ticks: _ticks, session: _session, ...rest } = info;
          return [rest];
        });
      const byCpu = details(
        [...ranked]
          .sort((a, b) => b.cpu - a.cpu || b.residentPages - a.residentPages)
          .slice(0, count)
          .map((p) => p.pid),
      );
      const byMemory = details(
        [...ranked]
          .sort((a, b) => b.residentPages - a.residentPages)
          .slice(0, count)
          .map((p) => p.pid),
      );
      previousTop = readings;
      return { byCpu, byMemory };
    },

    /**
     * Processes matching `filter` (in the command, name or user, ignoring case), sorted, at most
     * `limit`. CPU shares are over the time since the previous listing (within five minutes),
     * else the average since each process started. Confidential command lines are hidden unless
     * `revealConfidential`, before the filter looks at them.
     */
    list({
      sortBy = "cpu",
      limit = 50,
      filter = "",
      revealConfidential = false,
    }: {
      sortBy?: ProcessSort;
      limit?: number;
      filter?: string;
      revealConfidential?: boolean;
    }): ProcessInfo[] {
      if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PROCESS_LIMIT)
        throw new InvalidInputError(`limit must be 1 to ${MAX_PROCESS_LIMIT}.`);
      if (filter.length > MAX_FILTER_CHARS) throw new InvalidInputError(`filter must be at most ${MAX_FILTER_CHARS} characters.`);
      const needle = filter.toLowerCase();
      return readAll()
        .map((p) => shownProcess(p, revealConfidential))
        .filter((p) => !needle || `${p.command}\n${p.name}\n${p.user}`.toLowerCase().includes(needle))
        .sort(ORDER[sortBy])
        .slice(0, limit);
    },

    /**
     * Sends `signal` to process `pid`. Refuses pid 1, Outpost itself and kernel threads
     * (InvalidInputError: the caller may signal, not these); NotFoundError when there is no such
     * process; ForbiddenError when the system does not let Outpost signal it.
     */
    signal(pid: number, signal: ProcessSignal): void {
      if (!Number.isInteger(pid) || pid < 1) throw new InvalidInputError("pid must be a positive whole number.");
      if (pid === 1) throw new InvalidInputError("Process 1 (init) is never signalled.");
      if (protectedPids.includes(pid)) throw new InvalidInputError("Outpost does not signal itself.");
      const parentPid = Number(/^PPid:\s*(\d+)/m.exec(readText(join(procRoot, String(pid), "status")) ?? "")?.[1] ?? Number.NaN);
      if (Number.isNaN(parentPid)) throw new NotFoundError(`No process ${pid}.`);
      if (pid === KTHREADD_PID || parentPid === KTHREADD_PID) throw new InvalidInputError("Kernel threads are never signalled.");
      try {
        process.kill(pid, signal);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === "ESRCH") throw new NotFoundError(`No process ${pid}.`);
        if (code === "EPERM") throw new ForbiddenError(`Outpost may not signal process ${pid}.`, { cause: err });
        throw err;
      }
    },
  };
}

export type ProcessTable = ReturnType<typeof createProcessTable>;
