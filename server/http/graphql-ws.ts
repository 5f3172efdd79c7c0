// GraphQL over WebSocket (graphql-transport-ws) on /graphql, as a protocol of the socket
// dispatcher: the same schema, plugins and context as HTTP; the viewer comes from connection_init
// (bearer token or API key) or the UI's cookie. Operations are bounded per socket and per user (or,
// for anonymous sockets, per address) across all their sockets, and documents by length. A large
// answer counts against its owners' answers in flight until its socket has written it. Events of a
// subscription paced by its reader (run output) wait for the socket to drain instead.
import { type ExecutionArgs, GraphQLError, getOperationAST } from "graphql";
import { GRAPHQL_TRANSPORT_WS_PROTOCOL, makeServer } from "graphql-ws";
import type { YogaServerInstance } from "graphql-yoga";
import type { Context } from "../../schema/context";
import { toClientError } from "../../schema/errors";
import { isPacedByReader, longerThanBytes } from "../../schema/limits";
import type { AnswerHold, AnswersInFlight } from "../../schema/response-budget";
import type { Viewer } from "../auth/viewer";
import { InvalidInputError, LimitExceededError } from "../errors";
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
  /** The allowance the response budget charges large answers to; their holds are released once written. */
  answersInFlight: AnswersInFlight;
  buildContext: (origin: RequestOrigin, viewer: Viewer) => Context;
}

const ENDED = "Your session has ended; sign in again.";
/** Operations one socket may run at once, so one client cannot hold the server's memory. */
const MAX_OPERATIONS_PER_SOCKET = 100;
/** Operations one user (anonymous sockets: one address) may run at once over all their sockets. */
const MAX_OPERATIONS_PER_USER = 100;
/** Bytes a socket may leave unread besides its large answers (those count against their owners' allowance). */
const MAX_UNREAD_BYTES = 2 << 20;
/**
 * Unread bytes above which the next event of a paced subscription waits for the socket to drain:
 * well under MAX_UNREAD_BYTES, so that an event of another operation sent meanwhile still fits.
 */
const PACED_UNREAD_BYTES = 512 << 10;

/** One operation from its subscribe message until graphql-ws is done with it (or its socket closes). */
interface Operation {
  owner: string;
  context: Context;
  ended: boolean;
  /** How its events begin as sent (`{"id":…,"type":"next"`) when it is paced by its reader; else null. */
  pacedPrefix: string | null;
}

/** What graphql-ws's server does with one socket: its messages in, and its end. */
interface GraphqlWsClient {
  handleMessage: (data: string) => Promise<void>;
  closed: (code?: number, reason?: string) => Promise<void>;
}

/** The graphql-transport-ws protocol for the socket dispatcher. */
export function graphqlSocketProtocol({
  getEnveloped,
  auth,
  closeIfInvalid,
  log,
  rateLimiter,
  maxQueryBytes,
  answersInFlight,
  buildContext,
}: GraphqlSocketsOptions): SocketProtocol {
  // Operations running, by owner ("user:<id>", or "ip:<client key>" for anonymous sockets), and on
  // each socket. An operation, not its id, is counted: a client may reuse an id once it completed it.
  const runningByOwner = new Map<string, number>();
  const runningOn = new WeakMap<Socket, Set<Operation>>();
  const ownerOf = (socket: Socket) => {
    const viewer = socket.data.viewer;
    return viewer.kind === "anonymous" ? `ip:${socket.data.origin.clientKey}` : `user:${viewer.userId}`;
  };
  // The operations the subscribe message being handed to graphql-ws starts (see `message`).
  let startedByMessage: Operation[] | null = null;
  const track = (socket: Socket, owner: string, context: Context, pacedPrefix: string | null) => {
    const operation: Operation = { owner, context, ended: false, pacedPrefix };
    const running = runningOn.get(socket) ?? new Set<Operation>();
    runningOn.set(socket, running.add(operation));
    runningByOwner.set(owner, (runningByOwner.get(owner) ?? 0) + 1);
    startedByMessage?.push(operation);
  };
  const end = (socket: Socket, operation: Operation) => {
    if (operation.ended) return;
    operation.ended = true;
    runningOn.get(socket)?.delete(operation);
    const left = (runningByOwner.get(operation.owner) ?? 1) - 1;
    if (left > 0) runningByOwner.set(operation.owner, left);
    else runningByOwner.delete(operation.owner);
  };

  // Holds of large answers sent on each socket, oldest first, until the socket has written them.
  const unwrittenOn = new WeakMap<Socket, AnswerHold[]>();
  const unwrittenBytes = (socket: Socket) => (unwrittenOn.get(socket) ?? []).reduce((sum, hold) => sum + hold.bytes, 0);
  /**
   * Releases the holds of answers the socket has written: the oldest while the later ones still
   * cover all it has buffered (a hold is about the size of its answer as sent).
   */
  const releaseWritten = (socket: Socket) => {
    const unwritten = unwrittenOn.get(socket);
    if (!unwritten?.length) return;
    const buffered = socket.getBufferedAmount();
    let later = unwrittenBytes(socket);
    for (let oldest = unwritten[0]; oldest && later - oldest.bytes >= buffered; oldest = unwritten[0]) {
      later -= oldest.bytes;
      unwritten.shift();
      oldest.release();
    }
  };
  /**
   * Before an answer or event is sent: cuts off a socket that left more than MAX_UNREAD_BYTES unread
   * besides its large answers, and hands a large answer's hold to the socket until it is written.
   */
  const sending = (socket: Socket, context: Context) => {
    // Cut off (1006), not closed: a close frame would wait behind what the client does not read, and
    // keep it in memory. graphql-ws clients reconnect after a 1006.
    if (socket.readyState === WebSocket.OPEN && socket.getBufferedAmount() - unwrittenBytes(socket) > MAX_UNREAD_BYTES) socket.terminate();
    const hold = answersInFlight.takeHold(context);
    if (!hold) return;
    if (socket.readyState !== WebSocket.OPEN) return hold.release();
    const unwritten = unwrittenOn.get(socket) ?? [];
    unwrittenOn.set(socket, unwritten);
    unwritten.push(hold);
  };
  /** After graphql-ws is done with an operation: a hold it still has belongs to an answer never sent. */
  const answered = (socket: Socket, operation: Operation) => {
    end(socket, operation);
    answersInFlight.takeHold(operation.context)?.release();
    releaseWritten(socket);
  };

  // Paced events waiting for their socket to drain: woken by `drain`, and all at once by `close`.
  const drainWaitersOn = new WeakMap<Socket, (() => void)[]>();
  const isPaced = (socket: Socket, message: string) => {
    for (const operation of runningOn.get(socket) ?? [])
      if (operation.pacedPrefix && message.startsWith(operation.pacedPrefix)) return true;
    return false;
  };
  /**
   * Resolves once the socket holds at most PACED_UNREAD_BYTES unread (or is closed). Each waiter
   * checks again when woken and sends right after, so one drain lets out one event at a time.
   */
  const roomToSend = async (socket: Socket) => {
    while (socket.readyState === WebSocket.OPEN && socket.getBufferedAmount() > PACED_UNREAD_BYTES) {
      const waiters = drainWaitersOn.get(socket) ?? [];
      drainWaitersOn.set(socket, waiters);
      await new Promise<void>((resolve) => waiters.push(resolve));
    }
  };
  const wakeDrainWaiters = (socket: Socket) => {
    const waiters = drainWaitersOn.get(socket) ?? [];
    drainWaitersOn.delete(socket);
    for (const wake of waiters) wake();
  };

  // graphql-ws's own Bun adapter sends without waiting; this one lets a paced subscription's event
  // wait for room, and graphql-ws awaits each send before it asks the subscription for the next.
  const clients = new WeakMap<Socket, GraphqlWsClient>();
  const graphqlWs = makeServer<Record<string, unknown>, { socket: Socket }>({
    execute: (args: ExecutionArgs) => (args.rootValue as { execute: (a: ExecutionArgs) => unknown }).execute(args) as never,
    subscribe: (args: ExecutionArgs) => (args.rootValue as { subscribe: (a: ExecutionArgs) => unknown }).subscribe(args) as never,
    onConnect: async (ctx) => {
      const socket = ctx.extra.socket;
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
      const socket = ctx.extra.socket;
      if (closeIfInvalid(socket)) return [new GraphQLError(ENDED, { extensions: { code: "UNAUTHENTICATED" } })];
      const origin = { ...socket.data.origin, requestId: newRequestId() };
      const context = buildContext(origin, socket.data.viewer);
      const clientErrors = (errors: readonly unknown[]) => errors.map((e) => toClientError(e, context));
      if ((runningOn.get(socket)?.size ?? 0) >= MAX_OPERATIONS_PER_SOCKET)
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
        // graphql-ws would answer this itself, without calling onComplete.
        const operation = getOperationAST(document, payload.operationName);
        if (!operation)
          return clientErrors([
            new InvalidInputError(
              payload.operationName
                ? `The document has no operation named ${JSON.stringify(payload.operationName)}.`
                : "The document has several operations; name the one to run in operationName.",
            ),
          ]);
        // Counted from here (nothing above awaited, so concurrent messages cannot all pass the
        // check) until graphql-ws is done with the operation, however it ends, or the socket closes.
        const pacedPrefix = isPacedByReader(enveloped.schema, operation) ? `${JSON.stringify({ id }).slice(0, -1)},"type":"next"` : null;
        track(socket, owner, context, pacedPrefix);
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
    onNext: (ctx, _id, _payload, args) => sending(ctx.extra.socket, args.contextValue as Context),
  });
  const clientOf = (socket: Socket): GraphqlWsClient => {
    const client = clients.get(socket);
    if (!client) throw new Error("A graphql-ws message or close for a socket never opened.");
    return client;
  };

  return {
    name: "graphql-transport-ws",
    path: "/graphql",
    open: (socket) => {
      let handleMessage: GraphqlWsClient["handleMessage"] = async () => {
        throw new Error("A graphql-ws message before its handler was registered.");
      };
      const closed = graphqlWs.opened(
        {
          protocol: GRAPHQL_TRANSPORT_WS_PROTOCOL,
          send: async (message) => {
            if (clients.has(socket) && isPaced(socket, message)) await roomToSend(socket);
            if (clients.has(socket)) socket.sendText(message);
          },
          close: (code, reason) => {
            if (clients.has(socket)) socket.close(code, reason);
          },
          onMessage: (handler) => {
            handleMessage = handler;
          },
        },
        { socket },
      );
      clients.set(socket, { handleMessage: (data) => handleMessage(data), closed });
    },
    // graphql-ws calls onSubscribe before its message handler first awaits, and settles the
    // handler's promise only once it is done with the operation (answered, refused, completed,
    // or failed), so that promise marks the end of every operation the message started.
    message: (socket, message) => {
      const started: Operation[] = [];
      startedByMessage = started;
      let handled: Promise<void>;
      try {
        handled = clientOf(socket).handleMessage(String(message));
      } finally {
        startedByMessage = null;
      }
      if (started.length === 0) return handled;
      return handled.finally(() => {
        for (const operation of started) answered(socket, operation);
      });
    },
    close: (socket, code, reason) => {
      for (const operation of runningOn.get(socket) ?? []) end(socket, operation);
      for (const hold of unwrittenOn.get(socket) ?? []) hold.release();
      unwrittenOn.delete(socket);
      const client = clientOf(socket);
      clients.delete(socket);
      wakeDrainWaiters(socket);
      void client.closed(code, reason);
    },
    drain: (socket) => {
      releaseWritten(socket);
      wakeDrainWaiters(socket);
    },
  };
}
