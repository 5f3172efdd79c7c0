// The one HTTP edge: routes declared as data (method, path with :parameters, who may call it,
// body limit, rate class, audit, handler). Every route gets the same request authentication,
// per-IP and per-user rate limits, body limit and error shape; AppErrors map to one HTTP status.
import type { Server } from "bun";
import type { Permission } from "../auth/permissions";
import { can, forbidden, type Viewer } from "../auth/viewer";
import { AppError, type ErrorCode, LimitExceededError, UnauthenticatedError } from "../errors";
import type { RateClass, RateLimiter } from "../limits/rate-limiter";
import type { Logger } from "../log";
import { NO_TRUSTED_PROXIES, type RequestOrigin, requestOrigin, type TrustedProxies } from "./client-info";
import { mediaType, type RequestAuth } from "./request-auth";

export type Method = "GET" | "HEAD" | "POST" | "PUT" | "PATCH" | "DELETE" | "OPTIONS";

export interface RouteContext {
  params: Record<string, string>;
  viewer: Viewer;
  refreshTokenFromCookie: string | null;
  origin: RequestOrigin;
  // biome-ignore lint/suspicious/noExplicitAny: socket data differs by protocol; routes that upgrade pass it on.
  server: Server<any>;
}

export interface RouteAudit {
  /** e.g. "http.download"; recorded for every outcome, refusals within the denial budget. */
  action: string;
  /** What was acted on: ids and names from the path, never contents or secrets. */
  target?: (params: Record<string, string>) => Record<string, unknown> | null;
}

export interface Route {
  method: Method | readonly Method[];
  /** `/files/:id` matches one segment per parameter; a trailing `/*` matches the rest (as `params["*"]`). */
  path: string;
  /** Who may call it. GraphQL is `public` at the edge and checks each field itself. */
  access: "public" | "signedIn" | Permission;
  /** Largest body accepted; the server-wide request body limit when absent. */
  bodyLimitBytes?: number;
  /** Limits for bodies of some media types instead (GraphQL's multipart uploads), each with the message of its refusal. */
  bodyLimitsByType?: Readonly<Record<string, { bytes: number; tooLargeMessage: string }>>;
  /** Per-IP (before authentication) and per-user budget; `api` when absent, null for none. */
  rateClass?: RateClass | null;
  audit?: RouteAudit;
  /** Renders an error in the route's own format (GraphQL answers in its shape); JSON `{ error }` otherwise. */
  errorResponse?(error: AppError, origin: RequestOrigin): Response;
  handle(request: Request, context: RouteContext): Response | undefined | Promise<Response | undefined>;
}

const STATUS: Record<ErrorCode, number> = {
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  BAD_USER_INPUT: 400,
  NOT_FOUND: 404,
  CONFLICT: 409,
  LIMIT_EXCEEDED: 429,
  INTERNAL: 500,
};

/** The HTTP status of an application error. */
export function httpStatus(error: AppError): number {
  return typeof error.details?.httpStatus === "number" ? error.details.httpStatus : STATUS[error.code];
}

/** What an error shows a client at the HTTP edge: its details (without the status override), status and headers. */
export function httpErrorParts(error: AppError, requestId: string) {
  const { httpStatus: _status, ...details } = error.details ?? {};
  const retryAfter = details.retryAfterSeconds;
  return {
    details,
    init: {
      status: httpStatus(error),
      headers: { "x-request-id": requestId, ...(typeof retryAfter === "number" ? { "retry-after": String(retryAfter) } : {}) },
    },
  };
}

/** The JSON error every non-GraphQL route answers with: `{ error: { code, message, requestId, ... } }`. */
export function errorResponse(error: AppError, requestId: string): Response {
  const { details, init } = httpErrorParts(error, requestId);
  return Response.json({ error: { ...details, code: error.code, message: error.message, requestId } }, init);
}

/** Too many requests: what every rate limit throws. */
export function rateLimitError(retryAfterSeconds: number): LimitExceededError {
  return new LimitExceededError(`Too many requests; try again in ${retryAfterSeconds} s.`, { details: { retryAfterSeconds } });
}

interface CompiledRoute {
  route: Route;
  methods: ReadonlySet<string>;
  segments: string[];
  rest: boolean;
}

function compile(route: Route): CompiledRoute {
  const rest = route.path.endsWith("/*");
  const path = rest ? route.path.slice(0, -2) : route.path;
  const methods = new Set<string>(typeof route.method === "string" ? [route.method] : route.method);
  if (methods.has("GET")) methods.add("HEAD");
  return { route, methods, segments: path.split("/").slice(1), rest };
}

function match(compiled: CompiledRoute, parts: string[]): Record<string, string> | null {
  const { segments, rest } = compiled;
  if (rest ? parts.length < segments.length : parts.length !== segments.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i] as string;
    const part = parts[i] as string;
    if (segment.startsWith(":")) {
      if (!part) return null;
      try {
        params[segment.slice(1)] = decodeURIComponent(part);
      } catch {
        return null;
      }
    } else if (segment !== part) return null;
  }
  if (rest) params["*"] = parts.slice(segments.length).join("/");
  return params;
}

/** The path of an absolute URL, without parsing all of it (this runs for every request). */
export function pathOf(url: string): string {
  const start = url.indexOf("/", url.indexOf("//") + 2);
  if (start === -1) return "/";
  const end = url.slice(start).search(/[?#]/);
  return end === -1 ? url.slice(start) : url.slice(start, start + end);
}

export interface RouterOptions {
  routes: readonly Route[];
  auth: RequestAuth;
  rateLimiter: RateLimiter;
  log: Logger;
  defaultBodyLimitBytes: number;
  /** Peers whose X-Forwarded-For / X-Forwarded-Proto are believed; none when absent. */
  trustedProxies?: TrustedProxies;
  /** Records an audited route's outcome (the audit feature's recorder). */
  recordAudit?(entry: { viewer: Viewer; origin: RequestOrigin; audit: RouteAudit; params: Record<string, string>; error?: AppError }): void;
}

export interface Router {
  /** Answers a request, or undefined when a route upgraded it to a socket. */
  handle(request: Request, server: Server<unknown>): Promise<Response | undefined>;
  /** The largest body any route accepts: the server's own cap. */
  readonly maxBodyBytes: number;
}

export function createRouter({
  routes,
  auth,
  rateLimiter,
  log,
  defaultBodyLimitBytes,
  trustedProxies = NO_TRUSTED_PROXIES,
  recordAudit,
}: RouterOptions): Router {
  const compiled = routes.map(compile);
  for (let i = 0; i < compiled.length; i++)
    for (let j = 0; j < i; j++) {
      const [a, b] = [compiled[i] as CompiledRoute, compiled[j] as CompiledRoute];
      if (a.route.path === b.route.path && [...a.methods].some((m) => b.methods.has(m)))
        throw new Error(`Route ${[...a.methods].join("|")} ${a.route.path} is declared twice.`);
    }

  const take = (rateClass: RateClass, key: string) => {
    const decision = rateLimiter.take(rateClass, key);
    if (!decision.allowed) throw rateLimitError(decision.retryAfterSeconds);
  };

  const admit = (route: Route, viewer: Viewer) => {
    if (route.access === "public") return;
    if (viewer.kind === "anonymous") throw new UnauthenticatedError(viewer.rejection);
    if (route.access !== "signedIn" && !can(viewer, route.access)) throw forbidden(viewer, route.access);
  };

  const maxBodyBytes = Math.max(
    defaultBodyLimitBytes,
    ...routes.flatMap((r) => [r.bodyLimitBytes ?? 0, ...Object.values(r.bodyLimitsByType ?? {}).map((l) => l.bytes)]),
  );
  /** The limit of a request's body on `route`, and what a refusal says. */
  const bodyLimitOf = (route: Route, request: Request) => {
    const limit = route.bodyLimitBytes ?? defaultBodyLimitBytes;
    const type = mediaType(request.headers.get("content-type"));
    // Own entries only: a Content-Type of "constructor" or "__proto__" must not find the object's prototype (and no limit).
    const byType = route.bodyLimitsByType && Object.hasOwn(route.bodyLimitsByType, type) ? route.bodyLimitsByType[type] : undefined;
    return byType ?? { bytes: limit, tooLargeMessage: `Request body is larger than ${limit} bytes.` };
  };
  /**
   * Refuses a declared length over the route's limit at once; a body without one (chunked) is
   * counted as it is read, since the server's own cap is the largest route's limit, not this one's.
   */
  const boundBody = (request: Request, { bytes: limit, tooLargeMessage }: { bytes: number; tooLargeMessage: string }): Request => {
    const tooLarge = () => new LimitExceededError(tooLargeMessage, { details: { httpStatus: 413, limitBytes: limit } });
    const declared = request.headers.get("content-length");
    if (declared !== null) {
      if (Number(declared) > limit) throw tooLarge();
      return request;
    }
    if (!request.body || limit >= maxBodyBytes) return request;
    let seen = 0;
    const counted = request.body.pipeThrough(
      new TransformStream<Uint8Array, Uint8Array>({
        transform(chunk, controller) {
          seen += chunk.byteLength;
          if (seen > limit) controller.error(tooLarge());
          else controller.enqueue(chunk);
        },
      }),
    );
    return new Request(request, { body: counted });
  };

  const run = async (found: CompiledRoute, params: Record<string, string>, received: Request, server: Server<unknown>) => {
    const { route } = found;
    const origin = requestOrigin(received, server, trustedProxies);
    let viewer: Viewer = { kind: "anonymous" };
    try {
      const rateClass = route.rateClass === undefined ? "api" : route.rateClass;
      if (rateClass) take(rateClass, `ip:${origin.clientKey}`);
      const request = boundBody(received, bodyLimitOf(route, received));
      const credentials = await auth.authenticate(request);
      viewer = credentials.viewer;
      if (rateClass && viewer.kind !== "anonymous") take(rateClass, `user:${viewer.userId}`);
      admit(route, viewer);
      const response = await route.handle(request, {
        params,
        viewer,
        refreshTokenFromCookie: credentials.refreshTokenFromCookie,
        origin,
        server,
      });
      if (route.audit) recordAudit?.({ viewer, origin, audit: route.audit, params });
      if (response && !response.headers.has("x-request-id")) response.headers.set("x-request-id", origin.requestId);
      return response;
    } catch (thrown) {
      const error =
        thrown instanceof AppError
          ? thrown
          : new AppError("INTERNAL", `Internal error; quote request id ${origin.requestId} when reporting it.`);
      if (!(thrown instanceof AppError))
        log.error("request failed", {
          requestId: origin.requestId,
          clientRequestId: origin.clientRequestId,
          method: received.method,
          path: route.path,
          err: thrown,
        });
      if (route.audit) recordAudit?.({ viewer, origin, audit: route.audit, params, error });
      return route.errorResponse ? route.errorResponse(error, origin) : errorResponse(error, origin.requestId);
    }
  };

  return {
    maxBodyBytes,
    async handle(request, server) {
      const parts = pathOf(request.url).split("/").slice(1);
      let allowed: string[] | null = null;
      // A path that names a route answers 405 for a method it lacks rather than falling through to
      // a catch-all (the web UI); and a catch-all does not make every other path's method "not allowed".
      let catchAll: { found: (typeof compiled)[number]; params: Record<string, string> } | null = null;
      for (const found of compiled) {
        const params = match(found, parts);
        if (!params) continue;
        if (found.rest) {
          if (!catchAll && found.methods.has(request.method)) catchAll = { found, params };
          continue;
        }
        if (found.methods.has(request.method)) return run(found, params, request, server);
        allowed = [...(allowed ?? []), ...found.methods];
      }
      if (catchAll && !allowed) return run(catchAll.found, catchAll.params, request, server);
      const { requestId } = requestOrigin(request, server, trustedProxies);
      if (allowed) {
        const response = errorResponse(
          new AppError("BAD_USER_INPUT", `Use ${allowed.join(", ")} here.`, { details: { httpStatus: 405 } }),
          requestId,
        );
        response.headers.set("allow", allowed.join(", "));
        return response;
      }
      return errorResponse(new AppError("NOT_FOUND", "Not found."), requestId);
    },
  };
}
