// The host Outpost runs on, the server's background jobs, and who may explore its API (GraphiQL and
// introspection, served by the GraphQL endpoint).
import { defineFeature } from "../feature";
import { createSystemService } from "./service";

declare module "../auth/permissions" {
  interface Permissions {
    "system:read": true;
    "jobs:read": true;
    "schema:read": true;
  }
}

export const systemFeature = defineFeature({
  name: "system",
  permissions: [
    { name: "system:read", roles: ["viewer", "operator"], description: "read facts about the host" },
    { name: "jobs:read", roles: [], description: "list the server's background jobs" },
    { name: "schema:read", roles: [], description: "open GraphiQL and read the schema by introspection" },
  ],
  create: (core) => ({ system: createSystemService({ startedAt: new Date(core.clock.now()), jobs: core.jobs, disk: core.disk }) }),
});
