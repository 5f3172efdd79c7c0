// Programs: upload a script or a ZIP project, see its files, choose its entry point, rename and
// delete it; run it (or a shell command), watch its output live, cancel it, look back at runs.
import { can, forbidden } from "../server/auth/viewer";
import { InvalidInputError, NotFoundError } from "../server/errors";
import type { Interpreter, ProgramFile } from "../server/programs/entry-point";
import type { RunOutputChunk, RunOutputEvent } from "../server/programs/run-output";
import { RUN_KINDS, RUN_STATUSES, type Run } from "../server/programs/run-store";
import type { RunsService } from "../server/programs/runs";
import type { Program } from "../server/programs/service";
import { auditTarget } from "./audit";
import { builder } from "./builder";
import { type Context, signedInViewer } from "./context";
import { PACED_BY_READER } from "./limits";
import { connectionOf, decodeCursor, encodeCursor } from "./pagination";

const ProgramFileType = builder.objectRef<ProgramFile>("ProgramFile").implement({
  fields: (t) => ({
    path: t.exposeString("path", { description: "Relative to the program's folder, with / between folders." }),
    sizeBytes: t.exposeFloat("sizeBytes"),
    executable: t.exposeBoolean("executable"),
  }),
});

/** How the entry point is started, as a person would type it. */
function describeInterpreter(interpreter: Interpreter): string {
  switch (interpreter.kind) {
    case "shebang":
      return interpreter.command.join(" ");
    case "bun":
      return "bun (built in)";
    case "bun-start":
      return "bun run start (built in)";
    case "direct":
      return "run directly";
    default:
      return interpreter.kind;
  }
}

const ProgramRef = builder.objectRef<Program>("Program");

const RunStatusType = builder.enumType("RunStatus", {
  description: "LOST: the server stopped while the run was queued or running.",
  values: RUN_STATUSES,
});

const RunKindType = builder.enumType("RunKind", {
  description: "PROGRAM: a program's entry point (startRun). COMMAND: a shell command (exec), shown only to those who may exec.",
  values: RUN_KINDS,
});

const RunType = builder.objectRef<Run>("Run").implement({
  fields: (t) => ({
    id: t.exposeID("id"),
    kind: t.field({ type: RunKindType, resolve: (r) => r.kind }),
    program: t.field({
      type: ProgramRef,
      nullable: true,
      description: "The program run, or in whose folder a command ran; null for a command run elsewhere, or once the program was deleted.",
      resolve: (r, _args, ctx) => (r.programId ? ctx.services.programs.get(r.programId) : null),
    }),
    programName: t.exposeString("programName", { nullable: true, description: "The program's name when the run started." }),
    command: t.exposeString("command", { description: "The command line that was started." }),
    args: t.exposeStringList("args"),
    startedBy: t.exposeString("startedBy", { nullable: true, description: "The id of the user who started it." }),
    startedByName: t.exposeString("startedByName", {
      nullable: true,
      description: "Their username when it started; kept when the user is deleted (null only for a user deleted before names were kept).",
    }),
    status: t.field({ type: RunStatusType, resolve: (r) => r.status }),
    exitCode: t.exposeInt("exitCode", { nullable: true }),
    signal: t.exposeString("signal", { nullable: true, description: "The signal that ended it (SIGTERM, SIGKILL), if one did." }),
    error: t.exposeString("error", { nullable: true, description: "Why it could not start." }),
    timeoutSeconds: t.float({ resolve: (r) => r.timeoutMs / 1000 }),
    createdAt: t.expose("createdAt", { type: "DateTime" }),
    startedAt: t.expose("startedAt", { type: "DateTime", nullable: true }),
    finishedAt: t.expose("finishedAt", { type: "DateTime", nullable: true }),
    durationMs: t.float({
      nullable: true,
      resolve: (r) => (r.startedAt && r.finishedAt ? r.finishedAt.getTime() - r.startedAt.getTime() : null),
    }),
    stdoutBytes: t.exposeFloat("stdoutBytes", { description: "Bytes written to stdout (set when the run ends)." }),
    stderrBytes: t.exposeFloat("stderrBytes"),
    droppedBytes: t.exposeFloat("droppedBytes", { description: "Output not kept, between the kept beginning and end." }),
    output: t.field({
      type: [RunOutputChunkRef],
      description: "What was kept of its output, in order: the beginning and end, the cut marked.",
      resolve: (r, _args, ctx) => ctx.services.runs.keptOutput(r.id),
    }),
  }),
});

const RunStreamType = builder.enumType("RunStream", { values: { STDOUT: { value: "stdout" }, STDERR: { value: "stderr" } } as const });
const RunOutputKindType = builder.enumType("RunOutputKind", {
  values: { OUTPUT: { value: "output" }, CUT: { value: "cut" }, END: { value: "end" } } as const,
});

type OutputItem = RunOutputChunk | RunOutputEvent;
const RunOutputChunkRef = builder.objectRef<OutputItem>("RunOutputChunk");
RunOutputChunkRef.implement({
  description: "A piece of a run's output (OUTPUT), output left out (CUT), or the run's end (END, with the finished run).",
  fields: (t) => ({
    seq: t.float({ description: "Grows with each chunk of the run.", resolve: (c) => c.seq }),
    kind: t.field({ type: RunOutputKindType, resolve: (c) => c.kind }),
    stream: t.field({ type: RunStreamType, nullable: true, resolve: (c) => (c.kind === "output" ? c.stream : null) }),
    text: t.string({
      nullable: true,
      description: "UTF-8 text; a character is never split between chunks.",
      resolve: (c) => (c.kind === "output" ? c.text : null),
    }),
    droppedBytes: t.float({ nullable: true, resolve: (c) => (c.kind === "cut" ? c.droppedBytes : null) }),
    run: t.field({ type: RunType, nullable: true, resolve: (c) => (c.kind === "end" ? c.run : null) }),
  }),
});

const RunConnection = connectionOf("Run", RunType);

const RunLimitsType = builder.objectRef<RunsService["limits"]>("RunLimits").implement({
  description: "What startRun and exec take, for a form to check before it sends.",
  fields: (t) => ({
    maxStdinBytes: t.exposeFloat("maxStdinBytes", { description: "The most stdin startRun takes, in bytes of UTF-8." }),
    maxTimeoutSeconds: t.int({
      description: "The longest timeoutSeconds (runs_max_timeout_seconds); it takes whole seconds from 1.",
      resolve: (l) => l.maxTimeoutMs / 1000,
    }),
    defaultTimeoutSeconds: t.int({
      description: "The timeout of a run started without one (runs_timeout_seconds).",
      resolve: (l) => l.defaultTimeoutMs / 1000,
    }),
  }),
});

const ProgramType = ProgramRef.implement({
  fields: (t) => ({
    id: t.exposeID("id"),
    name: t.exposeString("name"),
    entryPath: t.exposeString("entryPath", {
      nullable: true,
      description: "The file that runs; null when none was detected (choose one with setProgramEntry).",
    }),
    interpreter: t.string({
      nullable: true,
      description: "What runs the entry point: its shebang, python3, sh, bash, Outpost's own bun, or run directly.",
      resolve: (p) => (p.interpreter ? describeInterpreter(p.interpreter) : null),
    }),
    sizeBytes: t.exposeFloat("sizeBytes"),
    fileCount: t.exposeInt("fileCount"),
    files: t.field({
      type: [ProgramFileType],
      description: "Every file, sorted by path.",
      resolve: (p, _args, ctx) => ctx.services.programs.files(p),
    }),
    createdAt: t.expose("createdAt", { type: "DateTime" }),
    updatedAt: t.expose("updatedAt", { type: "DateTime" }),
    runCount: t.int({
      description: "Runs of it kept in the history.",
      resolve: (p, _args, ctx) => ctx.services.runs.programStats(p.id).count,
    }),
    lastRun: t.field({
      type: RunType,
      nullable: true,
      resolve: (p, _args, ctx) => {
        const { lastRunId } = ctx.services.runs.programStats(p.id);
        return lastRunId ? ctx.services.runs.get(lastRunId) : null;
      },
    }),
  }),
});

const ProgramConnection = connectionOf("Program", ProgramType);

const createdCursor = (item: { createdAt: Date; id: string }) => encodeCursor(`${item.createdAt.getTime()}:${item.id}`);
function afterCreated(cursor: string | null | undefined) {
  const decoded = decodeCursor(cursor);
  if (!decoded) return null;
  const [at, id] = decoded.split(":");
  const createdAt = Number(at);
  if (!id || !Number.isFinite(createdAt)) throw new InvalidInputError("The cursor is not one this list gave out.");
  return { createdAt, id };
}

// Shell commands (exec) and their output show only to those who may run them: a viewer must not
// read the commands an admin typed, nor what they printed.
const seesCommands = (ctx: Context) => can(signedInViewer(ctx), "exec");

/** The run, or null when there is none or it is a shell command the viewer may not see. */
function visibleRun(ctx: Context, id: string): Run | null {
  const run = ctx.services.runs.get(id);
  return run && (run.kind === "PROGRAM" || seesCommands(ctx)) ? run : null;
}

function requireVisibleRun(ctx: Context, id: string): Run {
  const run = visibleRun(ctx, id);
  if (!run) throw new NotFoundError("No such run.");
  return run;
}

builder.queryFields((t) => ({
  programs: t.field({
    type: ProgramConnection,
    description: "Programs, newest first; at most 200 a page.",
    authScopes: { permission: "programs:read" },
    args: { first: t.arg.int({ defaultValue: 50 }), after: t.arg.string() },
    resolve: (_root, args, ctx) => ({ ...ctx.services.programs.list(args.first ?? 50, afterCreated(args.after)), cursorOf: createdCursor }),
  }),
  program: t.field({
    type: ProgramType,
    nullable: true,
    authScopes: { permission: "programs:read" },
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, { id }, ctx) => ctx.services.programs.get(String(id)),
  }),
  runs: t.field({
    type: RunConnection,
    description: "Runs, newest first, of one program or all (shell commands included for those who may use exec); at most 200 a page.",
    authScopes: { permission: "programs:read" },
    args: { programId: t.arg.id(), status: t.arg({ type: RunStatusType }), first: t.arg.int({ defaultValue: 50 }), after: t.arg.string() },
    resolve: (_root, args, ctx) => ({
      ...ctx.services.runs.list({
        programId: args.programId ? String(args.programId) : null,
        status: args.status ?? null,
        withCommands: seesCommands(ctx),
        first: args.first ?? 50,
        after: afterCreated(args.after),
      }),
      cursorOf: createdCursor,
    }),
  }),
  run: t.field({
    type: RunType,
    nullable: true,
    authScopes: { permission: "programs:read" },
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, { id }, ctx) => visibleRun(ctx, String(id)),
  }),
  runLimits: t.field({
    type: RunLimitsType,
    authScopes: { permission: "programs:read" },
    resolve: (_root, _args, ctx) => ctx.services.runs.limits,
  }),
}));

builder.mutationFields((t) => ({
  uploadProgram: t.field({
    type: ProgramType,
    description:
      "Stores a script, or a ZIP project unpacked into the program's own folder, sent in a multipart request, and detects its entry point. Archives with paths leaving the folder, links, or more than programs_max_entries entries are refused with BAD_USER_INPUT or LIMIT_EXCEEDED, as are files past programs_max_file_bytes and archives past programs_max_unpacked_bytes (counted as written); nothing is kept then.",
    authScopes: { permission: "programs:manage" },
    extensions: auditTarget("name"),
    args: { file: t.arg({ type: "File", required: true }), name: t.arg.string() },
    resolve: (_root, { file, name }, ctx) => {
      if (!(file instanceof File)) throw new InvalidInputError("Send the program as a file variable of a multipart request.");
      return ctx.services.programs.upload({ file, name, userId: signedInViewer(ctx).userId });
    },
  }),
  installProgram: t.field({
    type: ProgramType,
    description:
      "Makes a program of a stored file: a script, or a ZIP of any size uploaded through the resumable upload (/files/uploads), unpacked from the file, never held whole in memory. The same checks and refusals as uploadProgram; the file is left as it is. Needs files:read as well (it reads the file). NOT_FOUND when there is no such file.",
    authScopes: { permission: "programs:manage" },
    extensions: auditTarget("fileId", "name"),
    args: { fileId: t.arg.id({ required: true }), name: t.arg.string() },
    resolve: (_root, { fileId, name }, ctx) => {
      const viewer = signedInViewer(ctx);
      // A key scoped to programs:manage alone must not read stored files into a program.
      if (!can(viewer, "files:read")) throw forbidden(viewer, "files:read");
      return ctx.services.programs.installFromFile({ fileId: String(fileId), name, userId: viewer.userId });
    },
  }),
  setProgramEntry: t.field({
    type: ProgramType,
    description: "Makes a file of the program its entry point; the interpreter follows from that file's shebang or extension.",
    authScopes: { permission: "programs:manage" },
    extensions: auditTarget("id", "path"),
    args: { id: t.arg.id({ required: true }), path: t.arg.string({ required: true }) },
    resolve: (_root, { id, path }, ctx) => ctx.services.programs.setEntry(String(id), path),
  }),
  renameProgram: t.field({
    type: ProgramType,
    authScopes: { permission: "programs:manage" },
    extensions: auditTarget("id", "name"),
    args: { id: t.arg.id({ required: true }), name: t.arg.string({ required: true }) },
    resolve: (_root, { id, name }, ctx) => ctx.services.programs.rename(String(id), name),
  }),
  deleteProgram: t.boolean({
    description: "Removes the program and its folder; false when there was none. CONFLICT while a run of it is queued or running.",
    authScopes: { permission: "programs:manage" },
    extensions: auditTarget("id"),
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, { id }, ctx) => ctx.services.programs.delete(String(id)),
  }),
  startRun: t.field({
    type: RunType,
    description:
      "Runs the program's entry point with args, env (added to a clean environment; OUTPOST_ names refused) and stdin, and returns the run at once: RUNNING, or QUEUED while runs_max_concurrent runs are busy. After timeoutSeconds (default runs_timeout_seconds) it is stopped like a cancel. BAD_USER_INPUT when its interpreter is not installed (naming it); LIMIT_EXCEEDED past the exec rate.",
    authScopes: { permission: "programs:run" },
    extensions: auditTarget("programId", "timeoutSeconds"),
    args: {
      programId: t.arg.id({ required: true }),
      args: t.arg.stringList(),
      env: t.arg({ type: "JSON", description: "An object of variable names to string values." }),
      stdin: t.arg.string(),
      timeoutSeconds: t.arg.int(),
    },
    resolve: (_root, args, ctx) =>
      ctx.services.runs.startRun({
        programId: String(args.programId),
        args: args.args,
        env: envObject(args.env),
        stdin: args.stdin,
        timeoutSeconds: args.timeoutSeconds,
        ...startedBy(ctx),
      }),
  }),
  exec: t.field({
    type: RunType,
    description:
      "Runs a shell command (sh -c) as a run like any other: same output, cancel and history. cwd is a program's id (its folder) or an absolute directory. Admins only, unless exec_for_operators; an operator's command must pass exec_deny_patterns and exec_allow_patterns (FORBIDDEN saying why).",
    authScopes: { permission: "exec" },
    extensions: auditTarget("command", "cwd", "timeoutSeconds"),
    args: { command: t.arg.string({ required: true }), cwd: t.arg.string(), timeoutSeconds: t.arg.int() },
    resolve: (_root, args, ctx) => ctx.services.runs.exec({ ...args, ...startedBy(ctx), role: signedInViewer(ctx).role }),
  }),
  cancelRun: t.field({
    type: RunType,
    description:
      "Cancels a queued run, or stops a running one (SIGTERM to its process group, SIGKILL after runs_stop_grace_ms) and returns it ended. A run already ended is returned as it is.",
    authScopes: { permission: "programs:run" },
    extensions: auditTarget("id"),
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, { id }, ctx) => ctx.services.runs.cancel(requireVisibleRun(ctx, String(id)).id),
  }),
}));

/** Who starts a run, as the run records them. */
function startedBy(ctx: Context): { userId: string; username: string } {
  const { userId, username } = signedInViewer(ctx);
  return { userId, username };
}

/** The env argument as variables; anything but an object of strings is refused. */
function envObject(value: unknown): Record<string, string> | null {
  if (value === null || value === undefined) return null;
  if (typeof value !== "object" || Array.isArray(value) || Object.values(value).some((v) => typeof v !== "string")) {
    throw new InvalidInputError("env must be an object of variable names to string values.");
  }
  return value as Record<string, string>;
}

builder.subscriptionFields((t) => ({
  runOutput: t.field({
    type: RunOutputChunkRef,
    description:
      "The run's output from its start: what was kept so far, then live chunks in order, then END with the finished run. The run waits for a subscriber that reads slowly (its program blocks on its next write); one that keeps it waiting `runs_subscriber_stall_seconds` is ended with LIMIT_EXCEEDED (subscribe again to replay what was kept).",
    authScopes: { permission: "programs:read" },
    extensions: PACED_BY_READER,
    args: { runId: t.arg.id({ required: true }) },
    subscribe: (_root, { runId }, ctx) => ctx.services.runs.watchOutput(requireVisibleRun(ctx, String(runId)).id),
    resolve: (chunk) => chunk,
  }),
  runEvents: t.field({
    type: RunType,
    description: "Every run's changes of state: queued, running, ended (shell commands only for those who may use exec).",
    authScopes: { permission: "programs:read" },
    subscribe: (_root, _args, ctx) => ctx.services.runs.watchRuns({ withCommands: seesCommands(ctx) }),
    resolve: (run) => run,
  }),
}));
