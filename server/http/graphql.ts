// The /graphql endpoint: graphql-yoga for every kind of HTTP request, a fast path for the common
// JSON POST (documents parsed and validated once through yoga's pipeline, then executed through the
// same pipeline, so every plugin's execute hooks run on both paths), and graphql-ws on the same
// path for subscriptions, as a protocol of the socket dispatcher.

import type { Plugin } from "@envelop/core";
import { type DocumentNode, type ExecutionResult, type GraphQLSchema, getOperationAST, type OperationDefinitionNode } from "graphql";
import { createYoga } from "graphql-yoga";
import type { Context } from "../../schema/context";
import { toClientError, useClientErrors } from "../../schema/errors";
import { armorPlugins, useIntrospectionGuard, useSubscriptionsOnSocketsOnly } from "../../schema/limits";
import type { Services } from "../app";
import type { Viewer } from "../auth/viewer";
import { AppError } from "../errors";
import type { Logger } from "../log";
import { newRequestId, type RequestOrigin } from "./client-info";
import { ACCESS_COOKIE, readCookie } from "./cookies";
import { renderGraphiQL } from "./graphiql";
import { graphqlSocketProtocol } from "./graphql-ws";
import { bearerToken, type RequestAuth } from "./request-auth";
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
  /** The dispatcher's revocation check (bound late: the dispatcher is made from the protocols). */
  closeIfInvalid: SocketDispatcher["closeIfInvalid"];
  rateLimiter: Parameters<typeof graphqlSocketProtocol>[0]["rateLimiter"];
  /** Envelop plugins beyond the built-in limits and error handling; they run on every path. */
  plugins?: Plugin[];
}

const JSON_HEADERS = { "content-type": "application/json; charset=utf-8" };
const GRAPHIQL_CSP = [
  "default-src 'self'",
  "script-src 'self' 'unsafe-inline' 'unsafe-eval' blob:",
  "worker-src blob:",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "frame-ancestors 'none'",
].join("; ");

interface GraphQLParams {
  query?: unknown;
  variables?: Record<string, unknown> | null;
  operationName?: string | null;
  extensions?: unknown;
}

/** Errors at the edge (rate limit, body size) in GraphQL's response shape, with the matching HTTP status. */
function graphqlErrorResponse(error: AppError, origin: RequestOrigin): Response {
  const { details, init } = httpErrorParts(error, origin.requestId);
  return Response.json({ errors: [{ message: error.message, extensions: { ...details, code: error.code } }] }, init);
}

export function createGraphqlEndpoint({
  schema,
  services,
  auth,
  log,
  maxRequestBodyBytes,
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

  const yoga = createYoga<ServerContext, Context>({
    schema,
    graphqlEndpoint: "/graphql",
    // GraphiQL (bundled, no CDN) for signed-in admins only, loaded on first use.
    graphiql: async (request) => {
      const token = bearerToken(request.headers.get("authorization")) ?? readCookie(request.headers.get("cookie"), ACCESS_COOKIE);
      const viewer = await services.auth.viewerFromBearer(token);
      return viewer.kind === "user" && viewer.role === "admin" ? { title: "Outpost GraphiQL", subscriptionsProtocol: "WS" } : false;
    },
    renderGraphiQL,
    landingPage: false,
    healthCheckEndpoint: "/graphql/health",
    maxRequestBodySize: maxRequestBodyBytes,
    logging: false,
    cors: false,
    plugins: [...armorPlugins(), useIntrospectionGuard(), useSubscriptionsOnSocketsOnly(), useClientErrors(), ...plugins],
    maskedErrors: { maskError: (error) => toClientError(error, { log, requestId: newRequestId() }) },
    context: ({ context, socketContext }) => (socketContext ?? context) as Context,
  });

  const withCookies = (response: Response, ctx: Context) => {
    if (!response.headers.has("x-request-id")) response.headers.set("x-request-id", ctx.requestId);
    for (const cookie of ctx.responseCookies) response.headers.append("set-cookie", cookie);
    return response;
  };

  // Documents seen before, with yoga's parse and validate results (all plugins' rules applied).
  const documents = new Map<string, { document: DocumentNode; operation: OperationDefinitionNode | null; valid: boolean }>();
  const MAX_DOCUMENTS = 1000;
  const prepare = (query: string, operationName: string | undefined, params: GraphQLParams) => {
    const key = operationName ? `${operationName}\n${query}` : query;
    let prepared = documents.get(key);
    if (!prepared) {
      const enveloped = yoga.getEnveloped({ params } as never);
      let document: DocumentNode;
      try {
        document = enveloped.parse(query);
      } catch {
        return null;
      }
      let valid: boolean;
      try {
        valid = enveloped.validate(enveloped.schema, document).length === 0;
      } catch {
        // Armor's rules throw on a refused document; yoga answers it in its standard form.
        valid = false;
      }
      prepared = { document, operation: getOperationAST(document, operationName) ?? null, valid };
      if (documents.size >= MAX_DOCUMENTS) documents.delete(documents.keys().next().value as string);
      documents.set(key, prepared);
    }
    return prepared;
  };

  // The pipeline's execute is the same for every request (only parse, validate and the context
  // factory are bound to one); taking it once saves running every plugin's onEnveloped per request.
  const pipeline = yoga.getEnveloped({} as never);

  /**
   * The common case, a JSON POST of a valid query or mutation, without yoga's HTTP machinery: the
   * document is parsed and validated once through yoga's enveloped pipeline (so every plugin's
   * parse and validate rules apply) and executed through the same pipeline (so every plugin's
   * execute hooks apply). Returns null to let yoga answer anything else (batches, subscriptions,
   * syntax or validation errors) in its standard form.
   */
  const fastPost = async (params: GraphQLParams, contextValue: Context): Promise<Response | null> => {
    if (
      typeof params !== "object" ||
      params === null ||
      Array.isArray(params) ||
      typeof params.query !== "string" ||
      (params.variables != null && (typeof params.variables !== "object" || Array.isArray(params.variables))) ||
      (params.operationName != null && typeof params.operationName !== "string") ||
      params.extensions != null
    )
      return null;
    const operationName = params.operationName ?? undefined;
    const prepared = prepare(params.query, operationName, params);
    if (!prepared?.valid || !prepared.operation || prepared.operation.operation === "subscription") return null;

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
    return new Response(JSON.stringify(result), {
      status: typeof retryAfter === "number" ? 429 : 200,
      headers: {
        ...JSON_HEADERS,
        ...SECURITY_HEADERS,
        "x-request-id": contextValue.requestId,
        ...(typeof retryAfter === "number" ? { "retry-after": String(retryAfter) } : {}),
      },
    });
  };

  /** Answers an HTTP request to /graphql (not an upgrade). */
  const handleHttp = async (request: Request, route: RouteContext): Promise<Response> => {
    const context = httpContext(route);
    const contentType = request.headers.get("content-type") ?? "";
    if (request.method === "POST" && contentType.startsWith("application/json")) {
      let params: GraphQLParams;
      try {
        params = await request.json();
      } catch (err) {
        // A body over the route's limit, counted while it was read.
        if (err instanceof AppError) throw err;
        return Response.json(
          { errors: [{ message: "The request body is not valid JSON.", extensions: { code: "BAD_USER_INPUT" } }] },
          { status: 400, headers: { "x-request-id": context.requestId } },
        );
      }
      const fast = await fastPost(params, context);
      if (fast) return withCookies(fast, context);
      const replay = new Request(request.url, { method: "POST", headers: request.headers, body: JSON.stringify(params) });
      return withCookies(await yoga.fetch(replay, { context }), context);
    }
    const response = await yoga.fetch(request, { context });
    // Only the GraphiQL page is HTML here; it runs inline scripts and workers from blobs.
    if (response.headers.get("content-type")?.startsWith("text/html")) response.headers.set("content-security-policy", GRAPHIQL_CSP);
    return withCookies(response, context);
  };

  const route = (path: string): Route => ({
    method: ["GET", "POST"],
    path,
    // Each field declares who may use it; the edge only authenticates and limits.
    access: "public",
    bodyLimitBytes: maxRequestBodyBytes,
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
      buildContext: (origin, viewer) => buildContext(origin, viewer, "ws"),
    }),
  };
}
