// Programs: scripts and ZIP projects a user puts on the box, unpacked safely into their own
// folders with a detected entry point and interpreter, and their runs (and those of shell
// commands) with live, bounded output and a history.
import { defineFeature } from "../feature";
import type { FilesService } from "../files/service";
import { checkExecPatterns, createExecPolicy, execPatterns } from "./exec-policy";
import { programsMigrations } from "./migrations";
import type { RunOutputEvent } from "./run-output";
import type { Run } from "./run-store";
import { createRunStore } from "./run-store";
import { createRunsService, type RunsService } from "./runs";
import { createProgramsService } from "./service";
import { createProgramsStore } from "./store";

declare module "../events" {
  interface EventMap {
    "run.output": RunOutputEvent;
    "run.changed": Run;
  }
}
declare module "../limits/rate-limiter" {
  interface RateClasses {
    exec: true;
  }
}

declare module "../auth/permissions" {
  interface Permissions {
    "programs:read": true;
    "programs:manage": true;
    "programs:run": true;
    exec: true;
  }
}
declare module "../settings" {
  interface FeatureSettings {
    programsMaxEntries: number;
    programsMaxFileBytes: number;
    programsMaxUnpackedBytes: number;
    runsMaxConcurrent: number;
    runsTimeoutSeconds: number;
    runsMaxTimeoutSeconds: number;
    runsOutputKeptBytes: number;
    runsKeep: number;
    runsKeepDays: number;
    runsStopGraceMs: number;
    runsSubscriberBacklogBytes: number;
    runsSubscriberStallSeconds: number;
    execForOperators: boolean;
    execAllowPatterns: string | null;
    execDenyPatterns: string | null;
  }
}

export const programsFeature = defineFeature({
  name: "programs",
  migrations: programsMigrations,
  settings: [
    { key: "programsMaxEntries", kind: "int", default: 5000, min: 1, max: 1_000_000, description: "most entries a program's ZIP may hold" },
    {
      key: "programsMaxFileBytes",
      kind: "int",
      default: 256 << 20,
      min: 1,
      max: 2 ** 40,
      description: "largest script, or file unpacked from a program's ZIP (bytes, counted as written)",
    },
    {
      key: "programsMaxUnpackedBytes",
      kind: "int",
      default: 512 << 20,
      min: 1,
      max: 2 ** 42,
      description: "most bytes a program's ZIP may unpack to (counted as written)",
    },
    { key: "runsMaxConcurrent", kind: "int", default: 4, min: 1, max: 256, description: "runs at once; more wait, QUEUED" },
    {
      key: "runsTimeoutSeconds",
      kind: "int",
      default: 60,
      min: 1,
      max: 7 * 86_400,
      description: "a run's timeout when the caller sets none",
    },
    {
      key: "runsMaxTimeoutSeconds",
      kind: "int",
      default: 86_400,
      min: 1,
      max: 30 * 86_400,
      description: "longest timeout a caller may set",
    },
    {
      key: "runsOutputKeptBytes",
      kind: "int",
      default: 2 << 20,
      min: 1024,
      max: 1 << 30,
      description: "output kept per run (bytes): half from its beginning, half from its end, the cut marked",
    },
    { key: "runsKeep", kind: "int", default: 1000, min: 1, max: 1_000_000, description: "finished runs kept (newest first)" },
    { key: "runsKeepDays", kind: "int", default: 30, min: 1, max: 3650, description: "days a finished run is kept" },
    {
      key: "runsStopGraceMs",
      kind: "int",
      default: 5000,
      min: 0,
      max: 600_000,
      description: "time a cancelled run has between SIGTERM and SIGKILL",
    },
    {
      key: "runsSubscriberBacklogBytes",
      kind: "int",
      default: 4 << 20,
      min: 64 << 10,
      max: 1 << 30,
      description:
        "output waiting for a runOutput subscriber before the run waits for it, the program blocked on its next write (bytes of text, about)",
    },
    {
      key: "runsSubscriberStallSeconds",
      kind: "int",
      default: 30,
      min: 1,
      max: 3600,
      description: "how long one runOutput subscriber may keep a run waiting before it is cut off (it may subscribe again)",
    },
    { key: "execForOperators", kind: "bool", default: false, description: "operators may run shell commands (exec) too, not only admins" },
    {
      key: "execAllowPatterns",
      kind: "string",
      default: null,
      nullable: true,
      description:
        "when set, the only commands operators may exec: globs (* any characters, ? one), one per line; shell syntax then refused",
      accepts: "glob patterns, one per line",
      check: checkExecPatterns,
    },
    {
      key: "execDenyPatterns",
      kind: "string",
      default: null,
      nullable: true,
      description: "commands operators may not exec: globs (* any characters, ? one) over the whole command, one per line",
      accepts: "glob patterns, one per line",
      check: checkExecPatterns,
    },
  ],
  rateClasses: [{ name: "exec", defaultPerMinute: 120, description: "runs started (startRun, exec) per user" }],
  permissions: [
    { name: "programs:read", roles: ["viewer", "operator"], description: "list programs and their files" },
    { name: "programs:manage", roles: ["operator"], description: "upload, rename, delete programs and choose their entry points" },
    { name: "programs:run", roles: ["operator"], description: "run programs, cancel runs" },
    { name: "exec", roles: [], description: "run shell commands on the box", operatorsWhen: "execForOperators" },
  ],
  create: (core, { files }: { files: FilesService }) => {
    const { config } = core;
    // Deleting a program asks whether it runs; the runs need the programs: one refers to the other.
    let runs: RunsService | null = null;
    const programs = createProgramsService({
      store: createProgramsStore(core.db),
      writes: core.writes,
      disk: core.disk,
      clock: core.clock,
      log: core.log,
      dataDir: core.config.dataDir,
      limits: {
        maxEntries: core.config.programsMaxEntries,
        maxFileBytes: core.config.programsMaxFileBytes,
        maxTotalBytes: core.config.programsMaxUnpackedBytes,
      },
      isInUse: (id) => runs?.isInUse(id) ?? false,
      storedFiles: files,
    });
    runs = createRunsService({
      store: createRunStore(core.db),
      programs,
      supervisor: core.supervisor,
      events: core.events,
      writes: core.writes,
      clock: core.clock,
      log: core.log,
      rateLimiter: core.rateLimiter,
      dataDir: config.dataDir,
      maxConcurrent: config.runsMaxConcurrent,
      defaultTimeoutMs: config.runsTimeoutSeconds * 1000,
      maxTimeoutMs: config.runsMaxTimeoutSeconds * 1000,
      keptHeadBytes: Math.floor(config.runsOutputKeptBytes / 2),
      keptTailBytes: Math.ceil(config.runsOutputKeptBytes / 2),
      keepRuns: config.runsKeep,
      keepMs: config.runsKeepDays * 86_400_000,
      stopGraceMs: config.runsStopGraceMs,
      maxBacklogChars: config.runsSubscriberBacklogBytes,
      maxSubscriberStallMs: config.runsSubscriberStallSeconds * 1000,
      runAsUser: config.runAsUser,
      execPolicy: createExecPolicy({ allow: execPatterns(config.execAllowPatterns), deny: execPatterns(config.execDenyPatterns) }),
    });
    const runCounts = runs;
    core.appMetrics.gauge("runs_running", "Program runs running.", () => runCounts.counts().running);
    core.appMetrics.gauge("runs_queued", "Program runs waiting for a free slot.", () => runCounts.counts().queued);
    return { programs, runs };
  },
  jobs: ({ runs }) => [{ name: "runs.retention", everyMs: 60 * 60 * 1000, run: () => runs.prune() }],
  start: async ({ programs, runs }) => {
    await programs.removeStaleStaging();
    await runs.markLost();
  },
  stop: ({ runs }) => runs.stop(),
});
