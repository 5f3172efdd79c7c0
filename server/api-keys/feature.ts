// API keys: made by users for scripts, with scopes; their table is in the auth migrations.
import { defineFeature } from "../feature";
import { createApiKeyService } from "./service";
import { createApiKeyStore } from "./store";

declare module "../auth/permissions" {
  interface Permissions {
    "keys:manage": true;
  }
}
declare module "../settings" {
  interface FeatureSettings {
    maxApiKeysPerUser: number;
  }
}

export const apiKeysFeature = defineFeature({
  name: "apiKeys",
  permissions: [{ name: "keys:manage", roles: [], description: "list and revoke anyone's API keys" }],
  settings: [
    {
      key: "maxApiKeysPerUser",
      kind: "int",
      default: 50,
      min: 1,
      max: 10_000,
      description: "API keys one user may hold that are neither revoked nor expired",
    },
  ],
  create: (core) => ({
    apiKeys: createApiKeyService({
      store: createApiKeyStore(core.db),
      events: core.events,
      access: core.access,
      clock: core.clock,
      caches: core.caches,
      maxActiveKeysPerUser: core.config.maxApiKeysPerUser,
    }),
  }),
});
