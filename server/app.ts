// createApp wires every capability once: data directory, database and migrations, services,
// the GraphQL endpoint (HTTP and WebSocket), plain HTTP routes and the embedded UI.
import type { Database } from "bun:sqlite";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { Server } from "bun";
import type { Services } from "../schema/context";
import { schema } from "../schema/index";
import { auditMigrations } from "./audit/migrations";
import { createAuditService } from "./audit/service";
import { createAuditStore } from "./audit/store";
import { createAccountService } from "./auth/account";
import { createApiKeyStore } from "./auth/api-key-store";
import { createApiKeyService } from "./auth/api-keys";
import { createLoginGuard } from "./auth/login-guard";
import { authMigrations } from "./auth/migrations";
import { createAuthService } from "./auth/service";
import { createAuthStore } from "./auth/store";
import { createTokenSigner, loadOrCreateSecret } from "./auth/tokens";
import { createUserService } from "./auth/users";
import type { Config } from "./config";
import { createWriteBatcher, migrationsApplied, openDatabase } from "./db";
import { createEventBus, type EventBus } from "./events";
import { newRequestId } from "./http/client-info";
import { createGraphqlEndpoint, type SocketData } from "./http/graphql";
import { describePortHolder } from "./http/port-holder";
import { securityHeaders } from "./http/security-headers";
import { serveUi } from "./http/static-ui";
import { kvMigrations } from "./kv/migrations";
import { createKvService } from "./kv/service";
import { createKvStore } from "./kv/store";
import { createRateLimiter } from "./limits/rate-limiter";
import { createLogger, type Logger } from "./log";
import { createSystemService } from "./system/service";

const MIGRATIONS = [...authMigrations, ...kvMigrations, ...auditMigrations];
const SESSION_PRUNE_INTERVAL_MS = 60 * 60 * 1000;
/** Refused requests recorded in the audit log per IP and minute; more are only counted by the limits. */
const DENIALS_AUDITED_PER_MINUTE = 60;

/** The path of an absolute URL, without parsing all of it (this runs for every request). */
function pathOf(url: string): string {
  const start = url.indexOf("/", url.indexOf("//") + 2);
  if (start === -1) return "/";
  const end = url.slice(start).search(/[?#]/);
  return end === -1 ? url.slice(start) : url.slice(start, start + end);
}

/** Thrown by start() when the port is taken; the message names the port and, if visible, the holder. */
export class PortInUseError extends Error {}

export interface AppOptions {
  log?: Logger;
  /** Lines meant for the person who started the server (address, setup link). */
  announce?: (line: string) => void;
}

export interface App {
  config: Config;
  services: Services;
  db: Database;
  events: EventBus;
  log: Logger;
  fetch(request: Request, server: Server<SocketData>): Promise<Response | undefined>;
  /** Listens on the configured port; resolves to the address actually bound. */
  start(): Promise<{ url: string; port: number }>;
  /** Stops accepting, lets in-flight requests finish (up to the grace period), closes sockets and the database. */
  stop(): Promise<void>;
}

export async function createApp(
  config: Config,
  { log = createLogger({ level: config.logLevel }), announce = (line) => console.error(line) }: AppOptions = {},
): Promise<App> {
  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  mkdirSync(join(config.dataDir, "tmp"), { recursive: true, mode: 0o700 });
  const db = openDatabase(join(config.dataDir, "outpost.db"), MIGRATIONS);
  const events = createEventBus();
  const writes = createWriteBatcher(db);
  const tokens = createTokenSigner(loadOrCreateSecret(config.dataDir), config.accessTokenTtlSeconds);

  const rateLimiter = createRateLimiter({
    perMinute: {
      auth: config.rateLimitAuthPerMinute,
      api: config.rateLimitApiPerMinute,
      upload: config.rateLimitUploadPerMinute,
      exec: config.rateLimitExecPerMinute,
      denials: DENIALS_AUDITED_PER_MINUTE,
    },
  });
  const authStore = createAuthStore(db);
  const apiKeys = createApiKeyService({ store: createApiKeyStore(db), events });
  const auth = createAuthService({
    store: authStore,
    apiKeys,
    tokens,
    events,
    log,
    loginGuard: createLoginGuard(),
    rateLimiter,
    refreshTtlSeconds: config.refreshTokenTtlSeconds,
  });
  const services: Services = {
    auth,
    account: createAccountService({ store: authStore, events }),
    users: createUserService({ store: authStore, events, createUser: auth.createUser }),
    apiKeys,
    limits: rateLimiter,
    audit: createAuditService({ store: createAuditStore(db), writes, events, log, retentionDays: config.auditRetentionDays }),
    kv: createKvService({
      store: createKvStore(db),
      writes,
      events,
      log,
      maxKeyBytes: config.kvMaxKeyBytes,
      maxValueBytes: config.kvMaxValueBytes,
    }),
    system: createSystemService(),
  };
  if (config.adminPassword) await services.auth.seedAdmin(config.adminPassword);

  const graphql = createGraphqlEndpoint({ schema, services, events, log, rateLimiter, maxRequestBodyBytes: config.maxRequestBodyBytes });
  let server: Server<SocketData> | null = null;
  let stopping = false;
  let pruneTimer: ReturnType<typeof setInterval> | null = null;

  const route = async (request: Request, bunServer: Server<SocketData>): Promise<Response | undefined> => {
    const pathname = pathOf(request.url);
    if (pathname === "/graphql") {
      if (request.headers.get("upgrade")?.toLowerCase() === "websocket") return graphql.upgrade(request, bunServer);
      return graphql.handleHttp(request, bunServer as Server<unknown>);
    }
    if (pathname === "/health") return Response.json({ status: "ok" });
    if (pathname === "/ready") {
      const ready = !stopping && migrationsApplied(db, MIGRATIONS);
      return Response.json({ status: ready ? "ready" : "not ready" }, { status: ready ? 200 : 503 });
    }
    if (request.method === "GET" || request.method === "HEAD") {
      const ui = serveUi(request, pathname);
      if (ui) return ui;
    }
    return Response.json({ error: "Not found" }, { status: 404 });
  };

  const fetch = async (request: Request, bunServer: Server<SocketData>) => {
    try {
      const response = await route(request, bunServer);
      if (response) securityHeaders(response, request);
      return response;
    } catch (err) {
      const requestId = newRequestId();
      log.error("request failed", { requestId, method: request.method, url: request.url, err });
      return securityHeaders(Response.json({ error: "Internal error", requestId }, { status: 500 }), request);
    }
  };

  return {
    config,
    services,
    db,
    events,
    log,
    fetch,
    async start() {
      try {
        server = Bun.serve<SocketData>({
          hostname: config.host,
          port: config.port,
          maxRequestBodySize: config.maxRequestBodyBytes,
          development: false,
          // Without this Bun (development: false) may share a port with another server silently.
          reusePort: false,
          fetch,
          websocket: graphql.websocket,
        });
      } catch (err) {
        if ((err as { code?: string }).code === "EADDRINUSE") {
          const holder = describePortHolder(config.port);
          throw new PortInUseError(
            `Port ${config.port} is already in use${holder ? ` by ${holder}` : ""}. Stop it, or start Outpost with --port <n> (0 picks a free port).`,
          );
        }
        throw err;
      }
      const port = server.port as number;
      const url = `http://${config.host === "0.0.0.0" || config.host === "::" ? "localhost" : config.host}:${port}`;
      services.kv.start();
      services.audit.start();
      pruneTimer = setInterval(() => {
        try {
          services.auth.pruneSessions();
        } catch (err) {
          log.error("pruning sessions failed", { err });
        }
      }, SESSION_PRUNE_INTERVAL_MS);
      log.info("listening", { url, port, dataDir: config.dataDir });
      announce(`Outpost listening on ${url}`);
      const setupToken = services.auth.setupToken();
      if (setupToken) {
        const link = `${config.publicUrl ?? url}/setup?token=${setupToken}`;
        log.info("no users yet: open the setup link to create the first admin", { setupLink: link });
        announce(`First start: create the admin at ${link}`);
      }
      return { url, port };
    },
    async stop() {
      if (stopping) return;
      stopping = true;
      services.kv.stop();
      services.audit.stop();
      if (pruneTimer) clearInterval(pruneTimer);
      graphql.close();
      if (server) {
        const graceful = server.stop(false);
        const grace = new Promise<"timeout">((resolve) => setTimeout(() => resolve("timeout"), config.shutdownGraceMs).unref());
        if ((await Promise.race([graceful, grace])) === "timeout") await server.stop(true);
      }
      await writes.drain();
      db.close();
      log.info("stopped");
    },
  };
}
