// Tunnels: open a public URL to this server through ngrok, cloudflared or localtunnel, watch its
// state, stop it, choose whether it comes back when Outpost starts.
import type { ProviderAvailability, TunnelInfo } from "../server/tunnels/service";
import { auditTarget } from "./audit";
import { builder } from "./builder";
import { signedInViewer } from "./context";

const TunnelProviderEnum = builder.enumType("TunnelProvider", { values: ["NGROK", "CLOUDFLARED", "LOCALTUNNEL"] as const });
const TunnelStateEnum = builder.enumType("TunnelState", {
  values: ["STARTING", "ONLINE", "RECONNECTING", "STOPPED", "FAILED"] as const,
});

const TunnelType = builder.objectRef<TunnelInfo>("Tunnel").implement({
  fields: (t) => ({
    id: t.exposeID("id"),
    provider: t.field({ type: TunnelProviderEnum, resolve: (tunnel) => tunnel.provider }),
    publicUrl: t.exposeString("publicUrl", { nullable: true, description: "Null until the provider has given one." }),
    state: t.field({ type: TunnelStateEnum, resolve: (tunnel) => tunnel.state }),
    since: t.expose("since", { type: "DateTime", description: "When it entered this state." }),
    lastError: t.exposeString("lastError", { nullable: true, description: "Why it failed, or why it last dropped." }),
    startOnBoot: t.exposeBoolean("startOnBoot"),
    requests: t.exposeInt("requests", { description: "HTTP requests and socket upgrades that came through it." }),
    reconnects: t.exposeInt("reconnects"),
    startedByName: t.exposeString("startedByName", { nullable: true }),
  }),
});

const TunnelProviderAvailabilityType = builder.objectRef<ProviderAvailability>("TunnelProviderAvailability").implement({
  fields: (t) => ({
    provider: t.field({ type: TunnelProviderEnum, resolve: (p) => p.provider }),
    available: t.exposeBoolean("available"),
    reason: t.exposeString("reason", { nullable: true, description: "Why this build or box cannot run it." }),
  }),
});

builder.queryFields((t) => ({
  tunnels: t.field({
    type: [TunnelType],
    description: "Open tunnels and the last ended ones, oldest first.",
    authScopes: { permission: "tunnels:manage" },
    resolve: (_root, _args, ctx) => ctx.services.tunnels.list(),
  }),
  tunnelProviders: t.field({
    type: [TunnelProviderAvailabilityType],
    description: "Each provider and whether this build and box can run it.",
    authScopes: { permission: "tunnels:manage" },
    resolve: (_root, _args, ctx) => ctx.services.tunnels.providers(),
  }),
  adminsWithoutSecondFactor: t.stringList({
    description: "Enabled admins without a second factor: a tunnel exposes their password sign-in to the internet.",
    authScopes: { permission: "tunnels:manage" },
    resolve: (_root, _args, ctx) => ctx.services.tunnels.adminsWithoutSecondFactor(),
  }),
}));

builder.mutationFields((t) => ({
  startTunnel: t.field({
    type: TunnelType,
    description:
      "Opens a tunnel and returns it once online (within tunnel_start_timeout_seconds). BAD_USER_INPUT for options or a missing token or program; CONFLICT when no admin exists or the provider could not be reached (the tunnel is listed FAILED); LIMIT_EXCEEDED past tunnels_max.",
    authScopes: { permission: "tunnels:manage" },
    // Tokens and basic auth are left out of the audit log, as they are of the disk.
    extensions: auditTarget("provider", "startOnBoot", "domain", "hostname", "server", "subdomain"),
    args: {
      provider: t.arg({ type: TunnelProviderEnum, required: true }),
      startOnBoot: t.arg.boolean({ description: "Open it again whenever Outpost starts (tokens then come from the settings)." }),
      authtoken: t.arg.string({ description: "ngrok: authtoken; else ngrok_authtoken or NGROK_AUTHTOKEN. Kept in memory only." }),
      domain: t.arg.string({ description: "ngrok: a reserved domain." }),
      basicAuth: t.arg.string({ description: "ngrok: user:password asked before a visitor reaches Outpost. Kept in memory only." }),
      allowCidrs: t.arg.stringList({ description: "ngrok: the CIDR ranges let in (at most 32)." }),
      token: t.arg.string({ description: "cloudflared: a named tunnel's token; none for a quick tunnel. Kept in memory only." }),
      hostname: t.arg.string({ description: "cloudflared: a named tunnel's public hostname." }),
      server: t.arg.string({ description: "localtunnel: the server; else localtunnel_server." }),
      subdomain: t.arg.string({ description: "localtunnel: the subdomain asked for." }),
    },
    resolve: (_root, args, ctx) => {
      const { userId, username } = signedInViewer(ctx);
      return ctx.services.tunnels.start({ userId, username }, args);
    },
  }),
  stopTunnel: t.field({
    type: TunnelType,
    description: "Closes a tunnel for good (it is no longer opened at start).",
    authScopes: { permission: "tunnels:manage" },
    extensions: auditTarget("id"),
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, { id }, ctx) => ctx.services.tunnels.stop(String(id)),
  }),
  setTunnelStartOnBoot: t.field({
    type: TunnelType,
    description: "Whether an open tunnel is opened again when Outpost starts.",
    authScopes: { permission: "tunnels:manage" },
    extensions: auditTarget("id", "startOnBoot"),
    args: { id: t.arg.id({ required: true }), startOnBoot: t.arg.boolean({ required: true }) },
    resolve: (_root, { id, startOnBoot }, ctx) => ctx.services.tunnels.setStartOnBoot(String(id), startOnBoot),
  }),
}));

builder.subscriptionFields((t) => ({
  tunnelEvents: t.field({
    type: TunnelType,
    description: "Every change of a tunnel's state or start-on-boot, as the tunnel then is.",
    authScopes: { permission: "tunnels:manage" },
    extensions: auditTarget(),
    subscribe: (_root, _args, ctx) => ctx.services.tunnels.watch(),
    resolve: (tunnel) => tunnel,
  }),
}));
