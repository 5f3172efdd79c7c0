// User management for admins.

import type { AuthService } from "../auth/service";
import { createAuthStore } from "../auth/store";
import { defineFeature } from "../feature";
import { createUserService } from "./service";

declare module "../auth/permissions" {
  interface Permissions {
    "users:manage": true;
  }
}

export const usersFeature = defineFeature({
  name: "users",
  permissions: [{ name: "users:manage", roles: [], description: "create, change, disable and delete users" }],
  create: (core, { auth }: { auth: AuthService }) => ({
    users: createUserService({
      store: createAuthStore(core.db),
      events: core.events,
      createUser: auth.createUser,
      now: () => core.clock.now(),
    }),
  }),
});
