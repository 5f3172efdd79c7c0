// Tunnels: open a public URL to Outpost itself through ngrok, cloudflared or localtunnel, keep it
// up (a dropped tunnel reconnects with capped exponential backoff on the injected clock), publish
// and audit every change of state, and restore start-on-boot tunnels when Outpost starts. Each
// tunnel reaches Outpost through its own local entrance, where visitors are told apart by the
// provider's header. No tunnel opens while no admin exists.
import type { NewAuditEntry } from "../audit/store";
import type { Clock } from "../clock";
import { ConflictError, InvalidInputError, LimitExceededError, NotFoundError } from "../errors";
import type { EventBus } from "../events";
import type { LocalEntrance, LocalEntrances } from "../http/local-entrance";
import type { Logger } from "../log";
import { type ProviderDriver, TunnelConnectError, type TunnelConnection, type TunnelOptions, type TunnelProvider } from "./connection";
import type { TunnelStore } from "./store";

export type TunnelState = "STARTING" | "ONLINE" | "RECONNECTING" | "STOPPED" | "FAILED";

export interface TunnelInfo {
  id: string;
  provider: TunnelProvider;
  /** Null until the provider has given one. */
  publicUrl: string | null;
  state: TunnelState;
  /** When it entered this state. */
  since: Date;
  /** Why it failed, or why it last dropped. */
  lastError: string | null;
  startOnBoot: boolean;
  /** Requests (and socket upgrades) that came through it. */
  requests: number;
  /** Reconnections after drops. */
  reconnects: number;
  startedByName: string | null;
}

export interface ProviderAvailability {
  provider: TunnelProvider;
  available: boolean;
  reason: string | null;
}

/** Who starts a tunnel: the state changes it goes through are audited in their name. */
export interface TunnelActor {
  userId: string;
  username: string;
}

export interface StartTunnelInput extends TunnelOptions {
  provider: TunnelProvider;
  startOnBoot?: boolean | null;
}

interface Tunnel {
  id: string;
  provider: TunnelProvider;
  options: TunnelOptions;
  startOnBoot: boolean;
  actor: TunnelActor | null;
  driver: ProviderDriver;
  entrance: LocalEntrance | null;
  connection: TunnelConnection | null;
  state: TunnelState;
  since: number;
  publicUrl: string | null;
  lastError: string | null;
  reconnects: number;
  /** Failed attempts since it was last online: the backoff's exponent. */
  failures: number;
  cancelRetry: (() => void) | null;
}

const ENDED: ReadonlySet<TunnelState> = new Set(["STOPPED", "FAILED"]);
/** The longest option (a token is well under it). */
const MAX_OPTION_CHARS = 2048;
/** Ended tunnels still listed (with their last error); older ones are forgotten. */
const KEEP_ENDED = 16;

/** Options as kept on disk: the secrets are left out. */
function withoutSecrets({ authtoken: _a, token: _t, basicAuth: _b, ...kept }: TunnelOptions): TunnelOptions {
  return kept;
}

export function createTunnelService({
  store,
  drivers,
  entrances,
  events,
  clock,
  log,
  recordAudit,
  activeAdmins,
  adminsWithoutSecondFactor,
  userById,
  startTimeoutMs,
  initialBackoffMs,
  maxBackoffMs,
  maxReconnectAttempts,
  maxTunnels,
}: {
  store: TunnelStore;
  drivers: ProviderDriver[];
  entrances: LocalEntrances;
  events: EventBus;
  clock: Clock;
  log: Logger;
  recordAudit: (entry: Omit<NewAuditEntry, "at">) => Promise<void>;
  /** How many enabled admins exist. */
  activeAdmins: () => number;
  /** Usernames of enabled admins without a second factor. */
  adminsWithoutSecondFactor: () => string[];
  /** The user a restored tunnel was started by, or null when they are gone. */
  userById: (userId: string) => TunnelActor | null;
  startTimeoutMs: number;
  initialBackoffMs: number;
  maxBackoffMs: number;
  /** Consecutive failed reconnections after which a tunnel is FAILED. */
  maxReconnectAttempts: number;
  /** Tunnels open (not STOPPED or FAILED) at once. */
  maxTunnels: number;
}) {
  const byProvider = new Map(drivers.map((d) => [d.provider, d]));
  const tunnels = new Map<string, Tunnel>();
  let stopping = false;

  const info = (t: Tunnel): TunnelInfo => ({
    id: t.id,
    provider: t.provider,
    publicUrl: t.publicUrl,
    state: t.state,
    since: new Date(t.since),
    lastError: t.lastError,
    startOnBoot: t.startOnBoot,
    requests: t.entrance?.requests() ?? 0,
    reconnects: t.reconnects,
    startedByName: t.actor?.username ?? null,
  });

  const forgetOldEnded = () => {
    const ended = [...tunnels.values()].filter((t) => ENDED.has(t.state));
    for (const t of ended.slice(0, Math.max(0, ended.length - KEEP_ENDED))) tunnels.delete(t.id);
  };

  /** Enters `state`, publishes it, and audits every state but STARTING (the mutation is audited itself). */
  const enter = (t: Tunnel, state: TunnelState) => {
    t.state = state;
    t.since = clock.now();
    const snapshot = info(t);
    events.publish("tunnel.status", snapshot);
    log.info("tunnel state", { tunnel: t.id, provider: t.provider, state, publicUrl: t.publicUrl, lastError: t.lastError });
    if (state === "STARTING") return;
    void recordAudit({
      actorKind: t.actor ? "user" : "anonymous",
      actorId: t.actor?.userId ?? null,
      actorName: t.actor?.username ?? null,
      ip: null,
      userAgent: null,
      action: `tunnel.${state.toLowerCase()}`,
      target: { id: t.id, provider: t.provider },
      targetLabel: t.publicUrl ?? t.provider,
      result: state === "FAILED" ? "FAILED" : "ok",
      detail: state === "ONLINE" || state === "STOPPED" ? null : t.lastError,
    });
  };

  /** Releases what a tunnel holds; the entrance goes last, after the client that used it. */
  const release = async (t: Tunnel) => {
    t.cancelRetry?.();
    t.cancelRetry = null;
    const connection = t.connection;
    t.connection = null;
    await connection?.close().catch((err) => log.warn("tunnel close failed", { tunnel: t.id, err }));
    t.entrance?.close();
  };

  const fail = async (t: Tunnel, reason: string) => {
    // Closed meanwhile: that is its end, not the failure of an attempt it no longer makes.
    if (t.state === "STOPPED") return;
    t.lastError = reason;
    await release(t);
    enter(t, "FAILED");
    if (t.startOnBoot) log.warn("a start-on-boot tunnel failed; it will be tried again when Outpost starts", { tunnel: t.id });
    forgetOldEnded();
  };

  /** One connection attempt; on success the tunnel is ONLINE and watched for drops. */
  const connectOnce = async (t: Tunnel) => {
    t.entrance ??= entrances.open({
      name: `tunnel-${t.id.slice(0, 8)}`,
      visitorHeader: t.driver.visitorHeader,
      // Only the live client's own connections may name visitors there.
      loopback: t.driver.needsLoopback
        ? { ownsConnection: (connection) => t.connection?.ownsConnection?.(connection) ?? false }
        : undefined,
    });
    // Set once connected: a report from the provider about an older connection (or about this one
    // before it is up) changes nothing.
    let connection: TunnelConnection | null = null;
    const isCurrent = () => connection !== null && t.connection === connection;
    connection = await t.driver.connect({
      entrance: t.entrance,
      options: t.options,
      timeoutMs: startTimeoutMs,
      onReconnecting: (reason) => {
        if (!isCurrent() || t.state !== "ONLINE") return;
        t.lastError = reason;
        t.reconnects++;
        enter(t, "RECONNECTING");
      },
      onOnline: () => {
        if (isCurrent() && t.state === "RECONNECTING") enter(t, "ONLINE");
      },
    });
    if (ENDED.has(t.state)) {
      // Stopped while connecting.
      await connection.close();
      return;
    }
    t.connection = connection;
    t.publicUrl = connection.publicUrl || t.publicUrl;
    t.failures = 0;
    enter(t, "ONLINE");
    void connection.dropped.then((reason) => {
      if (!isCurrent() || ENDED.has(t.state)) return;
      t.connection = null;
      t.lastError = reason;
      t.reconnects++;
      scheduleReconnect(t);
    });
  };

  /** Waits out the backoff (doubling per failure, capped), then tries again; FAILED after too many. */
  const scheduleReconnect = (t: Tunnel) => {
    if (stopping || ENDED.has(t.state)) return;
    if (t.failures >= maxReconnectAttempts) {
      void fail(t, `Gave up after ${t.failures} failed reconnections: ${t.lastError}`);
      return;
    }
    const delayMs = Math.min(maxBackoffMs, initialBackoffMs * 2 ** t.failures);
    t.failures++;
    enter(t, "RECONNECTING");
    t.cancelRetry = clock.setTimer(() => {
      t.cancelRetry = null;
      void connectOnce(t).catch((err) => {
        t.lastError = err instanceof TunnelConnectError ? err.message : "The tunnel could not reconnect.";
        if (!(err instanceof TunnelConnectError)) log.error("tunnel reconnect failed", { tunnel: t.id, err });
        scheduleReconnect(t);
      });
    }, delayMs);
  };

  const requireAdmin = () => {
    if (activeAdmins() === 0) throw new ConflictError("No admin exists yet: create the first admin before opening a tunnel.");
  };

  const open = (id: string, provider: TunnelProvider, options: TunnelOptions, startOnBoot: boolean, actor: TunnelActor | null): Tunnel => {
    const driver = byProvider.get(provider);
    if (!driver) throw new InvalidInputError(`Unknown tunnel provider ${provider}.`);
    const t: Tunnel = {
      id,
      provider,
      options,
      startOnBoot,
      actor,
      driver,
      entrance: null,
      connection: null,
      state: "STARTING",
      since: clock.now(),
      publicUrl: options.hostname ? `https://${options.hostname}` : null,
      lastError: null,
      reconnects: 0,
      failures: 0,
      cancelRetry: null,
    };
    tunnels.set(id, t);
    enter(t, "STARTING");
    return t;
  };

  const find = (id: string) => {
    const t = tunnels.get(id);
    if (!t) throw new NotFoundError("No such tunnel.");
    return t;
  };

  return {
    /**
     * Opens a tunnel and waits until it is online (at most the start timeout). Throws
     * BAD_USER_INPUT for options or a setup the box lacks (token, program), CONFLICT when no admin
     * exists or the provider could not be reached (the tunnel is then listed as FAILED),
     * LIMIT_EXCEEDED past the tunnel limit. A start-on-boot tunnel is remembered once online.
     */
    async start(actor: TunnelActor, { provider, startOnBoot, ...options }: StartTunnelInput): Promise<TunnelInfo> {
      requireAdmin();
      const tooLong = Object.entries(options).find(([, v]) => (Array.isArray(v) ? v.join(",") : String(v ?? "")).length > MAX_OPTION_CHARS);
      if (tooLong) throw new InvalidInputError(`${tooLong[0]} may be at most ${MAX_OPTION_CHARS} characters long.`);
      const driver = byProvider.get(provider);
      if (!driver) throw new InvalidInputError(`Unknown tunnel provider ${provider}.`);
      const problem = driver.checkOptions(options, startOnBoot === true);
      if (problem) throw new InvalidInputError(problem);
      const availability = await driver.availability();
      if (!availability.available) throw new InvalidInputError(availability.reason ?? `${provider} is not available.`);
      if ([...tunnels.values()].filter((t) => !ENDED.has(t.state)).length >= maxTunnels)
        throw new LimitExceededError(`At most ${maxTunnels} tunnels may be open at once; stop one first.`, {
          details: { limit: maxTunnels },
        });
      const t = open(crypto.randomUUID(), provider, options, startOnBoot === true, actor);
      try {
        await connectOnce(t);
      } catch (err) {
        if (t.state === "STOPPED") throw new ConflictError("The tunnel was closed while it was opening.");
        const message = err instanceof TunnelConnectError ? err.message : "The tunnel could not be opened.";
        if (!(err instanceof TunnelConnectError)) log.error("tunnel start failed", { tunnel: t.id, err });
        await fail(t, message);
        if (err instanceof TunnelConnectError && err.kind === "setup") throw new InvalidInputError(message);
        throw new ConflictError(message, { details: { tunnelId: t.id } });
      }
      if (t.startOnBoot && !ENDED.has(t.state))
        store.add({ id: t.id, provider, options: withoutSecrets(options), startedBy: actor.userId }, clock.now());
      return info(t);
    },

    /** Stops a tunnel for good (and forgets it for the next start); returns it STOPPED. NOT_FOUND for an unknown id. */
    async stop(id: string): Promise<TunnelInfo> {
      const t = find(id);
      store.remove(id);
      if (!ENDED.has(t.state)) {
        t.state = "STOPPED";
        await release(t);
        t.lastError = null;
        enter(t, "STOPPED");
        forgetOldEnded();
      }
      return info(t);
    },

    /** Whether an open tunnel is restored when Outpost starts (secrets are not kept: its token then comes from the settings). */
    setStartOnBoot(id: string, startOnBoot: boolean): TunnelInfo {
      const t = find(id);
      if (ENDED.has(t.state)) throw new ConflictError("The tunnel has ended; start a new one.");
      const problem = t.driver.checkOptions(t.options, startOnBoot);
      if (problem) throw new InvalidInputError(problem);
      t.startOnBoot = startOnBoot;
      if (startOnBoot)
        store.add({ id: t.id, provider: t.provider, options: withoutSecrets(t.options), startedBy: t.actor?.userId ?? null }, clock.now());
      else store.remove(id);
      const snapshot = info(t);
      events.publish("tunnel.status", snapshot);
      return snapshot;
    },

    /** Open tunnels and the last ended ones, oldest first. */
    list: (): TunnelInfo[] => [...tunnels.values()].map(info),

    /** Every change of state (and of start-on-boot) from now on. */
    watch: (): AsyncIterableIterator<TunnelInfo> => events.subscribe("tunnel.status"),

    /** Each provider and whether this build and box can run it. */
    providers: (): Promise<ProviderAvailability[]> =>
      Promise.all(drivers.map(async (d) => ({ provider: d.provider, ...(await d.availability()) }))),

    adminsWithoutSecondFactor,

    /**
     * Starts the start-on-boot tunnels in the background (a slow provider does not hold up the
     * server). With no admin, none starts: each is listed FAILED saying why.
     */
    restoreOnBoot(): void {
      for (const saved of store.all()) {
        const t = open(saved.id, saved.provider, saved.options, true, saved.startedBy ? userById(saved.startedBy) : null);
        if (activeAdmins() === 0) {
          void fail(t, "No admin exists: tunnels stay closed until there is one.");
          continue;
        }
        void connectOnce(t).catch((err) => {
          t.lastError = err instanceof TunnelConnectError ? err.message : "The tunnel could not be opened.";
          if (!(err instanceof TunnelConnectError)) log.error("tunnel restore failed", { tunnel: t.id, err });
          // A missing program or token will not appear by waiting; a provider may come back.
          if (err instanceof TunnelConnectError && err.kind === "setup") void fail(t, t.lastError);
          else scheduleReconnect(t);
        });
      }
    },

    /** Closes every tunnel (server shutdown); the start-on-boot list is kept. */
    async stopAll(): Promise<void> {
      stopping = true;
      await Promise.all([...tunnels.values()].map((t) => release(t)));
    },
  };
}

export type TunnelService = ReturnType<typeof createTunnelService>;
