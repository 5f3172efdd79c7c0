// Tunnels: reach the box from anywhere through ngrok, cloudflared or localtunnel. Admin-only: a
// tunnel puts Outpost on the public internet.
import type { AuditService } from "../audit/service";
import { createAuthStore } from "../auth/store";
import { defineFeature } from "../feature";
import { cloudflaredDriver } from "./cloudflared";
import { localtunnelDriver, localtunnelServerUrl } from "./localtunnel";
import { tunnelMigrations } from "./migrations";
import { ngrokDriver } from "./ngrok";
import { createTunnelService, type TunnelInfo } from "./service";
import { createTunnelStore } from "./store";

declare module "../events" {
  interface EventMap {
    "tunnel.status": TunnelInfo;
  }
}
declare module "../auth/permissions" {
  interface Permissions {
    "tunnels:manage": true;
  }
}
declare module "../settings" {
  interface FeatureSettings {
    cloudflaredPath: string | null;
    cloudflaredToken: string | null;
    ngrokAuthtoken: string | null;
    localtunnelServer: string;
    tunnelStartTimeoutSeconds: number;
    tunnelMaxBackoffSeconds: number;
    tunnelMaxReconnectAttempts: number;
    tunnelsMax: number;
  }
}

/** The first reconnection waits this long; each failure doubles it up to the setting's cap. */
const INITIAL_BACKOFF_MS = 1000;

export const tunnelsFeature = defineFeature({
  name: "tunnels",
  migrations: tunnelMigrations,
  settings: [
    {
      key: "cloudflaredPath",
      kind: "string",
      default: null,
      nullable: true,
      description: "the cloudflared program (found on PATH when unset)",
      accepts: "an absolute path to an executable",
      check: (value) => (value.startsWith("/") ? null : "must be an absolute path"),
    },
    {
      key: "cloudflaredToken",
      kind: "string",
      default: null,
      nullable: true,
      inFile: false,
      description: "token of a named cloudflared tunnel, for tunnels restored at start (environment only)",
    },
    {
      key: "ngrokAuthtoken",
      kind: "string",
      default: null,
      nullable: true,
      inFile: false,
      description: "ngrok authtoken (environment only; NGROK_AUTHTOKEN works too)",
    },
    {
      key: "localtunnelServer",
      kind: "string",
      default: "localtunnel.me",
      description: "the localtunnel server tunnels ask by default (https unless the URL says http)",
      accepts: "a host name, or an http:// or https:// URL",
      check: (value) => (localtunnelServerUrl(value) ? null : "must be a host name or an http:// or https:// URL"),
    },
    {
      key: "tunnelStartTimeoutSeconds",
      kind: "int",
      default: 20,
      min: 1,
      max: 300,
      description: "a tunnel that is not online this long after a (re)start attempt has failed (seconds)",
    },
    {
      key: "tunnelMaxBackoffSeconds",
      kind: "int",
      default: 300,
      min: 1,
      max: 3600,
      description: "longest wait between reconnections of a dropped tunnel (seconds)",
    },
    {
      key: "tunnelMaxReconnectAttempts",
      kind: "int",
      default: 1000,
      min: 1,
      max: 1_000_000,
      description: "failed reconnections in a row after which a tunnel is FAILED",
    },
    { key: "tunnelsMax", kind: "int", default: 4, min: 1, max: 32, description: "tunnels open at once" },
  ],
  permissions: [{ name: "tunnels:manage", roles: [], description: "open, watch and stop public tunnels to this server" }],
  create: (core, { audit }: { audit: AuditService }) => {
    const accounts = createAuthStore(core.db);
    const enabledAdmins = () => accounts.allUsers().filter((u) => u.role === "admin" && !u.disabled);
    return {
      tunnels: createTunnelService({
        store: createTunnelStore(core.db),
        drivers: [
          ngrokDriver({ defaultAuthtoken: core.config.ngrokAuthtoken ?? process.env.NGROK_AUTHTOKEN ?? null, log: core.log }),
          cloudflaredDriver({
            supervisor: core.supervisor,
            log: core.log,
            program: core.config.cloudflaredPath,
            defaultToken: core.config.cloudflaredToken,
          }),
          localtunnelDriver({ defaultServer: core.config.localtunnelServer }),
        ],
        entrances: core.entrances,
        events: core.events,
        clock: core.clock,
        log: core.log,
        recordAudit: audit.record,
        activeAdmins: () => accounts.countActiveAdmins(),
        userById: (userId) => {
          const user = accounts.userById(userId);
          return user ? { userId: user.id, username: user.username } : null;
        },
        adminsWithoutSecondFactor: () =>
          enabledAdmins()
            .filter((u) => !u.totpEnabled)
            .map((u) => u.username),
        startTimeoutMs: core.config.tunnelStartTimeoutSeconds * 1000,
        initialBackoffMs: INITIAL_BACKOFF_MS,
        maxBackoffMs: core.config.tunnelMaxBackoffSeconds * 1000,
        maxReconnectAttempts: core.config.tunnelMaxReconnectAttempts,
        maxTunnels: core.config.tunnelsMax,
      }),
    };
  },
  start: ({ tunnels }) => tunnels.restoreOnBoot(),
  stop: ({ tunnels }) => tunnels.stopAll(),
});
