// The HTTP edge on its own: routes declared as data get their parameters, their access rule, their
// body limit (also for a chunked body with no length), their rate class and their declared audit,
// and every refusal has one status and one JSON shape with the request id.
import { describe, expect, test } from "bun:test";
import type { Server } from "bun";
import type { Permission } from "../../server/auth/permissions";
import { ANONYMOUS, type Viewer } from "../../server/auth/viewer";
import { createRequestAuth } from "../../server/http/request-auth";
import { createRouter, type Route, type RouterOptions } from "../../server/http/router";
import { createRateLimiter } from "../../server/limits/rate-limiter";
import { createLogger } from "../../server/log";

const operator: Viewer = {
  kind: "user",
  userId: "u1",
  username: "olga",
  role: "operator",
  permissions: new Set(["kv:read", "kv:write"] as Permission[]),
  sessionId: "s1",
  tokenExpiresAtMs: Number.MAX_SAFE_INTEGER,
};
const viewers: Record<string, Viewer> = { "operator-token": operator };

function routerWith(routes: Route[], audit: Parameters<NonNullable<RouterOptions["recordAudit"]>>[0][] = [], perMinute = 1000) {
  const router = createRouter({
    routes,
    auth: createRequestAuth(async (token) => (token ? (viewers[token] ?? ANONYMOUS) : ANONYMOUS)),
    rateLimiter: createRateLimiter({ perMinute: { api: perMinute } }),
    log: createLogger({ level: "error", write: () => {} }),
    defaultBodyLimitBytes: 1000,
    recordAudit: (entry) => audit.push(entry),
  });
  return (path: string, init: RequestInit & { token?: string } = {}) =>
    router.handle(
      new Request(`http://outpost.test${path}`, {
        ...init,
        headers: { ...(init.token ? { authorization: `Bearer ${init.token}` } : {}), ...(init.headers as Record<string, string>) },
      }),
      null as unknown as Server<unknown>,
    ) as Promise<Response>;
}

const echo: Route = {
  method: "GET",
  path: "/things/:id",
  access: "kv:read",
  audit: { action: "http.thing", target: (params) => ({ id: params.id }) },
  handle: (_request, { params, viewer }) => Response.json({ id: params.id, who: viewer.kind === "user" ? viewer.username : null }),
};

describe("routes as data", () => {
  test("path parameters are decoded and passed with the viewer", async () => {
    const call = routerWith([echo]);
    const response = await call("/things/a%20b", { token: "operator-token" });
    expect(await response.json()).toEqual({ id: "a b", who: "olga" });
  });

  test("anonymous callers get 401, callers without the permission 403, in one JSON shape", async () => {
    const call = routerWith([echo, { ...echo, path: "/admin/:id", access: "users:manage" }]);
    const anonymous = await call("/things/1");
    expect(anonymous.status).toBe(401);
    expect(await anonymous.json()).toEqual({
      error: { code: "UNAUTHENTICATED", message: "Sign in to do this.", requestId: expect.any(String) },
    });
    const forbidden = await call("/admin/1", { token: "operator-token" });
    expect(forbidden.status).toBe(403);
    expect((await forbidden.json()).error).toMatchObject({
      code: "FORBIDDEN",
      message: "Your role (operator) does not allow users:manage.",
    });
  });

  test("a wrong method is 405 with Allow; an unknown path is 404; a catch-all does not turn paths into 405", async () => {
    const call = routerWith([echo, { method: "GET", path: "/*", access: "public", handle: () => new Response("ui") }]);
    const wrong = await call("/things/1", { method: "DELETE", token: "operator-token" });
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get("allow")).toBe("GET, HEAD");
    expect((await routerWith([echo])("/nothing")).status).toBe(404);
    expect((await call("/other", { method: "POST" })).status).toBe(404);
  });

  test("a path that names a route is 405 for a method it lacks, even with a catch-all for that method", async () => {
    const ui = { method: "GET", path: "/*", access: "public", handle: () => new Response("ui") } as const;
    const upload = { method: "PATCH", path: "/uploads/:id", access: "public", handle: () => new Response(null, { status: 204 }) } as const;
    const call = routerWith([ui, upload]);
    const wrong = await call("/uploads/1");
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get("allow")).toBe("PATCH");
    expect(await (await call("/elsewhere")).text()).toBe("ui");
  });

  test("an error that is not an AppError is a 500 with our request id (never the client's) and no details", async () => {
    const call = routerWith([
      {
        method: "GET",
        path: "/boom",
        access: "public",
        handle: () => {
          throw new Error("secret path /etc/shadow");
        },
      },
    ]);
    const response = await call("/boom", { headers: { "x-request-id": "req-1" } });
    expect(response.status).toBe(500);
    const body = await response.text();
    expect(body).not.toContain("shadow");
    const { error } = JSON.parse(body);
    expect(error.code).toBe("INTERNAL");
    expect(error.requestId).not.toBe("req-1");
    expect(response.headers.get("x-request-id")).toBe(error.requestId);
  });
});

describe("limits", () => {
  const upload: Route = {
    method: "POST",
    path: "/small",
    access: "public",
    bodyLimitBytes: 100,
    handle: async (request) => Response.json({ bytes: (await request.arrayBuffer()).byteLength }),
  };
  const big: Route = { ...upload, path: "/big", bodyLimitBytes: 1_000_000 };
  const chunked = (bytes: number) =>
    new ReadableStream<Uint8Array>({
      start(controller) {
        for (let sent = 0; sent < bytes; sent += 50) controller.enqueue(new Uint8Array(50));
        controller.close();
      },
    });

  test("a declared body over the route's limit is 413 before the handler runs", async () => {
    const call = routerWith([upload, big]);
    const response = await call("/small", { method: "POST", body: new Uint8Array(101) });
    expect(response.status).toBe(413);
    expect((await response.json()).error.code).toBe("LIMIT_EXCEEDED");
    expect(await (await call("/small", { method: "POST", body: new Uint8Array(100) })).json()).toEqual({ bytes: 100 });
  });

  test("a chunked body with no length is counted against its own route's limit, not the largest route's", async () => {
    const call = routerWith([upload, big]);
    expect((await call("/small", { method: "POST", body: chunked(500) })).status).toBe(413);
    expect(await (await call("/big", { method: "POST", body: chunked(500) })).json()).toEqual({ bytes: 500 });
  });

  test("a media type with a limit of its own gets it and its message; any other type, whatever its name, the route's", async () => {
    const withUploads: Route = {
      ...upload,
      bodyLimitsByType: { "multipart/form-data": { bytes: 300, tooLargeMessage: "Uploads here take 300 bytes." } },
    };
    const call = routerWith([withUploads, big]);
    const post = (type: string, bytes: number) =>
      call("/small", { method: "POST", headers: { "content-type": type }, body: new Uint8Array(bytes) });
    expect(await (await post("multipart/form-data; boundary=x", 250)).json()).toEqual({ bytes: 250 });
    const refused = await post("multipart/form-data; boundary=x", 301);
    expect(refused.status).toBe(413);
    expect((await refused.json()).error.message).toBe("Uploads here take 300 bytes.");
    // Names of an object's own machinery are media types like any other, not limits.
    for (const type of ["application/json", "constructor", "__proto__"]) expect((await post(type, 101)).status).toBe(413);
  });

  test("the route's rate class is taken per IP, and refusals say when to retry", async () => {
    const call = routerWith([{ ...echo, access: "public" }], [], 6);
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await call("/things/1")).status);
    expect(statuses.slice(0, 5)).toEqual([200, 200, 200, 200, 200]);
    const refused = await call("/things/1");
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThan(0);
  });
});

test("a declared audit records every outcome with the actor and the target from the path", async () => {
  const audit: Parameters<NonNullable<RouterOptions["recordAudit"]>>[0][] = [];
  const call = routerWith([echo], audit);
  await call("/things/42", { token: "operator-token" });
  await call("/things/43");
  expect(
    audit.map((e) => ({ action: e.audit.action, target: e.audit.target?.(e.params), viewer: e.viewer.kind, code: e.error?.code })),
  ).toEqual([
    { action: "http.thing", target: { id: "42" }, viewer: "user", code: undefined },
    { action: "http.thing", target: { id: "43" }, viewer: "anonymous", code: "UNAUTHENTICATED" },
  ]);
});
