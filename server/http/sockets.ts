// The one socket edge: WebSocket upgrades are dispatched by path and subprotocol to the protocol a
// feature declared (graphql-transport-ws, and the terminals' outpost-terminal). Every protocol shares
// the per-IP socket cap, the upgrade rate limit, the same-origin rule for the UI's cookie, a
// message size bound, a bound on what may wait to be sent (past it the socket is cut off), and the
// close-on-revocation check (a socket whose credential ends is closed with 4403 at once on a
// credentials change, and by a periodic check for expiry; the close reason says why, as a
// CredentialEnd, so a client can tell a role change from a session's end).
import type { Server, ServerWebSocket, WebSocketHandler } from "bun";
import type { CredentialEnd } from "../auth/credential-end";
import type { Permission } from "../auth/permissions";
import { ANONYMOUS, can, forbidden, rejected, type Viewer } from "../auth/viewer";
import { type AppError, UnauthenticatedError } from "../errors";
import type { EventBus } from "../events";
import type { Jobs } from "../jobs";
import type { RateLimiter } from "../limits/rate-limiter";
import type { Logger } from "../log";
import { NO_TRUSTED_PROXIES, type RequestOrigin, requestOrigin, type TrustedProxies } from "./client-info";
import { bearerToken, fromAnotherSite, type RequestAuth } from "./request-auth";
import { errorResponse, pathOf } from "./router";

/** What a socket carries from its upgrade request to every message on it. */
export interface SocketData {
  /** The subprotocol chosen at the upgrade. */
  protocol: string;
  origin: RequestOrigin;
  /** The UI's access cookie, when the upgrade came from a page of this origin. */
  cookieAccessToken: string | null;
  /** Anonymous until the protocol authenticates the socket (e.g. graphql-ws connection_init). */
  viewer: Viewer;
}

export type Socket = ServerWebSocket<SocketData>;

export interface SocketProtocol {
  /** The WebSocket subprotocol, e.g. `graphql-transport-ws`. */
  name: string;
  path: string;
  /**
   * Who may open it, checked at the upgrade (bearer header, or the UI's same-origin cookie).
   * Absent: the protocol authenticates in its own first message, as graphql-ws does.
   */
  access?: "signedIn" | Permission;
  /** Recorded when a socket is opened or refused at the upgrade. */
  audit?: { action: string };
  open?(socket: Socket): void;
  message(socket: Socket, message: string | Buffer): void | Promise<void>;
  close?(socket: Socket, code: number, reason: string): void;
  drain?(socket: Socket): void;
}

export interface SocketDispatcherOptions {
  protocols: readonly SocketProtocol[];
  auth: RequestAuth;
  /** Why a viewer's credential no longer holds as it did (auth's `endedBecause`), or null while it does. */
  endedBecause(viewer: Viewer): CredentialEnd | null;
  /** Records an audited protocol's upgrade (the audit feature's recorder). */
  recordAudit?(entry: { viewer: Viewer; origin: RequestOrigin; action: string; error?: AppError }): void;
  events: EventBus;
  jobs: Jobs;
  rateLimiter: RateLimiter;
  log: Logger;
  maxMessageBytes: number;
  /**
   * Bytes a socket may have waiting to be sent: a message sent past them closes it (1006) and frees
   * what it held. A backstop above what protocols let a socket hold themselves (graphql-ws: its
   * owners' 32 MiB of large answers in flight and 2 MiB else); a message is accepted whenever the
   * socket holds less, so the short messages that follow a large answer must fit too.
   */
  backpressureLimitBytes?: number;
  /** Per client address (an IPv6 client's /64: `RequestOrigin.clientKey`). */
  maxSocketsPerIp?: number;
  /** Peers whose X-Forwarded-For / X-Forwarded-Proto are believed; none when absent. */
  trustedProxies?: TrustedProxies;
  /** How often open sockets re-check that their credential is still valid (expiry has no event). */
  recheckIntervalMs?: number;
}

export const SOCKET_FORBIDDEN = 4403;
const ENDED = "Your session has ended; sign in again.";

export interface SocketDispatcher {
  /** Upgrades a request whose path and subprotocol a protocol serves; a Response when refused. */
  upgrade(request: Request, server: Server<SocketData>): Promise<Response | undefined>;
  websocket: WebSocketHandler<SocketData>;
  /** Closes the socket (4403, the CredentialEnd as reason) when its credential no longer holds; true when it did. */
  closeIfInvalid(socket: Socket): boolean;
  /** Closes every socket (server going away). */
  close(): void;
  /** How many sockets are open. */
  openCount(): number;
}

export function createSocketDispatcher({
  protocols,
  auth,
  endedBecause,
  events,
  jobs,
  rateLimiter,
  log,
  maxMessageBytes,
  backpressureLimitBytes = 36 << 20,
  maxSocketsPerIp = 32,
  recheckIntervalMs = 5_000,
  trustedProxies = NO_TRUSTED_PROXIES,
  recordAudit,
}: SocketDispatcherOptions): SocketDispatcher {
  const byName = new Map<string, SocketProtocol>();
  for (const protocol of protocols) {
    if (byName.has(protocol.name)) throw new Error(`Socket protocol ${protocol.name} is declared twice.`);
    byName.set(protocol.name, protocol);
  }
  const sockets = new Set<Socket>();
  const openPerIp = new Map<string, number>();

  const closeIfInvalid = (socket: Socket) => {
    const ended = endedBecause(socket.data.viewer);
    if (!ended) return false;
    socket.data.viewer = rejected(ENDED);
    socket.close(SOCKET_FORBIDDEN, ended);
    return true;
  };
  jobs.every("sockets.credential-check", recheckIntervalMs, () => {
    for (const socket of sockets) closeIfInvalid(socket);
  });
  const offCredentialsChanged = events.on("auth.credentials-changed", ({ userId }) => {
    for (const socket of sockets)
      if (socket.data.viewer.kind !== "anonymous" && socket.data.viewer.userId === userId) closeIfInvalid(socket);
  });

  const protocolOf = (socket: Socket) => byName.get(socket.data.protocol) as SocketProtocol;
  const ipKey = (socket: Socket) => socket.data.origin.clientKey;

  return {
    openCount: () => sockets.size,
    async upgrade(request, server) {
      const path = pathOf(request.url);
      const offered = (request.headers.get("sec-websocket-protocol") ?? "").split(",").map((p) => p.trim());
      const protocol = offered.map((name) => byName.get(name)).find((p) => p?.path === path);
      if (!protocol) {
        const served = protocols.filter((p) => p.path === path).map((p) => p.name);
        return new Response(served.length ? `Use the ${served.join(" or ")} subprotocol.` : "No socket here.", {
          status: served.length ? 400 : 404,
        });
      }
      // A page on another site may open a socket to any host (no CORS for WebSockets); it could
      // not use the UI's cookie, but it could spend the visitor's sign-in attempts from their address.
      if (fromAnotherSite(request)) return new Response("Sockets from pages of other sites are refused.", { status: 403 });
      const origin = requestOrigin(request, server as Server<unknown>, trustedProxies);
      const decision = rateLimiter.take("api", `ip:${origin.clientKey}`);
      if (!decision.allowed || (openPerIp.get(origin.clientKey) ?? 0) >= maxSocketsPerIp) {
        const retryAfter = Math.max(1, decision.retryAfterSeconds);
        return new Response(`Too many connections; try again in ${retryAfter} s.`, {
          status: 429,
          headers: { "retry-after": String(retryAfter) },
        });
      }
      const cookieAccessToken = auth.socketCookieToken(request);
      let viewer: Viewer = ANONYMOUS;
      if (protocol.access) {
        viewer = await auth.socketViewer(bearerToken(request.headers.get("authorization")), cookieAccessToken);
        const refusal =
          viewer.kind === "anonymous"
            ? new UnauthenticatedError(viewer.rejection)
            : protocol.access !== "signedIn" && !can(viewer, protocol.access)
              ? forbidden(viewer, protocol.access)
              : null;
        if (refusal) {
          if (protocol.audit) recordAudit?.({ viewer, origin, action: protocol.audit.action, error: refusal });
          return errorResponse(refusal, origin.requestId);
        }
      }
      const data: SocketData = { protocol: protocol.name, origin, cookieAccessToken, viewer };
      if (!server.upgrade(request, { data, headers: { "sec-websocket-protocol": protocol.name } }))
        return new Response("WebSocket upgrade failed.", { status: 400 });
      if (protocol.audit) recordAudit?.({ viewer, origin, action: protocol.audit.action });
      return undefined;
    },
    websocket: {
      maxPayloadLength: maxMessageBytes,
      backpressureLimit: backpressureLimitBytes,
      closeOnBackpressureLimit: true,
      open(socket) {
        sockets.add(socket);
        openPerIp.set(ipKey(socket), (openPerIp.get(ipKey(socket)) ?? 0) + 1);
        protocolOf(socket).open?.(socket);
      },
      message(socket, message) {
        const handled = protocolOf(socket).message(socket, message);
        if (handled instanceof Promise) handled.catch((err) => log.error("socket message failed", { protocol: socket.data.protocol, err }));
      },
      close(socket, code, reason) {
        sockets.delete(socket);
        const open = (openPerIp.get(ipKey(socket)) ?? 1) - 1;
        if (open > 0) openPerIp.set(ipKey(socket), open);
        else openPerIp.delete(ipKey(socket));
        protocolOf(socket).close?.(socket, code, reason);
      },
      drain(socket) {
        protocolOf(socket).drain?.(socket);
      },
    },
    closeIfInvalid,
    close() {
      offCredentialsChanged();
      for (const socket of sockets) socket.close(1001, "Server shutting down");
    },
  };
}
