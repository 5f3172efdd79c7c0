// The host Outpost runs on.
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
