// GraphQL over WebSocket (graphql-transport-ws) on /graphql, as a protocol of the socket
// dispatcher: the same schema, plugins and context as HTTP; the viewer comes from connection_init
// (bearer token or API key) or the UI's cookie. Operations are bounded per socket and per user (or,
// for anonymous sockets, per address) across all their sockets, and documents by length.
import { type ExecutionArgs, GraphQLError } from "graphql";
import { makeHandler } from "graphql-ws/use/bun";
import type { YogaServerInstance } from "graphql-yoga";
import type { Context } from "../../schema/context";
import { toClientError } from "../../schema/errors";
import { longerThanBytes } from "../../schema/limits";
import type { Viewer } from "../auth/viewer";
import { LimitExceededError } from "../errors";
import type { RateLimiter } from "../limits/rate-limiter";
import type { Logger } from "../log";
import { newRequestId, type RequestOrigin } from "./client-info";
import { bearerToken, type RequestAuth } from "./request-auth";
import { rateLimitError } from "./router";
import type { Socket, SocketDispatcher, SocketProtocol } from "./sockets";

export interface GraphqlSocketsOptions {
  // biome-ignore lint/suspicious/noExplicitAny: yoga's server-context generics do not matter here; only getEnveloped is used.
  getEnveloped: YogaServerInstance<any, any>["getEnveloped"];
  auth: RequestAuth;
  /** The dispatcher's revocation check, run before each operation. */
  closeIfInvalid: SocketDispatcher["closeIfInvalid"];
  log: Logger;
  rateLimiter: RateLimiter;
  /** Longest document (with its operation name) accepted, in UTF-8 bytes; checked before parsing. */
  maxQueryBytes: number;
  buildContext: (origin: RequestOrigin, viewer: Viewer) => Context;
}

const ENDED = "Your session has ended; sign in again.";
/** Operations one socket may run at once, so one client cannot hold the server's memory. */
const MAX_OPERATIONS_PER_SOCKET = 100;
/** Operations one user (anonymous sockets: one address) may run at once over all their sockets. */
const MAX_OPERATIONS_PER_USER = 100;

/** The graphql-transport-ws protocol for the socket dispatcher. */
export function graphqlSocketProtocol({
  getEnveloped,
  auth,
  closeIfInvalid,
  log,
  rateLimiter,
  maxQueryBytes,
  buildContext,
}: GraphqlSocketsOptions): SocketProtocol {
  // Operations running, by owner ("user:<id>", or "ip:<client key>" for anonymous sockets), and on
  // each socket by id with their owner.
  const runningByOwner = new Map<string, number>();
  const runningOn = new WeakMap<Socket, Map<string, string>>();
  const ownerOf = (socket: Socket) => {
    const viewer = socket.data.viewer;
    return viewer.kind === "anonymous" ? `ip:${socket.data.origin.clientKey}` : `user:${viewer.userId}`;
  };
  const track = (socket: Socket, id: string, owner: string) => {
    const running = runningOn.get(socket) ?? new Map<string, string>();
    runningOn.set(socket, running.set(id, owner));
    runningByOwner.set(owner, (runningByOwner.get(owner) ?? 0) + 1);
  };
  const release = (socket: Socket, id: string) => {
    const running = runningOn.get(socket);
    const owner = running?.get(id);
    if (owner === undefined) return;
    running?.delete(id);
    const left = (runningByOwner.get(owner) ?? 1) - 1;
    if (left > 0) runningByOwner.set(owner, left);
    else runningByOwner.delete(owner);
  };

  const graphqlWs = makeHandler<Record<string, unknown>>({
    execute: (args: ExecutionArgs) => (args.rootValue as { execute: (a: ExecutionArgs) => unknown }).execute(args) as never,
    subscribe: (args: ExecutionArgs) => (args.rootValue as { subscribe: (a: ExecutionArgs) => unknown }).subscribe(args) as never,
    onConnect: async (ctx) => {
      const socket = ctx.extra.socket as unknown as Socket;
      const payload = ctx.connectionParams ?? {};
      const fromPayload =
        typeof payload.authorization === "string"
          ? bearerToken(payload.authorization)
          : typeof payload.token === "string"
            ? payload.token
            : null;
      socket.data.viewer = await auth.socketViewer(fromPayload, socket.data.cookieAccessToken);
      return true;
    },
    // Parse and validate are wrapped: graphql-ws would otherwise leave the client waiting forever
    // when they throw (armor's rules do).
    onSubscribe: async (ctx, id, payload) => {
      const socket = ctx.extra.socket as unknown as Socket;
      if (closeIfInvalid(socket)) return [new GraphQLError(ENDED, { extensions: { code: "UNAUTHENTICATED" } })];
      const origin = { ...socket.data.origin, requestId: newRequestId() };
      const context = buildContext(origin, socket.data.viewer);
      const clientErrors = (errors: readonly unknown[]) => errors.map((e) => toClientError(e, context));
      if (Object.keys(ctx.subscriptions).length >= MAX_OPERATIONS_PER_SOCKET)
        return clientErrors([
          new LimitExceededError(`At most ${MAX_OPERATIONS_PER_SOCKET} operations may run on one socket; stop some first.`),
        ]);
      const owner = ownerOf(socket);
      if ((runningByOwner.get(owner) ?? 0) >= MAX_OPERATIONS_PER_USER)
        return clientErrors([
          new LimitExceededError(`At most ${MAX_OPERATIONS_PER_USER} operations may run at once over all your sockets; stop some first.`),
        ]);
      if (longerThanBytes(payload.operationName ? `${payload.operationName}\n${payload.query}` : payload.query, maxQueryBytes))
        return clientErrors([new LimitExceededError(`The query is longer than ${maxQueryBytes} bytes.`)]);
      const viewer = socket.data.viewer;
      for (const key of [`ip:${origin.clientKey}`, ...(viewer.kind === "anonymous" ? [] : [`user:${viewer.userId}`])]) {
        const decision = rateLimiter.take("api", key);
        if (!decision.allowed) return clientErrors([rateLimitError(decision.retryAfterSeconds)]);
      }
      const enveloped = getEnveloped({ params: payload, origin, responseCookies: [], socketContext: context });
      try {
        const document = enveloped.parse(payload.query);
        const errors = enveloped.validate(enveloped.schema, document);
        if (errors.length > 0) return clientErrors(errors);
        // Counted from here (nothing above awaited, so concurrent messages cannot all pass the
        // check) until graphql-ws completes the operation or the socket closes.
        track(socket, id, owner);
        return {
          schema: enveloped.schema,
          document,
          operationName: payload.operationName,
          variableValues: payload.variables,
          contextValue: await enveloped.contextFactory(),
          rootValue: { execute: enveloped.execute, subscribe: enveloped.subscribe },
        };
      } catch (err) {
        release(socket, id);
        if (!(err instanceof GraphQLError)) log.error("socket operation failed before execution", { requestId: origin.requestId, err });
        return clientErrors([err instanceof GraphQLError ? err : new GraphQLError("Invalid query.")]);
      }
    },
    onComplete: (ctx, id) => release(ctx.extra.socket as unknown as Socket, id),
  });

  // graphql-ws's Bun handler is written against ServerWebSocket of any data.
  const handler = graphqlWs as unknown as Required<Pick<SocketProtocol, "open" | "message" | "close">>;
  return {
    name: "graphql-transport-ws",
    path: "/graphql",
    open: (socket) => handler.open(socket),
    message: (socket, message) => handler.message(socket, message),
    close: (socket, code, reason) => {
      for (const id of runningOn.get(socket)?.keys() ?? []) release(socket, id);
      return handler.close(socket, code, reason);
    },
  };
}
