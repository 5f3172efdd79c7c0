// The host Outpost runs on, and the server's background jobs.
import { defineFeature } from "../feature";
import { createSystemService } from "./service";

declare module "../auth/permissions" {
  interface Permissions {
    "system:read": true;
    "jobs:read": true;
  }
}

export const systemFeature = defineFeature({
  name: "system",
  permissions: [
    { name: "system:read", roles: ["viewer", "operator"], description: "read facts about the host" },
    { name: "jobs:read", roles: [], description: "list the server's background jobs" },
  ],
  create: (core) => ({ system: createSystemService({ startedAt: new Date(core.clock.now()), jobs: core.jobs }) }),
});
