// The host Outpost runs on, and the server's background jobs.
import type { JobInfo } from "../server/jobs";
import type { SystemInfo } from "../server/system/service";
import { builder } from "./builder";

const SystemInfoType = builder.objectRef<SystemInfo>("SystemInfo").implement({
  fields: (t) => ({
    hostname: t.exposeString("hostname"),
    os: t.exposeString("os"),
    kernel: t.exposeString("kernel"),
    arch: t.exposeString("arch"),
    boardModel: t.exposeString("boardModel", { nullable: true }),
    uptimeSeconds: t.exposeInt("uptimeSeconds"),
    version: t.exposeString("version"),
    bunVersion: t.exposeString("bunVersion"),
    buildTarget: t.exposeString("buildTarget"),
    startedAt: t.expose("startedAt", { type: "DateTime" }),
  }),
});

builder.queryField("system", (t) =>
  t.field({ type: SystemInfoType, authScopes: { permission: "system:read" }, resolve: (_root, _args, ctx) => ctx.services.system.info() }),
);

const JobType = builder.objectRef<JobInfo>("Job").implement({
  description: "A background job of the server.",
  fields: (t) => ({
    name: t.exposeString("name"),
    kind: t.exposeString("kind", { description: "every (periodic) or at (one-shot, scheduled by the server)." }),
    intervalMs: t.exposeInt("intervalMs", { nullable: true }),
    lastRunAt: t.expose("lastRunAt", { type: "DateTime", nullable: true }),
    lastDurationMs: t.exposeInt("lastDurationMs", { nullable: true }),
    nextRunAt: t.expose("nextRunAt", { type: "DateTime", nullable: true }),
    lastError: t.exposeString("lastError", { nullable: true, description: "The last run's error; null after a run that succeeded." }),
    runs: t.exposeInt("runs"),
    running: t.exposeBoolean("running"),
  }),
});

builder.queryField("jobs", (t) =>
  t.field({ type: [JobType], authScopes: { permission: "jobs:read" }, resolve: (_root, _args, ctx) => ctx.services.system.jobs() }),
);
