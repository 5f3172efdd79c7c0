// Sign-in and the signed-in user's own account: sessions, tokens, lockout, two-factor.

import type { ApiKeyService } from "../api-keys/service";
import { defineFeature } from "../feature";
import { createAccountService } from "./account";
import { authMigrations } from "./migrations";
import { createAuthService } from "./service";
import { createAuthStore } from "./store";
import { createTokenSigner } from "./tokens";

declare module "../events" {
  interface EventMap {
    /** A user's sessions, keys, role or status changed: caches forget them, sockets re-check. */
    "auth.credentials-changed": { userId: string };
  }
}
declare module "../auth/permissions" {
  interface Permissions {
    account: true;
  }
}
declare module "../limits/rate-limiter" {
  interface RateClasses {
    auth: true;
  }
}
declare module "../settings" {
  interface FeatureSettings {
    accessTokenTtlSeconds: number;
    refreshTokenTtlSeconds: number;
  }
}

const SESSION_PRUNE_INTERVAL_MS = 60 * 60 * 1000;

export const authFeature = defineFeature({
  name: "auth",
  migrations: authMigrations,
  settings: [
    { key: "accessTokenTtlSeconds", kind: "int", default: 15 * 60, min: 30, max: 86_400, description: "access token lifetime (seconds)" },
    {
      key: "refreshTokenTtlSeconds",
      kind: "int",
      default: 30 * 86_400,
      min: 300,
      max: 365 * 86_400,
      description: "refresh token (session) lifetime (seconds)",
    },
  ],
  permissions: [
    {
      name: "account",
      roles: ["viewer", "operator"],
      description: "own password, two-factor, sessions and API keys",
      forKeys: false,
    },
  ],
  rateClasses: [
    { name: "auth", defaultPerMinute: 30, description: "sign-in, setup and refresh requests per IP; current-password checks per user" },
  ],
  async create(core, { apiKeys }: { apiKeys: ApiKeyService }) {
    const { config, clock, serverKeys } = core;
    const store = createAuthStore(core.db, { totpSecretKey: serverKeys.derive("totp-secrets") });
    store.sealClearTotpSecrets(); // stored in clear before they were encrypted
    const auth = createAuthService({
      store,
      apiKeys,
      tokens: createTokenSigner(serverKeys.signing, config.accessTokenTtlSeconds, clock),
      events: core.events,
      log: core.log,
      loginGuard: core.loginGuard,
      rateLimiter: core.rateLimiter,
      access: core.access,
      clock,
      caches: core.caches,
      refreshTtlSeconds: config.refreshTokenTtlSeconds,
    });
    if (config.adminPassword) await auth.seedAdmin(config.adminPassword);
    const { events, rateLimiter, loginGuard } = core;
    return { auth, account: createAccountService({ store, events, rateLimiter, loginGuard, now: () => clock.now() }) };
  },
  jobs: ({ auth }) => [{ name: "auth.session-prune", everyMs: SESSION_PRUNE_INTERVAL_MS, run: () => auth.pruneSessions() }],
});
