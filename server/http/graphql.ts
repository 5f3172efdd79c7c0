// The /graphql endpoint: graphql-yoga for every kind of HTTP request, a fast path for the common
// JSON POST (documents parsed and validated once through yoga's pipeline, then executed through the
// same pipeline, so every plugin's execute hooks run on both paths), and graphql-ws on the same
// path for subscriptions, as a protocol of the socket dispatcher. Before anything is parsed, the
// edge refuses what a browser could be made to send from another site (form posts, plain text,
// cross-site pages) and parameters that are malformed or too long (./graphql-params). A large
// answer is written as the client reads it and counts against its owners' answers in flight until
// then.

import { type Plugin, useEngine } from "@envelop/core";
import { type ExecutionResult, execute, type GraphQLSchema } from "graphql";
import { createYoga } from "graphql-yoga";
import type { Context } from "../../schema/context";
import { toClientError, useClientErrors } from "../../schema/errors";
import { armorPlugins, useCostWithVariables, useIntrospectionGuard, useSubscriptionsOnSocketsOnly } from "../../schema/limits";
import { type AnswerHold, createAnswersInFlight, useResponseBudget } from "../../schema/response-budget";
import type { Services } from "../app";
import { can, type Viewer } from "../auth/viewer";
import { AppError, ForbiddenError, InvalidInputError, UnauthenticatedError } from "../errors";
import type { Logger } from "../log";
import { clientKey, newRequestId, type RequestOrigin } from "./client-info";
import { ACCESS_COOKIE, readCookie } from "./cookies";
import { asksForGraphiQL, graphiqlResponse } from "./graphiql";
import { createDocumentCache } from "./graphql-documents";
import { createParamsChecks, type GraphQLParams, unsupportedBody } from "./graphql-params";
import { graphqlSocketProtocol } from "./graphql-ws";
import { bearerToken, fromAnotherSite, mediaType, type RequestAuth } from "./request-auth";
import { httpErrorParts, type Route, type RouteContext } from "./router";
import { SECURITY_HEADERS } from "./security-headers";
import type { SocketDispatcher, SocketProtocol } from "./sockets";

interface ServerContext {
  /** The context the route built for this request (viewer, services, cookies). */
  context?: Context;
  /** Present for socket operations, whose context comes from the socket, not a request. */
  socketContext?: Context;
}

export interface GraphqlEndpointOptions {
  schema: GraphQLSchema;
  services: Services;
  auth: RequestAuth;
  log: Logger;
  maxRequestBodyBytes: number;
  /** Largest multipart request (an upload); yoga holds it in memory, so larger files go through the resumable upload. */
  maxMultipartBodyBytes: number;
  /** Longest document (with its operation name) accepted, in UTF-8 bytes; checked before parsing. */
  maxQueryBytes: number;
  /** The dispatcher's revocation check (bound late: the dispatcher is made from the protocols). */
  closeIfInvalid: SocketDispatcher["closeIfInvalid"];
  rateLimiter: Parameters<typeof graphqlSocketProtocol>[0]["rateLimiter"];
  /** Envelop plugins beyond the built-in limits and error handling; they run on every path. */
  plugins?: Plugin[];
}

const JSON_HEADERS = { "content-type": "application/json; charset=utf-8" };

/** How much of a large answer is handed to the server at a time, as the client reads it. */
const ANSWER_CHUNK_BYTES = 64 << 10;

/** Whose allowance of large answers in flight an answer counts against: its client address and, when signed in, its user. */
const answerOwners = (ctx: Context): string[] => [
  `ip:${clientKey(ctx.client.ip)}`,
  ...(ctx.viewer.kind === "anonymous" ? [] : [`user:${ctx.viewer.userId}`]),
];

/**
 * A body giving the server `bytes` a chunk at a time and releasing `hold` once all were taken or
 * the client went away. Bun pulls the next chunk only when the connection has written most of
 * the last ones, so the hold lasts while a client that does not read keeps the answer in memory.
 */
function bodyReleasingHold(bytes: Uint8Array, hold: AnswerHold): ReadableStream<Uint8Array> {
  let offset = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (offset >= bytes.length) {
        controller.close();
        hold.release();
        return;
      }
      const end = Math.min(offset + ANSWER_CHUNK_BYTES, bytes.length);
      controller.enqueue(bytes.subarray(offset, end));
      offset = end;
    },
    cancel: () => hold.release(),
  });
}

/** Errors at the edge (rate limit, body size) in GraphQL's response shape, with the matching HTTP status. */
function graphqlErrorResponse(error: AppError, origin: RequestOrigin): Response {
  const { details, init } = httpErrorParts(error, origin.requestId);
  return Response.json({ errors: [{ message: error.message, extensions: { ...details, code: error.code } }] }, init);
}

/**
 * Queries and mutations run on graphql-js's own `execute`: yoga's default executor
 * (@graphql-tools/executor) measured about twice as slow per request here, and nothing of ours
 * needs its incremental delivery. Subscriptions keep yoga's.
 */
function useGraphqlJsExecute(): Plugin {
  return useEngine({ execute });
}

export function createGraphqlEndpoint({
  schema,
  services,
  auth,
  log,
  maxRequestBodyBytes,
  maxMultipartBodyBytes,
  maxQueryBytes,
  closeIfInvalid,
  rateLimiter,
  plugins = [],
}: GraphqlEndpointOptions): { routes: Route[]; protocol: SocketProtocol } {
  const buildContext = (origin: RequestOrigin, viewer: Viewer, transport: Context["transport"], extra: Partial<Context> = {}): Context => ({
    viewer,
    services,
    client: { ip: origin.ip, userAgent: origin.userAgent },
    secure: origin.secure,
    requestId: origin.requestId,
    log,
    transport,
    refreshTokenFromCookie: null,
    responseCookies: [],
    ...extra,
  });
  const httpContext = (route: RouteContext): Context =>
    buildContext(route.origin, route.viewer, "http", { refreshTokenFromCookie: route.refreshTokenFromCookie });

  const { paramsProblem, useParamsChecks, checkSearchParams } = createParamsChecks({ maxQueryBytes });

  const answersInFlight = createAnswersInFlight({
    ownersOf: answerOwners,
    // Yoga executes with its own context, into which it copies ours: the hold is kept with ours.
    edgeContextOf: (ctx) => (ctx as ServerContext).context ?? (ctx as ServerContext).socketContext ?? ctx,
  });

  const yoga = createYoga<ServerContext, Context>({
    schema,
    graphqlEndpoint: "/graphql",
    // GraphiQL is served before yoga sees the request (precompressed, see ./graphiql).
    graphiql: false,
    landingPage: false,
    healthCheckEndpoint: "/graphql/health",
    // JSON bodies reach yoga only after the route's own limit; multipart ones are the largest it reads.
    maxRequestBodySize: Math.max(maxRequestBodyBytes, maxMultipartBodyBytes),
    // Its cache keeps every document's full text (1024 of any size); the fast path caches within bounds.
    parserAndValidationCache: false,
    logging: false,
    cors: false,
    plugins: [
      useGraphqlJsExecute(),
      useParamsChecks,
      ...armorPlugins(),
      useCostWithVariables(),
      useResponseBudget({ answersInFlight }),
      useIntrospectionGuard(),
      useSubscriptionsOnSocketsOnly(),
      useClientErrors(),
      ...plugins,
    ],
    maskedErrors: { maskError: (error) => toClientError(error, { log, requestId: newRequestId() }) },
    context: ({ context, socketContext }) => (socketContext ?? context) as Context,
  });

  /** The request id, and the cookies sign-in set, on a response; cookies only in answer to JSON (which no form can send). */
  const finish = (response: Response, ctx: Context, { cookies }: { cookies: boolean }) => {
    if (!response.headers.has("x-request-id")) response.headers.set("x-request-id", ctx.requestId);
    if (cookies) for (const cookie of ctx.responseCookies) response.headers.append("set-cookie", cookie);
    return response;
  };

  // Documents that parsed and validated through yoga's pipeline (all plugins' rules applied).
  const prepare = createDocumentCache(yoga.getEnveloped);

  // The pipeline's execute is the same for every request (only parse, validate and the context
  // factory are bound to one); taking it once saves running every plugin's onEnveloped per request.
  const pipeline = yoga.getEnveloped({} as never);

  /**
   * The common case, a JSON POST of a valid query or mutation, without yoga's HTTP machinery: the
   * document is parsed and validated once through yoga's enveloped pipeline (so every plugin's
   * parse and validate rules apply) and executed through the same pipeline (so every plugin's
   * execute hooks apply). Returns null to let yoga answer anything else (subscriptions, syntax or
   * validation errors) in its standard form. The parameters have passed `paramsProblem`.
   */
  const fastPost = async (params: GraphQLParams, contextValue: Context): Promise<Response | null> => {
    if (typeof params.query !== "string" || params.extensions != null) return null;
    const operationName = params.operationName ?? undefined;
    const prepared = prepare(params.query, operationName, params);
    if (!prepared?.operation || prepared.operation.operation === "subscription") return null;

    const result = (await pipeline.execute({
      schema: pipeline.schema,
      document: prepared.document,
      contextValue,
      variableValues: params.variables ?? undefined,
      operationName,
      rootValue: {},
    })) as ExecutionResult;
    // A sign-in refused for too many attempts is a 429 with Retry-After, like the edge limits.
    const retryAfter = result.errors?.find((e) => e.extensions?.code === "LIMIT_EXCEEDED")?.extensions?.retryAfterSeconds;
    const json = JSON.stringify(result);
    // A large answer goes out as the client reads it, encoded once (not copied again by a Response).
    const hold = answersInFlight.takeHold(contextValue);
    return new Response(hold ? bodyReleasingHold(new TextEncoder().encode(json), hold) : json, {
      status: typeof retryAfter === "number" ? 429 : 200,
      headers: {
        ...JSON_HEADERS,
        ...SECURITY_HEADERS,
        "x-request-id": contextValue.requestId,
        ...(typeof retryAfter === "number" ? { "retry-after": String(retryAfter) } : {}),
      },
    });
  };

  /** A JSON POST: the fast path, or yoga with the body it was sent. */
  const handleJson = async (request: Request, context: Context): Promise<Response> => {
    let params: GraphQLParams;
    try {
      params = await request.json();
    } catch (err) {
      // A body over the route's limit, counted while it was read.
      if (err instanceof AppError) throw err;
      throw new InvalidInputError("The request body is not valid JSON.");
    }
    const problem = paramsProblem(params);
    if (problem) throw problem;
    const fast = await fastPost(params, context);
    if (fast) return fast;
    const replay = new Request(request.url, { method: "POST", headers: request.headers, body: JSON.stringify(params) });
    return yoga.fetch(replay, { context });
  };

  /**
   * Who opens /graphql as a page: the bearer credential, or the UI's cookie. The cookie counts here
   * without the CSRF header because a browser's navigation cannot carry one, and the page changes
   * nothing (another site cannot frame it or read it).
   */
  const pageViewer = (request: Request): Promise<Viewer> =>
    services.auth.viewerFromBearer(
      bearerToken(request.headers.get("authorization")) ?? readCookie(request.headers.get("cookie"), ACCESS_COOKIE),
    );

  /** The response to an HTTP request to /graphql (not an upgrade), whatever its size. */
  const answerHttp = async (request: Request, route: RouteContext, context: Context): Promise<Response> => {
    if (request.method === "POST") {
      // No page of another site has any business here: sign-in, setup and refresh set cookies,
      // and failed sign-ins lock an account out.
      if (fromAnotherSite(request)) throw new ForbiddenError("Requests from another site's page are refused.");
      const type = mediaType(request.headers.get("content-type"));
      if (type === "application/json") return finish(await handleJson(request, context), context, { cookies: true });
      // A form can send multipart too, but never with the bearer credential it would need.
      if (type !== "multipart/form-data") throw unsupportedBody();
      if (route.viewer.kind === "anonymous")
        throw new UnauthenticatedError("Uploads need a signed-in caller with a bearer token or API key.");
      return finish(await yoga.fetch(request, { context }), context, { cookies: false });
    }
    if (asksForGraphiQL(request, new URL(request.url).pathname) && can(await pageViewer(request), "schema:read"))
      return finish(graphiqlResponse(request), context, { cookies: false });
    if (request.url.includes("?")) checkSearchParams(request.url);
    return finish(await yoga.fetch(request, { context }), context, { cookies: false });
  };

  /**
   * The response, with a large answer's body (one whose context still holds part of its owners'
   * allowance: yoga's answers) written as the client reads it, and the hold released once written.
   */
  const releasedWhenWritten = async (request: Request, response: Response, context: Context): Promise<Response> => {
    const hold = answersInFlight.takeHold(context);
    if (!hold) return response;
    // No body is written for HEAD (yoga executes it, then refuses the method).
    if (request.method === "HEAD" || !response.body) {
      hold.release();
      return response;
    }
    try {
      const bytes = new Uint8Array(await response.arrayBuffer());
      const { status, statusText, headers } = response;
      return new Response(bodyReleasingHold(bytes, hold), { status, statusText, headers });
    } catch (err) {
      hold.release();
      throw err;
    }
  };

  /** Answers an HTTP request to /graphql (not an upgrade). */
  const handleHttp = async (request: Request, route: RouteContext): Promise<Response> => {
    const context = httpContext(route);
    try {
      return await releasedWhenWritten(request, await answerHttp(request, route, context), context);
    } catch (err) {
      answersInFlight.takeHold(context)?.release();
      throw err;
    }
  };

  const route = (path: string): Route => ({
    method: ["GET", "POST"],
    path,
    // Each field declares who may use it; the edge only authenticates and limits.
    access: "public",
    bodyLimitBytes: maxRequestBodyBytes,
    bodyLimitsByType: {
      "multipart/form-data": {
        bytes: maxMultipartBodyBytes,
        tooLargeMessage: `Uploads through GraphQL are limited to ${maxMultipartBodyBytes} bytes (max_multipart_body_bytes); send larger files with the resumable upload (tus) at /files/uploads.`,
      },
    },
    rateClass: "api",
    errorResponse: graphqlErrorResponse,
    handle: handleHttp,
  });

  return {
    routes: [route("/graphql"), route("/graphql/health")],
    protocol: graphqlSocketProtocol({
      getEnveloped: yoga.getEnveloped,
      auth,
      closeIfInvalid,
      log,
      rateLimiter,
      maxQueryBytes,
      answersInFlight,
      buildContext: (origin, viewer) => buildContext(origin, viewer, "ws"),
    }),
  };
}
