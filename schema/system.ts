// The host Outpost runs on, its data disk, and the server's background jobs.
import type { DiskState, DiskUsage } from "../server/disk/watch";
import type { JobInfo } from "../server/jobs";
import type { SystemInfo } from "../server/system/service";
import { builder } from "./builder";

const DiskStateEnum = builder.enumType("DiskState", {
  values: {
    OK: { value: "ok" },
    LOW: {
      value: "low",
      description: "Free space is below the reserve: new data is refused; sign-in, deletes and the audit log still work.",
    },
    FULL: {
      value: "full",
      description:
        "Below the reserve with the emergency space given back (a write found no room) or never made, or almost nothing free; sign-in and deletes still work.",
    },
  } as const,
});

const DiskUsageType = builder.objectRef<DiskUsage>("DiskUsage").implement({
  description: "What takes space on the data disk.",
  fields: (t) => ({
    name: t.exposeString("name", {
      description:
        "database, emergency-space (held to be given back when the disk fills), a capability such as files, or other (not Outpost's).",
    }),
    bytes: t.exposeFloat("bytes"),
  }),
});

// Sizes are Floats: they pass Int's 2^31, and a Float carries whole numbers exactly up to 2^53.
const DiskStatusType = builder.objectRef<DiskState>("DiskStatus").implement({
  description: "The file system of the data directory.",
  fields: (t) => ({
    state: t.field({ type: DiskStateEnum, resolve: (disk) => disk.state }),
    freeBytes: t.exposeFloat("freeBytes"),
    totalBytes: t.exposeFloat("totalBytes"),
    reserveBytes: t.exposeFloat("reserveBytes", { description: "Free space kept for sign-in and deletes; new data is refused below it." }),
    usage: t.expose("usage", { type: [DiskUsageType] }),
    checkedAt: t.expose("checkedAt", { type: "DateTime" }),
  }),
});

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
    disk: t.field({ type: DiskStatusType, resolve: (_system, _args, ctx) => ctx.services.system.disk() }),
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
