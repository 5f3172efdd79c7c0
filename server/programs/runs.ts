// Runs of programs and shell commands through the process supervisor: a bounded number at once
// (the rest wait, QUEUED), each in its own process group with a clean environment, stopped with
// SIGTERM then SIGKILL on cancel or timeout. Output streams live as `run.output` events and is
// kept bounded (head and tail) in <data>/runs/<id>.out; a late subscriber replays what was kept.
// A live subscriber gets all of it: when one falls behind, the run stops reading the program's
// output until it catches up (the pipe fills and the program waits), for a bounded time.
// Runs a previous server left QUEUED or RUNNING are marked LOST at start.
import { existsSync, statSync } from "node:fs";
import { chmod, chown, mkdir, rm, stat, symlink } from "node:fs/promises";
import { dirname, isAbsolute, join } from "node:path";
import type { Role } from "../auth/roles";
import type { Clock } from "../clock";
import type { WriteBatcher } from "../db";
import { InvalidInputError, LimitExceededError, NotFoundError } from "../errors";
import type { EventBus } from "../events";
import type { RateLimiter } from "../limits/rate-limiter";
import type { Logger } from "../log";
import { findOsUser } from "../os-users";
import { DEFAULT_PATH, type SupervisedProcess, type Supervisor } from "../supervisor";
import type { Interpreter } from "./entry-point";
import type { ExecPolicy } from "./exec-policy";
import { createRunOutput, loadRunOutput, type RunOutputChunk, saveRunOutput } from "./run-output";
import type { Run, RunFilter, RunStatus, RunStore } from "./run-store";
import type { Program, ProgramsService } from "./service";

/** A `run.output` event: a chunk of a run's output, or its end (with the finished run). */
export type RunOutputEvent = { runId: string } & (RunOutputChunk | { seq: number; kind: "end"; run: Run });

export interface RunsServiceOptions {
  store: RunStore;
  programs: Pick<ProgramsService, "require" | "get">;
  supervisor: Supervisor;
  events: EventBus;
  writes: WriteBatcher;
  clock: Clock;
  log: Logger;
  rateLimiter?: RateLimiter;
  dataDir: string;
  maxConcurrent: number;
  defaultTimeoutMs: number;
  maxTimeoutMs: number;
  /** Output kept per run: this much of its beginning and this much of its end. */
  keptHeadBytes: number;
  keptTailBytes: number;
  /** Finished runs kept: the newest `keepRuns`, none older than `keepMs`. */
  keepRuns: number;
  keepMs: number;
  /** How long a cancelled or timed-out run has between SIGTERM and SIGKILL. */
  stopGraceMs: number;
  /** Output a subscriber may have waiting (characters not yet sent) before the run waits for it. */
  maxBacklogChars: number;
  /** How long one subscriber may keep a run waiting before it is cut off. */
  maxSubscriberStallMs: number;
  /** Which commands operators may exec. */
  execPolicy: ExecPolicy;
  /** The user runs run as (Outpost as root dropping its privileges), or null for Outpost's own. */
  runAsUser?: string | null;
  /** The Bun executable that runs JavaScript and TypeScript (Outpost's own binary, as `bun`). */
  bunPath?: string;
}

export interface StartRunInput {
  programId: string;
  args?: string[] | null;
  env?: Record<string, string> | null;
  stdin?: string | null;
  timeoutSeconds?: number | null;
  userId: string;
  username: string;
}

export interface ExecInput {
  command: string;
  /** The caller's role: an operator's command is checked against the exec policy, an admin's is not. */
  role: Role;
  /** A program's id (run in its folder) or an absolute directory. */
  cwd?: string | null;
  timeoutSeconds?: number | null;
  userId: string;
  username: string;
}

const MAX_ARGS = 256;
const MAX_ARG_CHARS = 8192;
const MAX_ENV = 128;
const MAX_ENV_CHARS = 32 << 10;
const MAX_STDIN_BYTES = 1 << 20;
const MAX_COMMAND_CHARS = 8192;
const MAX_PAGE = 200;
/**
 * Chunks waiting for a subscriber merge up to this size: one socket message stays well under what
 * a socket may leave unread (graphql-ws.ts), even with every character escaped in JSON.
 */
const MAX_MERGED_CHARS = 128 << 10;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** How to install an interpreter a program needs but the box lacks. */
const INSTALL_HINT: Record<string, string> = {
  python3: "install it (Debian, Ubuntu, Raspberry Pi OS: sudo apt install python3)",
  bash: "install it (sudo apt install bash)",
};

interface Active {
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

export function createRunsService({
  store,
  programs,
  supervisor,
  events,
  writes,
  clock,
  log,
  rateLimiter,
  dataDir,
  maxConcurrent,
  defaultTimeoutMs,
  maxTimeoutMs,
  keptHeadBytes,
  keptTailBytes,
  keepRuns,
  keepMs,
  stopGraceMs,
  maxBacklogChars,
  maxSubscriberStallMs,
  execPolicy,
  runAsUser = null,
  bunPath = process.execPath,
}: RunsServiceOptions) {
  const runsDir = join(dataDir, "runs");
  /** Holds `bun`, a link to Outpost's own Bun, first on the PATH of JavaScript runs (package.json scripts call `bun`). */
  const bunBinDir = join(runsDir, "bin");
  const outputPath = (id: string) => join(runsDir, `${id}.out`);
  const active = new Map<string, Active>();
  const queue: Active[] = [];
  let running = 0;
  let stopping = false;

  const publish = (event: RunOutputEvent) => events.publish("run.output", event);
  const publishState = (run: Run) => events.publish("run.changed", run);

  const takeRate = (userId: string) => {
    const decision = rateLimiter?.take("exec", `user:${userId}`);
    if (decision && !decision.allowed) {
      throw new LimitExceededError(`Too many runs started; try again in ${decision.retryAfterSeconds} s.`, {
        details: { retryAfterSeconds: decision.retryAfterSeconds },
      });
    }
  };

  const timeoutMsOf = (seconds: number | null | undefined): number => {
    if (seconds === null || seconds === undefined) return defaultTimeoutMs;
    if (!Number.isInteger(seconds) || seconds < 1 || seconds * 1000 > maxTimeoutMs) {
      throw new InvalidInputError(`timeoutSeconds must be a whole number from 1 to ${maxTimeoutMs / 1000}.`);
    }
    return seconds * 1000;
  };

  const checkArgs = (args: string[]) => {
    if (args.length > MAX_ARGS) throw new InvalidInputError(`A run takes at most ${MAX_ARGS} arguments.`);
    if (args.some((a) => a.length > MAX_ARG_CHARS || a.includes("\0"))) {
      throw new InvalidInputError(`An argument may have at most ${MAX_ARG_CHARS} characters and no NUL.`);
    }
  };

  /** The caller's variables: valid names, bounded, none of Outpost's own (OUTPOST_*). */
  const checkEnv = (env: Record<string, string>) => {
    const entries = Object.entries(env);
    if (entries.length > MAX_ENV) throw new InvalidInputError(`A run takes at most ${MAX_ENV} environment variables.`);
    let chars = 0;
    for (const [name, value] of entries) {
      if (!ENV_NAME.test(name)) throw new InvalidInputError(`"${name.slice(0, 100)}" is not a valid environment variable name.`);
      if (name.toUpperCase().startsWith("OUTPOST_")) throw new InvalidInputError("Runs may not be given OUTPOST_ variables.");
      if (typeof value !== "string" || value.includes("\0")) throw new InvalidInputError(`The value of ${name} must be text without NUL.`);
      chars += name.length + value.length;
    }
    if (chars > MAX_ENV_CHARS) throw new InvalidInputError(`A run's environment may have at most ${MAX_ENV_CHARS} characters.`);
  };

  /** The program that runs `interpreter`, or a clear error naming it and how to install it. */
  const requireInstalled = (program: string): string => {
    if (isAbsolute(program)) {
      if (existsSync(program)) return program;
    } else {
      const found = Bun.which(program, { PATH: DEFAULT_PATH });
      if (found) return found;
    }
    const hint = INSTALL_HINT[program.split("/").at(-1) ?? ""] ?? "install it, or choose another entry point";
    throw new InvalidInputError(`This program needs ${program}, which is not installed on this box; ${hint}.`);
  };

  /** The command line and extra environment that start a program's entry point. */
  const commandOf = (program: Program, entry: string, interpreter: Interpreter): { command: string[]; env: Record<string, string> } => {
    const path = join(program.folder, entry);
    const asBun = { BUN_BE_BUN: "1", PATH: `${bunBinDir}:${DEFAULT_PATH}` };
    switch (interpreter.kind) {
      case "shebang": {
        const [first = "", ...rest] = interpreter.command;
        // `#!/usr/bin/env bun` must work on a box without Bun: Outpost's own stands in.
        if (first.endsWith("/env") && rest[0] === "bun") return { command: [bunPath, ...rest.slice(1), path], env: asBun };
        return { command: [requireInstalled(first), ...rest, path], env: {} };
      }
      case "bun":
        return { command: [bunPath, path], env: asBun };
      case "bun-start":
        return { command: [bunPath, "run", "start"], env: asBun };
      case "direct":
        return { command: [path], env: {} };
      default:
        return { command: [requireInstalled(interpreter.kind), path], env: {} };
    }
  };

  /** Hand-overs in progress, one per folder: a second run of a program waits for the first's. */
  const handingOver = new Map<string, Promise<void>>();

  /**
   * Makes a program's folder the run user's (when runs drop privileges), so its runs may read and
   * write it, and lets that user's group pass through the programs folder (not list it). Once
   * handed over, the folder is that user's to change: it is never walked again while its runs may
   * be swapping a directory for a link, and the one walk is `chown -R -P`, which changes links
   * themselves and never follows one (coreutils walks by open directory handles).
   */
  const handOverFolder = async (folder: string): Promise<void> => {
    if (!runAsUser) return;
    const pending = handingOver.get(folder);
    if (pending) return pending;
    const work = (async () => {
      const account = findOsUser(runAsUser);
      // A missing user is refused, saying so, when the run starts.
      if (!account) return;
      const programsDir = dirname(folder);
      if ((await stat(programsDir)).gid !== account.gid) {
        await chown(programsDir, process.getuid?.() ?? 0, account.gid);
        await chmod(programsDir, 0o710);
      }
      const owner = await stat(folder);
      if (owner.uid === account.uid && owner.gid === account.gid) return;
      const chownTree = Bun.spawn(["chown", "-R", "-P", `${account.uid}:${account.gid}`, folder], {
        env: { PATH: DEFAULT_PATH },
        stdout: "ignore",
        stderr: "pipe",
      });
      if ((await chownTree.exited) !== 0)
        throw new Error(`chown of ${folder} failed: ${(await new Response(chownTree.stderr).text()).slice(0, 300)}`);
    })();
    handingOver.set(folder, work);
    try {
      await work;
    } finally {
      handingOver.delete(folder);
    }
  };

  const linkBun = async () => {
    const link = join(bunBinDir, "bun");
    if (existsSync(link)) return;
    await mkdir(bunBinDir, { recursive: true, mode: 0o700 });
    await symlink(bunPath, link).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== "EEXIST") throw err;
    });
  };

  const newRun = (
    fields: Pick<Run, "programId" | "programName" | "command" | "args" | "startedBy" | "startedByName" | "timeoutMs">,
  ): Run => ({
    ...fields,
    id: crypto.randomUUID(),
    status: "QUEUED",
    exitCode: null,
    signal: null,
    error: null,
    createdAt: new Date(clock.now()),
    startedAt: null,
    finishedAt: null,
    stdoutBytes: 0,
    stderrBytes: 0,
    droppedBytes: 0,
  });

  /** Records a new run and queues it; it starts at once when a slot is free. */
  const submit = async (run: Run, spec: Pick<Active, "command" | "cwd" | "env" | "stdin">): Promise<Run> => {
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
    const entry: Active = {
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
  };

  const pump = () => {
    while (running < maxConcurrent && queue.length > 0) {
      const next = queue.shift();
      if (next) launch(next);
    }
  };

  const launch = (entry: Active) => {
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
   * for: every such subscriber catching up (or being cut off after `maxSubscriberStallMs`), or
   * the run being stopped. Nothing when none is behind.
   */
  const readersCaughtUp = (entry: Active): Promise<void> | undefined => {
    const behind = [...entry.readers].filter((reader) => reader.full());
    if (behind.length === 0 || entry.endAs) return;
    return Promise.race([Promise.all(behind.map((reader) => reader.room())).then(() => {}), entry.stopRequested]);
  };

  /** Stops a running run's process (SIGTERM to its group, SIGKILL after the grace); its output no longer waits. */
  const stopProcess = (entry: Active) => {
    entry.stopWaitingForReaders();
    void entry.process?.stop();
  };

  /** Settles a run: its kept output to disk, its row, the end event; then the next queued run starts. */
  const end = async (entry: Active, exitCode: number | null, signal: string | null, error: string | null) => {
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
      await mkdir(runsDir, { recursive: true, mode: 0o700 });
      await saveRunOutput(outputPath(run.id), entry.output.kept());
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

  const require = (id: string): Run => {
    const run = active.get(id)?.run ?? store.get(id);
    if (!run) throw new NotFoundError("No such run.");
    return run;
  };

  /** What starts a program's entry point: its command line, extra environment and folder. */
  const launchOf = async (programId: string) => {
    await linkBun();
    const program = programs.require(programId);
    if (!program.entryPath || !program.interpreter) throw new InvalidInputError("The program has no entry point; choose one first.");
    const started = commandOf(program, program.entryPath, program.interpreter);
    return { program, ...started, cwd: dirname(join(program.folder, program.entryPath)) };
  };

  return {
    /** Runs running now and waiting for a slot (for the application metrics). */
    counts: () => ({ running, queued: queue.length }),

    /** What startRun and exec take: the most bytes of stdin; the timeout when none is given, and the longest. */
    limits: { maxStdinBytes: MAX_STDIN_BYTES, defaultTimeoutMs, maxTimeoutMs },

    /**
     * The command line, extra environment and folder that start `programId`'s entry point, as a
     * run starts it (for a terminal that runs the program). Throws NotFoundError for no such
     * program, InvalidInputError when it has no entry point or its interpreter is not installed.
     */
    async programLaunch(programId: string): Promise<{ programName: string; command: string[]; env: Record<string, string>; cwd: string }> {
      const { program, command, env, cwd } = await launchOf(programId);
      // A terminal runs it as its runs do: as run_as_user, in a folder that user owns.
      await handOverFolder(program.folder);
      return { programName: program.name, command, env, cwd };
    },

    /**
     * Starts the program's entry point with `args`, `env` (added to a clean environment) and
     * `stdin`; returns the run at once, QUEUED when `maxConcurrent` runs are busy, else RUNNING.
     */
    async startRun({ programId, args, env, stdin, timeoutSeconds, userId, username }: StartRunInput): Promise<Run> {
      const { program, cwd, ...started } = await launchOf(programId);
      checkArgs(args ?? []);
      checkEnv(env ?? {});
      if (stdin && Buffer.byteLength(stdin) > MAX_STDIN_BYTES)
        throw new InvalidInputError(`stdin may have at most ${MAX_STDIN_BYTES} bytes.`);
      const timeoutMs = timeoutMsOf(timeoutSeconds);
      takeRate(userId);
      await handOverFolder(program.folder);
      const command = [...started.command, ...(args ?? [])];
      const run = newRun({
        programId,
        programName: program.name,
        command: command.join(" "),
        args: args ?? [],
        startedBy: userId,
        startedByName: username,
        timeoutMs,
      });
      return submit(run, {
        command,
        cwd,
        env: { ...env, ...started.env },
        stdin: stdin ?? null,
      });
    },

    /**
     * Runs `command` with sh -c, as a run like any other; `cwd` a program's id or an absolute
     * directory. An operator's command must pass the exec policy (ForbiddenError saying why).
     */
    async exec({ command, role, cwd, timeoutSeconds, userId, username }: ExecInput): Promise<Run> {
      if (!command.trim() || command.length > MAX_COMMAND_CHARS || command.includes("\0")) {
        throw new InvalidInputError(`A command must be 1 to ${MAX_COMMAND_CHARS} characters without NUL.`);
      }
      const timeoutMs = timeoutMsOf(timeoutSeconds);
      // After the rate is taken: refused commands count too, so trying many costs like running them.
      takeRate(userId);
      // Before cwd is looked at: a refused operator learns nothing of the box's directories.
      if (role !== "admin") execPolicy.checkOperatorCommand(command);
      const program = cwd ? programs.get(cwd) : null;
      const directory = program ? program.folder : (cwd ?? process.env.HOME ?? "/");
      if (!isAbsolute(directory) || !statSync(directory, { throwIfNoEntry: false })?.isDirectory()) {
        throw new InvalidInputError("cwd must be a program's id or an absolute path of a directory.");
      }
      if (program) await handOverFolder(program.folder);
      const run = newRun({
        programId: program?.id ?? null,
        programName: program?.name ?? null,
        command,
        args: [],
        startedBy: userId,
        startedByName: username,
        timeoutMs,
      });
      return submit(run, { command: ["sh", "-c", command], cwd: directory, env: {}, stdin: null });
    },

    /** Cancels a queued run at once, or stops a running one (SIGTERM to its group, SIGKILL after the grace). */
    async cancel(id: string): Promise<Run> {
      const entry = active.get(id);
      if (!entry) return require(id);
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
      return require(id);
    },

    get: (id: string): Run | null => active.get(id)?.run ?? store.get(id),

    /** Newest first, at most 200 a page. */
    list(filter: RunFilter) {
      const size = Math.max(0, Math.min(filter.first, MAX_PAGE));
      const rows = store.list({ ...filter, first: size + 1 }).map((r) => active.get(r.id)?.run ?? r);
      return { items: rows.slice(0, size), hasNextPage: rows.length > size };
    },

    programStats: (programId: string) => store.programStats(programId),

    isInUse: (programId: string): boolean => [...active.values()].some((a) => a.run.programId === programId),

    /** What was kept of the run's output, in order (and its end once it ended). */
    async keptOutput(id: string): Promise<RunOutputChunk[]> {
      const entry = active.get(id);
      if (entry) return entry.output.kept();
      require(id);
      return loadRunOutput(outputPath(id));
    },

    /**
     * The run's output from its start: what was kept, then live chunks as they come, then its
     * end. While `maxBacklogChars` wait for this subscriber, the run stops reading the program's
     * output; one that keeps it waiting `maxSubscriberStallMs` is cut off (LIMIT_EXCEEDED).
     */
    async *watchOutput(id: string): AsyncGenerator<RunOutputEvent> {
      require(id);
      const live = createOutputReader({ events, runId: id, maxChars: maxBacklogChars, maxStallMs: maxSubscriberStallMs, clock });
      const entry = active.get(id);
      entry?.readers.add(live);
      try {
        const kept = entry ? entry.output.kept() : await loadRunOutput(outputPath(id));
        let lastSeq = 0;
        for (const chunk of kept) {
          lastSeq = Math.max(lastSeq, chunk.seq);
          yield { runId: id, ...chunk };
        }
        if (!entry || !active.has(id)) {
          yield { runId: id, seq: Number.MAX_SAFE_INTEGER, kind: "end", run: require(id) };
          return;
        }
        for (;;) {
          const event = await live.next();
          if (event.seq <= lastSeq) continue;
          yield event;
          if (event.kind === "end") return;
        }
      } finally {
        live.close();
        entry?.readers.delete(live);
      }
    },

    /** State changes of every run (queued, running, finished); of shell commands only `withCommands`. */
    watchRuns: ({ withCommands }: Pick<RunFilter, "withCommands">) =>
      events.subscribe("run.changed", withCommands ? {} : { filter: (run) => run.programId !== null }),

    /** Marks runs a previous server left queued or running as LOST. */
    async markLost(): Promise<void> {
      const lost = await writes.run(() => store.markLost(clock.now()));
      if (lost > 0) log.warn("runs left by the previous server marked lost", { runs: lost });
    },

    /** Removes finished runs past the retention (count and age) and their output. */
    async prune(): Promise<number> {
      const ids = store.expired(clock.now() - keepMs, keepRuns);
      for (const id of ids) {
        await writes.run(() => store.remove(id));
        await rm(outputPath(id), { force: true });
      }
      return ids.length;
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

export type RunsService = ReturnType<typeof createRunsService>;

/** One live subscriber's backlog of a run's output (see createOutputReader). */
interface OutputReader {
  /** The next event; throws LimitExceededError once the reader was cut off for stalling. */
  next(): Promise<RunOutputEvent>;
  /** Whether `maxChars` or more wait: the run should not read more output until `room` resolves. */
  full(): boolean;
  /** Resolves once half of `maxChars` or less waits, or once the reader is cut off (after `maxStallMs`) or closed. */
  room(): Promise<void>;
  close(): void;
}

/**
 * A subscriber's backlog of a run's live output. Consecutive chunks of one stream are merged, so
 * it is bounded by the text waiting, not by how finely the pipe was read. It never drops output:
 * the run stops reading while it is `full`; it is bounded by the reads under way then (one per
 * stream). A reader that does not make room within `maxStallMs` is cut off.
 */
function createOutputReader({
  events,
  runId,
  maxChars,
  maxStallMs,
  clock,
}: {
  events: EventBus;
  runId: string;
  maxChars: number;
  maxStallMs: number;
  clock: Clock;
}): OutputReader {
  let backlog: RunOutputEvent[] = [];
  let waitingChars = 0;
  let cutOff = false;
  let wake: (() => void) | null = null;
  let roomWaiters: (() => void)[] = [];
  const makeRoom = () => {
    const waiters = roomWaiters;
    roomWaiters = [];
    for (const resolve of waiters) resolve();
  };
  const off = events.on("run.output", (event) => {
    if (event.runId !== runId || cutOff) return;
    const last = backlog.at(-1);
    if (event.kind === "output" && last?.kind === "output" && last.stream === event.stream && last.text.length < MAX_MERGED_CHARS) {
      backlog[backlog.length - 1] = { ...last, seq: event.seq, text: last.text + event.text };
    } else {
      backlog.push(event);
    }
    waitingChars += event.kind === "output" ? event.text.length : 0;
    wake?.();
  });
  const stop = () => {
    off();
    backlog = [];
    waitingChars = 0;
    makeRoom();
  };
  return {
    async next(): Promise<RunOutputEvent> {
      for (;;) {
        if (cutOff)
          throw new LimitExceededError(
            `Output waited more than ${Math.round(maxStallMs / 1000)} s for this subscriber, so it was cut off; subscribe again to replay what was kept.`,
          );
        const event = backlog.shift();
        if (event) {
          waitingChars -= event.kind === "output" ? event.text.length : 0;
          if (waitingChars <= maxChars / 2) makeRoom();
          return event;
        }
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
        wake = null;
      }
    },
    full: () => !cutOff && waitingChars >= maxChars,
    room() {
      if (waitingChars <= maxChars / 2 || cutOff) return Promise.resolve();
      return new Promise<void>((resolve) => {
        const cancelStall = clock.setTimer(() => {
          cutOff = true;
          stop();
          wake?.();
        }, maxStallMs);
        roomWaiters.push(() => {
          cancelStall();
          resolve();
        });
      });
    },
    close: stop,
  };
}
