// API keys: made by users for scripts, with scopes; their table is in the auth migrations.
import { defineFeature } from "../feature";
import { createApiKeyService } from "./service";
import { createApiKeyStore } from "./store";

declare module "../auth/permissions" {
  interface Permissions {
    "keys:manage": true;
  }
}

export const apiKeysFeature = defineFeature({
  name: "apiKeys",
  permissions: [{ name: "keys:manage", roles: [], description: "list and revoke anyone's API keys" }],
  create: (core) => ({
    apiKeys: createApiKeyService({
      store: createApiKeyStore(core.db),
      events: core.events,
      access: core.access,
      clock: core.clock,
      caches: core.caches,
    }),
  }),
});
