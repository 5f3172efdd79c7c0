// The /graphql endpoint: graphql-yoga for every kind of HTTP request, a fast path for the common
// JSON POST (documents parsed and validated once through yoga's pipeline, then executed directly),
// and graphql-ws on the same path for subscriptions.

import type { Server } from "bun";
import {
  type DocumentNode,
  type ExecutionResult,
  execute,
  type GraphQLSchema,
  getOperationAST,
  type OperationDefinitionNode,
} from "graphql";
import { createYoga } from "graphql-yoga";
import type { Context, Services } from "../../schema/context";
import { toClientError, useClientErrors } from "../../schema/errors";
import {
  armorPlugins,
  introspectionRefusal,
  useIntrospectionGuard,
  useSubscriptionsOnSocketsOnly,
  usesIntrospection,
} from "../../schema/limits";
import type { Viewer } from "../auth/service";
import { ANONYMOUS, rejected } from "../auth/viewer";
import { LimitExceededError } from "../errors";
import type { EventBus } from "../events";
import type { RateLimiter } from "../limits/rate-limiter";
import type { Logger } from "../log";
import { newRequestId, type RequestOrigin, requestOrigin } from "./client-info";
import { ACCESS_COOKIE, REFRESH_COOKIE, readCookie } from "./cookies";
import { renderGraphiQL } from "./graphiql";
import { createGraphqlSockets } from "./graphql-ws";
import { SECURITY_HEADERS } from "./security-headers";

export type { SocketData } from "./graphql-ws";

interface ServerContext {
  origin: RequestOrigin;
  responseCookies: string[];
  /** Present for socket operations, whose context comes from the socket, not a request. */
  socketContext?: Context;
}

export interface GraphqlEndpointOptions {
  schema: GraphQLSchema;
  services: Services;
  events: EventBus;
  log: Logger;
  rateLimiter: RateLimiter;
  maxRequestBodyBytes: number;
  /** How often open sockets re-check that their session is still valid. */
  socketCheckIntervalMs?: number;
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

function bearerToken(request: Request): string | null {
  const header = request.headers.get("authorization");
  if (!header) return null;
  const match = /^Bearer\s+(\S+)$/i.exec(header);
  return match ? (match[1] as string) : null;
}

export function createGraphqlEndpoint({
  schema,
  services,
  events,
  log,
  rateLimiter,
  maxRequestBodyBytes,
  socketCheckIntervalMs = 5_000,
}: GraphqlEndpointOptions) {
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

  const httpContext = async (request: Request, origin: RequestOrigin, responseCookies: string[]): Promise<Context> => {
    const bearer = bearerToken(request);
    if (bearer) return buildContext(origin, await services.auth.viewerFromBearer(bearer), "http", { responseCookies });
    const cookieHeader = request.headers.get("cookie");
    const cookieToken = readCookie(cookieHeader, ACCESS_COOKIE);
    const refreshCookie = readCookie(cookieHeader, REFRESH_COOKIE);
    if (!cookieToken && !refreshCookie) return buildContext(origin, ANONYMOUS, "http", { responseCookies });
    // Cookies ride along on any request a browser makes; only a JSON POST (which another site
    // cannot send without a CORS preflight we never grant) or an explicit header may use them.
    const csrfSafe =
      (request.method === "POST" && request.headers.get("content-type")?.startsWith("application/json")) ||
      request.headers.has("x-outpost-csrf");
    if (!csrfSafe)
      return buildContext(origin, rejected("Cookie sign-in needs a JSON POST or the x-outpost-csrf header."), "http", { responseCookies });
    const viewer = await services.auth.viewerFromBearer(cookieToken);
    return buildContext(origin, viewer, "http", { refreshTokenFromCookie: refreshCookie, responseCookies });
  };

  /** Per-user budget of the api class, taken once the viewer is known. */
  const userLimit = (ctx: Context) => (ctx.viewer.kind === "anonymous" ? null : rateLimiter.take("api", `user:${ctx.viewer.userId}`));
  const limitError = (retryAfterSeconds: number) =>
    new LimitExceededError(`Too many requests; try again in ${retryAfterSeconds} s.`, { details: { retryAfterSeconds } });

  const yoga = createYoga<ServerContext, Context>({
    schema,
    graphqlEndpoint: "/graphql",
    // GraphiQL (bundled, no CDN) for signed-in admins only, loaded on first use.
    graphiql: async (request) => {
      const viewer = await services.auth.viewerFromBearer(bearerToken(request) ?? readCookie(request.headers.get("cookie"), ACCESS_COOKIE));
      return viewer.kind === "user" && viewer.role === "admin" ? { title: "Outpost GraphiQL", subscriptionsProtocol: "WS" } : false;
    },
    renderGraphiQL,
    landingPage: false,
    healthCheckEndpoint: "/graphql/health",
    maxRequestBodySize: maxRequestBodyBytes,
    logging: false,
    cors: false,
    plugins: [...armorPlugins(), useIntrospectionGuard(), useSubscriptionsOnSocketsOnly(), useClientErrors()],
    maskedErrors: { maskError: (error) => toClientError(error, { log, requestId: newRequestId() }) },
    context: async ({ request, origin, responseCookies, socketContext }) => {
      if (socketContext) return socketContext;
      const ctx = await httpContext(request, origin, responseCookies);
      const decision = userLimit(ctx);
      if (decision && !decision.allowed) throw limitError(decision.retryAfterSeconds);
      return ctx;
    },
  });

  const withCookies = (response: Response, origin: RequestOrigin, cookies: string[]) => {
    if (!response.headers.has("x-request-id")) response.headers.set("x-request-id", origin.requestId);
    for (const cookie of cookies) response.headers.append("set-cookie", cookie);
    return response;
  };

  // Documents seen before, with yoga's parse and validate results (all plugins' rules applied).
  const documents = new Map<
    string,
    { document: DocumentNode; operation: OperationDefinitionNode | null; valid: boolean; introspection: boolean }
  >();
  const MAX_DOCUMENTS = 1000;
  const prepare = (query: string, operationName: string | undefined, params: GraphQLParams) => {
    const key = operationName ? `${operationName}\n${query}` : query;
    let prepared = documents.get(key);
    if (!prepared) {
      const enveloped = yoga.getEnveloped({ params, origin: null, responseCookies: [] } as never);
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
      prepared = {
        document,
        operation: getOperationAST(document, operationName) ?? null,
        valid,
        introspection: usesIntrospection(document),
      };
      if (documents.size >= MAX_DOCUMENTS) documents.delete(documents.keys().next().value as string);
      documents.set(key, prepared);
    }
    return prepared;
  };

  /**
   * The common case, a JSON POST of a valid query or mutation, without yoga's HTTP machinery: the
   * document is parsed and validated once through yoga's enveloped pipeline (so every plugin's
   * parse and validate rules apply) and then executed directly. Returns null to let yoga answer
   * anything else (batches, subscriptions, syntax or validation errors) in its standard form.
   * Plugins' execute hooks do not run here: rules that must hold for every request belong in the
   * services or at the edge, not in execute hooks.
   */
  const fastPost = async (
    request: Request,
    params: GraphQLParams,
    origin: RequestOrigin,
    responseCookies: string[],
  ): Promise<Response | null> => {
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

    const contextValue = await httpContext(request, origin, responseCookies);
    const decision = userLimit(contextValue);
    if (decision && !decision.allowed) return limitedResponse(origin, decision.retryAfterSeconds);
    const refusal = prepared.introspection ? introspectionRefusal(contextValue) : null;
    if (refusal) return Response.json({ errors: [refusal] }, { headers: { "x-request-id": origin.requestId } });
    const result = (await execute({
      schema,
      document: prepared.document,
      contextValue,
      variableValues: params.variables ?? undefined,
      operationName,
      rootValue: {},
    })) as ExecutionResult;
    const errors = result.errors?.map((e) => toClientError(e, contextValue));
    // A sign-in refused for too many attempts is a 429 with Retry-After, like the edge limits.
    const retryAfter = errors?.find((e) => e.extensions.code === "LIMIT_EXCEEDED")?.extensions.retryAfterSeconds;
    return new Response(JSON.stringify(errors ? { ...result, errors } : result), {
      status: typeof retryAfter === "number" ? 429 : 200,
      headers: {
        ...JSON_HEADERS,
        ...SECURITY_HEADERS,
        "x-request-id": origin.requestId,
        ...(typeof retryAfter === "number" ? { "retry-after": String(retryAfter) } : {}),
      },
    });
  };

  const limitedResponse = (origin: RequestOrigin, retryAfterSeconds: number) =>
    Response.json(
      {
        errors: [
          { message: `Too many requests; try again in ${retryAfterSeconds} s.`, extensions: { code: "LIMIT_EXCEEDED", retryAfterSeconds } },
        ],
      },
      { status: 429, headers: { "retry-after": String(retryAfterSeconds), "x-request-id": origin.requestId } },
    );

  /** Answers an HTTP request to /graphql (not an upgrade). */
  const handleHttp = async (request: Request, server: Server<unknown> | null): Promise<Response> => {
    const origin = requestOrigin(request, server);
    const ipDecision = rateLimiter.take("api", `ip:${origin.ip ?? "-"}`);
    if (!ipDecision.allowed) return limitedResponse(origin, ipDecision.retryAfterSeconds);
    const serverContext: ServerContext = { origin, responseCookies: [] };
    const contentType = request.headers.get("content-type") ?? "";
    if (request.method === "POST" && contentType.startsWith("application/json")) {
      const declared = Number(request.headers.get("content-length") ?? "0");
      if (declared > maxRequestBodyBytes)
        return Response.json(
          { errors: [{ message: `Request body is larger than ${maxRequestBodyBytes} bytes.`, extensions: { code: "LIMIT_EXCEEDED" } }] },
          { status: 413 },
        );
      let params: GraphQLParams;
      try {
        params = await request.json();
      } catch {
        return Response.json(
          { errors: [{ message: "The request body is not valid JSON.", extensions: { code: "BAD_USER_INPUT" } }] },
          { status: 400, headers: { "x-request-id": origin.requestId } },
        );
      }
      const fast = await fastPost(request, params, origin, serverContext.responseCookies);
      if (fast) return withCookies(fast, origin, serverContext.responseCookies);
      const replay = new Request(request.url, { method: "POST", headers: request.headers, body: JSON.stringify(params) });
      return withCookies(await yoga.fetch(replay, serverContext), origin, serverContext.responseCookies);
    }
    const response = await yoga.fetch(request, serverContext);
    // Only the GraphiQL page is HTML here; it runs inline scripts and workers from blobs.
    if (response.headers.get("content-type")?.startsWith("text/html")) response.headers.set("content-security-policy", GRAPHIQL_CSP);
    return withCookies(response, origin, serverContext.responseCookies);
  };

  const sockets = createGraphqlSockets({
    getEnveloped: yoga.getEnveloped,
    services,
    events,
    log,
    rateLimiter,
    buildContext: (origin, viewer) => buildContext(origin, viewer, "ws"),
    limitError,
    socketCheckIntervalMs,
  });

  return {
    handleHttp,
    upgrade: sockets.upgrade,
    websocket: sockets.websocket,
    /** Closes every socket (server going away) and stops the session checks. */
    close: sockets.close,
  };
}
