// The runs service: runs of programs and shell commands, checked and bounded as they are asked
// for, then handed to the run queue (run-queue.ts), which runs a bounded number at once through
// the process supervisor. Output streams live as `run.output` events and is kept bounded (head
// and tail) in <data>/runs/<id>.out; a late subscriber replays what was kept. A live subscriber
// gets all of it: when one falls behind, the run stops reading the program's output until it
// catches up (run-output-reader.ts). Runs a previous server left QUEUED or RUNNING are marked
// LOST at start.
import { statSync } from "node:fs";
import { isAbsolute, join } from "node:path";
import type { Role } from "../auth/roles";
import { InvalidInputError, LimitExceededError, NotFoundError } from "../errors";
import type { RateLimiter } from "../limits/rate-limiter";
import type { ExecPolicy } from "./exec-policy";
import { createFolderHandOver } from "./folder-hand-over";
import { createProgramLauncher } from "./program-launch";
import { createRunOutputFiles, type RunOutputChunk, type RunOutputEvent } from "./run-output";
import { createOutputReader } from "./run-output-reader";
import { createRunQueue, type RunQueueOptions } from "./run-queue";
import type { Run, RunFilter } from "./run-store";
import type { ProgramsService } from "./service";

/** The run queue's options (the runs service gives it the output files), and the service's own. */
export interface RunsServiceOptions extends Omit<RunQueueOptions, "outputFiles" | "runAsUser"> {
  programs: Pick<ProgramsService, "require" | "get">;
  rateLimiter?: RateLimiter;
  dataDir: string;
  defaultTimeoutMs: number;
  maxTimeoutMs: number;
  /** Finished runs kept: the newest `keepRuns`, none older than `keepMs`. */
  keepRuns: number;
  keepMs: number;
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
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function createRunsService(options: RunsServiceOptions) {
  const {
    store,
    programs,
    events,
    writes,
    clock,
    log,
    rateLimiter,
    dataDir,
    defaultTimeoutMs,
    maxTimeoutMs,
    keepRuns,
    keepMs,
    maxBacklogChars,
    maxSubscriberStallMs,
    execPolicy,
    runAsUser = null,
    bunPath = process.execPath,
  } = options;
  const runsDir = join(dataDir, "runs");
  const outputFiles = createRunOutputFiles(runsDir);
  const { launchOf } = createProgramLauncher({ programs, bunBinDir: join(runsDir, "bin"), bunPath });
  const { handOverFolder } = createFolderHandOver(runAsUser);
  const runQueue = createRunQueue({ ...options, outputFiles, runAsUser });

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

  // Runs are ordered by when they were made (lists, a program's last run): two made in the same
  // millisecond still get distinct times, in the order they were made.
  let lastCreatedAt = 0;
  const newRun = (
    fields: Pick<Run, "kind" | "programId" | "programName" | "command" | "args" | "startedBy" | "startedByName" | "timeoutMs">,
  ): Run => {
    lastCreatedAt = Math.max(clock.now(), lastCreatedAt + 1);
    return {
      ...fields,
      id: crypto.randomUUID(),
      status: "QUEUED",
      exitCode: null,
      signal: null,
      error: null,
      createdAt: new Date(lastCreatedAt),
      startedAt: null,
      finishedAt: null,
      stdoutBytes: 0,
      stderrBytes: 0,
      droppedBytes: 0,
    };
  };

  const require = (id: string): Run => {
    const run = runQueue.get(id)?.run ?? store.get(id);
    if (!run) throw new NotFoundError("No such run.");
    return run;
  };

  return {
    /** Runs running now and waiting for a slot (for the application metrics). */
    counts: () => runQueue.counts(),

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
        kind: "PROGRAM",
        programId,
        programName: program.name,
        command: command.join(" "),
        args: args ?? [],
        startedBy: userId,
        startedByName: username,
        timeoutMs,
      });
      return runQueue.submit(run, {
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
        kind: "COMMAND",
        programId: program?.id ?? null,
        programName: program?.name ?? null,
        command,
        args: [],
        startedBy: userId,
        startedByName: username,
        timeoutMs,
      });
      return runQueue.submit(run, { command: ["sh", "-c", command], cwd: directory, env: {}, stdin: null });
    },

    /** Cancels a queued run at once, or stops a running one (SIGTERM to its group, SIGKILL after the grace). */
    async cancel(id: string): Promise<Run> {
      await runQueue.cancel(id);
      return require(id);
    },

    get: (id: string): Run | null => runQueue.get(id)?.run ?? store.get(id),

    /** Newest first, at most 200 a page. */
    list(filter: RunFilter) {
      const size = Math.max(0, Math.min(filter.first, MAX_PAGE));
      const rows = store.list({ ...filter, first: size + 1 }).map((r) => runQueue.get(r.id)?.run ?? r);
      return { items: rows.slice(0, size), hasNextPage: rows.length > size };
    },

    programStats: (programId: string) => store.programStats(programId),

    isInUse: (programId: string): boolean => runQueue.isInUse(programId),

    /** What was kept of the run's output, in order (and its end once it ended). */
    async keptOutput(id: string): Promise<RunOutputChunk[]> {
      const entry = runQueue.get(id);
      if (entry) return entry.output.kept();
      require(id);
      return outputFiles.load(id);
    },

    /**
     * The run's output from its start: what was kept, then live chunks as they come, then its
     * end. While `maxBacklogChars` wait for this subscriber, the run stops reading the program's
     * output; one that keeps it waiting `maxSubscriberStallMs` is cut off (LIMIT_EXCEEDED).
     */
    async *watchOutput(id: string): AsyncGenerator<RunOutputEvent> {
      require(id);
      const live = createOutputReader({ events, runId: id, maxChars: maxBacklogChars, maxStallMs: maxSubscriberStallMs, clock });
      const entry = runQueue.get(id);
      entry?.readers.add(live);
      try {
        const kept = entry ? entry.output.kept() : await outputFiles.load(id);
        let lastSeq = 0;
        for (const chunk of kept) {
          lastSeq = Math.max(lastSeq, chunk.seq);
          yield { runId: id, ...chunk };
        }
        if (!entry || !runQueue.get(id)) {
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
      events.subscribe("run.changed", withCommands ? {} : { filter: (run) => run.kind === "PROGRAM" }),

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
        await outputFiles.remove(id);
      }
      return ids.length;
    },

    /** Shutdown: nothing new starts; queued runs are cancelled and running ones stopped. */
    stop: (): Promise<void> => runQueue.stop(),
  };
}

export type RunsService = ReturnType<typeof createRunsService>;
