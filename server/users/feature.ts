// User management for admins.

import type { ApiKeyService } from "../api-keys/service";
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
  permissions: [
    { name: "users:manage", roles: [], description: "create, change, disable and delete users; reset passwords and second factors" },
  ],
  create: (core, { auth, apiKeys }: { auth: AuthService; apiKeys: ApiKeyService }) => ({
    users: createUserService({
      store: createAuthStore(core.db),
      events: core.events,
      createUser: auth.createUser,
      revokeApiKeys: apiKeys.revokeAllOf,
      now: () => core.clock.now(),
    }),
  }),
});
