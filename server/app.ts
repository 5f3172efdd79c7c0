// createApp wires the shared runtime once (data directory, database, clock, events, jobs, process
// supervisor, limits) and then loops over the feature list: migrations, create in order, their
// routes, sockets and jobs, start in order, stop in reverse. The HTTP edge (router) and the socket
// edge (dispatcher) serve every feature's routes and protocols beside /graphql and the web UI.
import type { Database } from "bun:sqlite";
import { rmSync } from "node:fs";
import { isIPv6 } from "node:net";
import { join } from "node:path";
import type { Plugin } from "@envelop/core";
import type { Server } from "bun";
import type { GraphQLSchema } from "graphql";
import { schema as builtSchema } from "../schema/index";
import { createAppMetrics } from "./app-metrics";
import { outcomeNeedsBudget } from "./audit/service";
import { createLoginGuard, type LoginGuard } from "./auth/login-guard";
import { createAccessControl } from "./auth/permissions";
import { loadServerKeys } from "./auth/tokens";
import type { Viewer } from "./auth/viewer";
import { type CacheFactory, memoryCaches } from "./cache";
import { type Clock, systemClock } from "./clock";
import { type Config, defaultsOf, rateClassesOf } from "./config";
import { explainDatabaseError, lockDataDir, prepareDataDir, SETUP_LINK_FILE, writeNoticeFile } from "./data-dir";
import { createWriteBatcher, migrationsApplied, openDatabase } from "./db";
import { createDiskWatch, DISK_WATCH_INTERVAL_MS, describeDiskState, isNoSpaceError } from "./disk/watch";
import { type AppError, NotFoundError, StartupError } from "./errors";
import { createEventBus, type EventBus } from "./events";
import type { AnyFeature, Core } from "./feature";
import { FEATURES, type Services } from "./features";
import { createTrustedProxies, newRequestId, type RequestOrigin } from "./http/client-info";
import { createGraphqlEndpoint } from "./http/graphql";
import { createLocalEntrances, type EntranceHandlers } from "./http/local-entrance";
import { useOperationMetrics } from "./http/operation-metrics";
import { describePortHolder } from "./http/port-holder";
import { createRequestAuth } from "./http/request-auth";
import { createRouter, pathOf, type Route } from "./http/router";
import { securityHeaders } from "./http/security-headers";
import { createSocketDispatcher, type SocketData, type SocketProtocol } from "./http/sockets";
import { serveUi } from "./http/static-ui";
import { createJobs, type Jobs } from "./jobs";
import { createRateLimiter, type RateLimiter } from "./limits/rate-limiter";
import { createLogger, type Logger } from "./log";
import { rateSettingKey } from "./settings";
import { createSupervisor } from "./supervisor";
import { VERSION } from "./version";

export type { Services } from "./features";

/** Thrown by start() when the port is taken; the message names the port and, if visible, the holder. */
export class PortInUseError extends StartupError {}

const internalErrorResponse = (requestId: string) =>
  Response.json({ error: { code: "INTERNAL", message: "Internal error.", requestId } }, { status: 500 });

/** State that requests share; each piece can be replaced by one shared between instances (Redis). */
export interface SharedState {
  events: EventBus;
  rateLimiter: RateLimiter;
  loginGuard: LoginGuard;
  caches: CacheFactory;
}

export interface AppOptions {
  log?: Logger;
  /** Lines meant for the person who started the server (address, setup link). */
  announce?: (line: string) => void;
  /** Time for every service and job; tests pass a manual clock. */
  clock?: Clock;
  /** The capabilities to run, in dependency order; every one by default. */
  features?: readonly AnyFeature[];
  /** Replacements for the in-memory shared state. */
  shared?: Partial<SharedState>;
  /** Envelop plugins added to the GraphQL pipeline (every transport and path runs them). */
  graphqlPlugins?: Plugin[];
  /** The GraphQL schema; the one built from schema/ by default. */
  schema?: GraphQLSchema;
}

export interface App {
  config: Config;
  services: Services;
  db: Database;
  events: EventBus;
  jobs: Jobs;
  clock: Clock;
  log: Logger;
  fetch(request: Request, server: Server<SocketData>): Promise<Response | undefined>;
  /** Listens on the configured port; resolves to the address actually bound. */
  start(): Promise<{ url: string; port: number }>;
  /** Stops accepting, lets in-flight requests finish (up to the grace period), closes sockets, stops the features and closes the database. */
  stop(): Promise<void>;
  /** Resolves once every write queued so far has committed. */
  settled(): Promise<void>;
}

export async function createApp(
  givenConfig: Config,
  {
    log = createLogger({ level: givenConfig.logLevel, format: givenConfig.logFormat }),
    announce = (line) => console.error(line),
    clock = systemClock,
    features = FEATURES,
    shared = {},
    graphqlPlugins = [],
    schema = builtSchema,
  }: AppOptions = {},
): Promise<App> {
  // Settings a caller's config lacks (a feature added to the list) take their defaults.
  const config = { ...defaultsOf(features), ...givenConfig } as Config;
  // Made once, before anything is opened (a bad entry stops the start), and shared by both edges;
  // a tunnel Outpost starts adds its own local entrance here (`core.entrances`).
  const trustedProxies = createTrustedProxies(config.trustedProxies);
  prepareDataDir(config.dataDir, log, { runAsUser: config.runAsUser });
  // Undone if anything below fails, so that whoever tries again in this process (a test) finds the
  // data directory free and the database closed; handed over to stop() once the app is made.
  using openedForStart = new DisposableStack();
  // Held until stop(), or until the process ends however it ends: one process per data directory.
  // Taken before the disk watch, which may delete or make the emergency space of the process holding it.
  const dataDirLock = openedForStart.adopt(lockDataDir(config.dataDir), (lock) => lock.release());
  // Before the database is written: on a full disk it gives back the emergency space first.
  const disk = createDiskWatch({ dataDir: config.dataDir, settings: config, clock, log });
  const migrations = features.flatMap((f) => f.migrations ?? []);
  let db: Database;
  try {
    db = openDatabase(join(config.dataDir, "outpost.db"), migrations, {
      noSpace: disk,
      appVersion: { version: VERSION, backupsDir: join(config.dataDir, "backups") },
    });
  } catch (err) {
    if (isNoSpaceError(err)) throw new StartupError(describeDiskState(disk.state()));
    throw explainDatabaseError(config.dataDir, "outpost.db", err);
  }
  // `true` finalizes the statements stores prepared: without it SQLite keeps the files open (and
  // the WAL unmerged) until they are garbage collected.
  openedForStart.defer(() => db.close(true));
  disk.watchDatabase(db, join(config.dataDir, "outpost.db"));
  const diskAtStart = disk.state();
  if (diskAtStart.state !== "ok") announce(describeDiskState(diskAtStart));

  const perMinute = Object.fromEntries(
    rateClassesOf(features).map((rc) => [rc.name, (config as unknown as Record<string, number>)[rateSettingKey(rc.name)] as number]),
  );
  const jobs = createJobs({ clock, log });
  jobs.every("disk.watch", DISK_WATCH_INTERVAL_MS, () => disk.check(), { runAtStart: true });
  const core: Core = {
    config,
    db,
    serverKeys: loadServerKeys(config.dataDir),
    writes: createWriteBatcher(db, { noSpace: disk }),
    disk,
    events: shared.events ?? createEventBus(),
    clock,
    log,
    jobs,
    supervisor: createSupervisor({ clock, log }),
    rateLimiter: shared.rateLimiter ?? createRateLimiter({ perMinute }, () => clock.now()),
    loginGuard: shared.loginGuard ?? createLoginGuard({ now: () => clock.now() }),
    access: createAccessControl(
      features.flatMap((f) => f.permissions ?? []),
      config as unknown as Record<string, unknown>,
    ),
    caches: shared.caches ?? memoryCaches(clock),
    entrances: createLocalEntrances({ runDir: join(config.dataDir, "run"), trustedProxies, handlers: () => entranceHandlers }),
    appMetrics: createAppMetrics(),
  };

  const services = {} as Services;
  const created: { feature: AnyFeature; provided: object }[] = [];
  const featureRoutes: Route[] = [];
  const featureSockets: SocketProtocol[] = [];
  for (const feature of features) {
    const provided = await feature.create(core, services);
    Object.assign(services, provided);
    created.push({ feature, provided });
    featureRoutes.push(...(feature.routes?.(provided, core) ?? []));
    featureSockets.push(...(feature.sockets?.(provided, core) ?? []));
    for (const job of feature.jobs?.(provided, core) ?? []) jobs.every(job.name, job.everyMs, job.run, { runAtStart: job.runAtStart });
  }

  let server: Server<SocketData> | null = null;
  let stopping = false;
  /** What local entrances serve: set once the server listens. */
  let entranceHandlers: EntranceHandlers | null = null;
  // Set once start() has done everything (features started, setup link written): only then is the server ready.
  let started = false;

  const auth = createRequestAuth((token) => services.auth.viewerFromBearer(token));
  /** What the HTTP and socket edges record for an audited route or protocol; refusals within the denial budget. */
  const recordOutcome = ({
    viewer,
    origin,
    action,
    target,
    error,
  }: {
    viewer: Viewer;
    origin: RequestOrigin;
    action: string;
    target: Record<string, unknown> | null;
    error?: AppError;
  }) => {
    if (outcomeNeedsBudget(viewer, error) && !services.audit.denialWithinBudget(origin.ip)) return;
    void services.audit.recordOutcome({ viewer, client: origin, action, target, error });
  };
  const graphql = createGraphqlEndpoint({
    schema,
    services,
    auth,
    log,
    maxRequestBodyBytes: config.maxRequestBodyBytes,
    maxMultipartBodyBytes: config.maxMultipartBodyBytes,
    maxQueryBytes: config.maxQueryBytes,
    closeIfInvalid: (socket) => sockets.closeIfInvalid(socket),
    rateLimiter: core.rateLimiter,
    plugins: [useOperationMetrics(core.appMetrics), ...graphqlPlugins],
  });
  const sockets = createSocketDispatcher({
    protocols: [graphql.protocol, ...featureSockets],
    auth,
    endedBecause: (viewer) => services.auth.endedBecause(viewer),
    events: core.events,
    jobs,
    rateLimiter: core.rateLimiter,
    log,
    maxMessageBytes: config.maxRequestBodyBytes,
    trustedProxies,
    recordAudit: ({ viewer, origin, action, error }) => recordOutcome({ viewer, origin, action, target: null, error }),
  });
  core.appMetrics.gauge("sockets_open", "WebSockets open (the UI's subscriptions and terminals ride on them).", () => sockets.openCount());

  const coreRoutes: Route[] = [
    // The version tells `outpost install` that the new binary is the one answering, and `outpost status` what runs.
    {
      method: "GET",
      path: "/health",
      access: "public",
      rateClass: null,
      // Public already (the GraphQL `health` field says setupRequired); `outpost status` and `install` show the setup link only then.
      handle: () => Response.json({ status: "ok", version: VERSION, setupRequired: services.auth.needsSetup() }),
    },
    {
      method: "GET",
      path: "/ready",
      access: "public",
      rateClass: null,
      // A full disk keeps the answer 200: the server still serves reads, sign-in and deletes, and a
      // load balancer that took it out of service would lock the owner out of freeing the space.
      handle: () => {
        const ready = started && !stopping && migrationsApplied(db, migrations);
        const { state, freeBytes, totalBytes, reserveBytes } = disk.state();
        return Response.json(
          { status: ready ? "ready" : "not ready", disk: { state, freeBytes, totalBytes, reserveBytes } },
          { status: ready ? 200 : 503 },
        );
      },
    },
  ];
  const uiRoute: Route = {
    method: "GET",
    path: "/*",
    access: "public",
    rateClass: null,
    handle: (request) => {
      const response = serveUi(request, pathOf(request.url));
      if (!response) throw new NotFoundError("Not found.");
      return response;
    },
  };
  const router = createRouter({
    routes: [...graphql.routes, ...coreRoutes, ...featureRoutes, uiRoute],
    auth,
    rateLimiter: core.rateLimiter,
    log,
    defaultBodyLimitBytes: config.maxRequestBodyBytes,
    trustedProxies,
    recordAudit: ({ viewer, origin, audit, params, error }) =>
      recordOutcome({ viewer, origin, action: audit.action, target: audit.target?.(params) ?? null, error }),
  });

  const fetch = async (request: Request, bunServer: Server<SocketData>) => {
    try {
      const response =
        request.headers.get("upgrade")?.toLowerCase() === "websocket"
          ? await sockets.upgrade(request, bunServer)
          : await router.handle(request, bunServer as Server<unknown>);
      if (response) securityHeaders(response, request);
      return response;
    } catch (err) {
      const requestId = newRequestId();
      log.error("request failed", { requestId, method: request.method, url: request.url, err });
      return securityHeaders(internalErrorResponse(requestId), request);
    }
  };
  // A body that fails after the handler returned (a file's bytes removed while it is being sent)
  // reaches Bun's own error page otherwise: answer in our shape, with our headers, and log it.
  const bodyFailed = (err: Error) => {
    const requestId = newRequestId();
    log.error("response body failed", { requestId, err });
    return securityHeaders(internalErrorResponse(requestId), new Request("http://outpost.invalid/"));
  };

  // Made: the database and the lock are stop()'s to close now.
  const closeDataDir = openedForStart.move();
  return {
    config,
    services,
    db,
    events: core.events,
    jobs,
    clock,
    log,
    fetch,
    settled: () => core.writes.drain(),
    async start() {
      try {
        server = Bun.serve<SocketData>({
          hostname: config.host,
          port: config.port,
          maxRequestBodySize: router.maxBodyBytes,
          development: false,
          // Without this Bun (development: false) may share a port with another server silently.
          reusePort: false,
          fetch,
          error: bodyFailed,
          websocket: sockets.websocket,
        });
      } catch (err) {
        const code = (err as { code?: string }).code;
        if (code === "EADDRINUSE") {
          const holder = describePortHolder(config.port);
          throw new PortInUseError(
            `Port ${config.port} is already in use${holder ? ` by ${holder}` : ""}. Stop it, or start Outpost with --port <n> (0 picks a free port).`,
          );
        }
        if (code === "EACCES")
          throw new StartupError(
            `Port ${config.port} is privileged: only root may listen below port 1024. Start Outpost with --port 1024 or above (8080 by default), or give it the capability CAP_NET_BIND_SERVICE.`,
          );
        throw err;
      }
      entranceHandlers = { fetch, websocket: sockets.websocket, maxRequestBodySize: router.maxBodyBytes, error: bodyFailed };
      const port = server.port as number;
      const host = config.host === "0.0.0.0" || config.host === "::" ? "localhost" : config.host;
      const url = `http://${isIPv6(host) ? `[${host}]` : host}:${port}`;
      dataDirLock.recordAddress(url);
      for (const { feature, provided } of created) await feature.start?.(provided, core);
      jobs.start();
      log.info("listening", { url, port, dataDir: config.dataDir });
      announce(`Outpost listening on ${url}`);
      const setupToken = services.auth.setupToken();
      // Also in the data directory, for `outpost install` to show; a link from an earlier start no longer works.
      const setupLinkPath = join(config.dataDir, SETUP_LINK_FILE);
      if (setupToken) {
        // A public URL given with a trailing slash must not make the link's path "//setup".
        const link = `${(config.publicUrl ?? url).replace(/\/+$/, "")}/setup?token=${setupToken}`;
        log.info("no users yet: open the setup link to create the first admin", { setupLink: link });
        announce(`First start: create the admin at ${link}`);
        writeNoticeFile(setupLinkPath, `${link}\n`);
      } else rmSync(setupLinkPath, { force: true });
      started = true;
      return { url, port };
    },
    async stop() {
      if (stopping) return;
      stopping = true;
      sockets.close();
      if (server) {
        const graceful = server.stop(false);
        let cancelGrace = () => {};
        const grace = new Promise<"timeout">((resolve) => {
          const timer = setTimeout(() => resolve("timeout"), config.shutdownGraceMs);
          cancelGrace = () => clearTimeout(timer);
        });
        if ((await Promise.race([graceful, grace])) === "timeout") await server.stop(true);
        cancelGrace();
      }
      await jobs.stop();
      for (const { feature, provided } of [...created].reverse()) await feature.stop?.(provided, core);
      await core.supervisor.stopAll();
      await core.writes.drain();
      // The setup token dies with the process.
      rmSync(join(config.dataDir, SETUP_LINK_FILE), { force: true });
      closeDataDir.dispose();
      log.info("stopped");
    },
  };
}
