// GraphQL over WebSocket (graphql-transport-ws) on /graphql: the same schema, plugins and
// context as HTTP; the viewer comes from connection_init (bearer token or API key) or the UI's
// cookie, and a socket is closed as soon as its credential stops being valid.
import type { Server, ServerWebSocket, WebSocketHandler } from "bun";
import { type ExecutionArgs, GraphQLError } from "graphql";
import { CloseCode } from "graphql-ws";
import { handleProtocols, makeHandler } from "graphql-ws/use/bun";
import type { YogaServerInstance } from "graphql-yoga";
import type { Context, Services } from "../../schema/context";
import { toClientError } from "../../schema/errors";
import { rejected, type Viewer } from "../auth/viewer";
import { type AppError, LimitExceededError } from "../errors";
import type { EventBus } from "../events";
import type { RateLimiter } from "../limits/rate-limiter";
import type { Logger } from "../log";
import { newRequestId, type RequestOrigin, requestOrigin } from "./client-info";
import { ACCESS_COOKIE, readCookie } from "./cookies";

/** What a socket carries from its upgrade request to every operation on it. */
export interface SocketData {
  origin: RequestOrigin;
  cookieAccessToken: string | null;
  viewer: Viewer;
}

export interface GraphqlSocketsOptions {
  // biome-ignore lint/suspicious/noExplicitAny: yoga's server-context generics do not matter here; only getEnveloped is used.
  getEnveloped: YogaServerInstance<any, any>["getEnveloped"];
  services: Services;
  events: EventBus;
  log: Logger;
  rateLimiter: RateLimiter;
  buildContext: (origin: RequestOrigin, viewer: Viewer) => Context;
  limitError: (retryAfterSeconds: number) => AppError;
  socketCheckIntervalMs: number;
}

const ENDED = "Your session has ended; sign in again.";
/** Bounds that keep one client from holding the server's memory: sockets per IP, operations per socket. */
const MAX_SOCKETS_PER_IP = 32;
const MAX_OPERATIONS_PER_SOCKET = 100;

export function createGraphqlSockets({
  getEnveloped,
  services,
  events,
  log,
  rateLimiter,
  buildContext,
  limitError,
  socketCheckIntervalMs,
}: GraphqlSocketsOptions) {
  const sockets = new Set<ServerWebSocket<SocketData>>();

  const closeIfInvalid = (socket: ServerWebSocket<SocketData>) => {
    if (services.auth.viewerStillValid(socket.data.viewer)) return false;
    socket.data.viewer = rejected(ENDED);
    socket.close(CloseCode.Forbidden, "Session ended or expired");
    return true;
  };

  const recheckTimer = setInterval(() => {
    try {
      for (const socket of sockets) closeIfInvalid(socket);
    } catch (err) {
      log.error("re-checking sockets failed", { err });
    }
  }, socketCheckIntervalMs);
  const offCredentialsChanged = events.on("auth.credentials-changed", ({ userId }) => {
    for (const socket of sockets)
      if (socket.data.viewer.kind !== "anonymous" && socket.data.viewer.userId === userId) closeIfInvalid(socket);
  });

  const graphqlWs = makeHandler<Record<string, unknown>>({
    execute: (args: ExecutionArgs) => (args.rootValue as { execute: (a: ExecutionArgs) => unknown }).execute(args) as never,
    subscribe: (args: ExecutionArgs) => (args.rootValue as { subscribe: (a: ExecutionArgs) => unknown }).subscribe(args) as never,
    onConnect: async (ctx) => {
      const socket = ctx.extra.socket as unknown as ServerWebSocket<SocketData>;
      const payload = ctx.connectionParams ?? {};
      const fromPayload =
        typeof payload.authorization === "string"
          ? /^Bearer\s+(\S+)$/i.exec(payload.authorization)?.[1]
          : typeof payload.token === "string"
            ? payload.token
            : undefined;
      socket.data.viewer = await services.auth.viewerFromBearer(fromPayload ?? socket.data.cookieAccessToken);
      return true;
    },
    // Parse and validate are wrapped: graphql-ws would otherwise leave the client waiting forever
    // when they throw (armor's rules do).
    onSubscribe: async (ctx, _id, payload) => {
      const socket = ctx.extra.socket as unknown as ServerWebSocket<SocketData>;
      if (closeIfInvalid(socket)) return [new GraphQLError(ENDED, { extensions: { code: "UNAUTHENTICATED" } })];
      const origin = { ...socket.data.origin, requestId: newRequestId() };
      const context = buildContext(origin, socket.data.viewer);
      const clientErrors = (errors: readonly unknown[]) => errors.map((e) => toClientError(e, context));
      if (Object.keys(ctx.subscriptions).length >= MAX_OPERATIONS_PER_SOCKET)
        return clientErrors([
          new LimitExceededError(`At most ${MAX_OPERATIONS_PER_SOCKET} operations may run on one socket; stop some first.`),
        ]);
      const viewer = socket.data.viewer;
      for (const key of [`ip:${origin.ip ?? "-"}`, ...(viewer.kind === "anonymous" ? [] : [`user:${viewer.userId}`])]) {
        const decision = rateLimiter.take("api", key);
        if (!decision.allowed) return clientErrors([limitError(decision.retryAfterSeconds)]);
      }
      const enveloped = getEnveloped({ params: payload, origin, responseCookies: [], socketContext: context });
      try {
        const document = enveloped.parse(payload.query);
        const errors = enveloped.validate(enveloped.schema, document);
        if (errors.length > 0) return clientErrors(errors);
        return {
          schema: enveloped.schema,
          document,
          operationName: payload.operationName,
          variableValues: payload.variables,
          contextValue: await enveloped.contextFactory(),
          rootValue: { execute: enveloped.execute, subscribe: enveloped.subscribe },
        };
      } catch (err) {
        if (!(err instanceof GraphQLError)) log.error("socket operation failed before execution", { requestId: origin.requestId, err });
        return clientErrors([err instanceof GraphQLError ? err : new GraphQLError("Invalid query.")]);
      }
    },
  });

  const websocket: WebSocketHandler<SocketData> = {
    ...(graphqlWs as unknown as WebSocketHandler<SocketData>),
    open(socket) {
      sockets.add(socket);
      graphqlWs.open?.(socket as never);
    },
    close(socket, code, reason) {
      sockets.delete(socket);
      return graphqlWs.close?.(socket as never, code, reason);
    },
  };

  return {
    websocket,
    /** Upgrades a graphql-ws request; returns a Response only when the upgrade is refused. */
    upgrade(request: Request, server: Server<SocketData>): Response | undefined {
      const protocol = handleProtocols(request.headers.get("sec-websocket-protocol") ?? "");
      if (!protocol) return new Response("Use the graphql-transport-ws subprotocol.", { status: 400 });
      const origin = requestOrigin(request, server as Server<unknown>);
      const decision = rateLimiter.take("api", `ip:${origin.ip ?? "-"}`);
      const open = [...sockets].filter((s) => s.data.origin.ip === origin.ip).length;
      if (!decision.allowed || open >= MAX_SOCKETS_PER_IP) {
        const retryAfter = Math.max(1, decision.retryAfterSeconds);
        return new Response(`Too many connections; try again in ${retryAfter} s.`, {
          status: 429,
          headers: { "retry-after": String(retryAfter) },
        });
      }
      // A page from another site must not ride on the UI's cookie (cross-site WebSocket hijacking).
      const pageOrigin = request.headers.get("origin");
      const sameSite = !pageOrigin || URL.parse(pageOrigin)?.host === request.headers.get("host");
      const data: SocketData = {
        origin,
        cookieAccessToken: sameSite ? readCookie(request.headers.get("cookie"), ACCESS_COOKIE) : null,
        viewer: { kind: "anonymous" },
      };
      if (server.upgrade(request, { data, headers: { "sec-websocket-protocol": protocol } })) return undefined;
      return new Response("WebSocket upgrade failed.", { status: 400 });
    },
    close() {
      clearInterval(recheckTimer);
      offCredentialsChanged();
      for (const socket of sockets) socket.close(1001, "Server shutting down");
    },
  };
}
