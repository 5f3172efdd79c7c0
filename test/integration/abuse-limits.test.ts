// Abuse by volume: password guessing (lockout, forwarded addresses, huge usernames) and the limits
// on requests (rate budgets over HTTP and sockets, sockets per IP, operations per socket, depth,
// alias and token bombs, oversized bodies). Each test starts its own server: budgets are per server.
import { describe, expect, test } from "bun:test";
import { ADMIN_PASSWORD, startTestApp } from "../harness/app";
import { codes, waitUntil } from "../harness/client";

const ME = "{ me { username } }";

describe("password guessing", () => {
  test("the 6th attempt within 5 minutes is refused even with the right password, with 429 and Retry-After, and is audited", async () => {
    await using server = await startTestApp();
    const LOGIN = 'mutation ($p: String!) { login(username: "admin", password: $p) { accessToken } }';
    for (let i = 0; i < 5; i++)
      expect(codes(await server.anonymous.request(LOGIN, { p: `wrong-${i}-password` }))).toEqual(["UNAUTHENTICATED"]);
    const sixth = await server.anonymous.request(LOGIN, { p: ADMIN_PASSWORD });
    expect(codes(sixth)).toEqual(["LIMIT_EXCEEDED"]);
    expect(sixth.status).toBe(429);
    expect(Number(sixth.headers.get("retry-after"))).toBeGreaterThan(200);
    expect(sixth.errors?.[0]?.extensions?.retryAfterSeconds).toBeGreaterThan(200);
    await server.app.settled(); // audit rows are written in batches
    const rows = server.app.services.audit.list({ filter: { action: "mutation.login" }, first: 10 }).entries;
    expect(rows.map((r) => [r.actorName, r.result])).toEqual([["admin", "LIMIT_EXCEEDED"], ...Array(5).fill(["admin", "UNAUTHENTICATED"])]);
  });

  test("made-up X-Forwarded-For entries do not escape the lockout: only the one the proxy added counts", async () => {
    await using server = await startTestApp({ config: { trustedProxies: "127.0.0.1" } });
    const LOGIN = 'mutation ($p: String!) { login(username: "admin", password: $p) { accessToken } }';
    const results: (string | undefined)[] = [];
    for (let i = 0; i < 7; i++) {
      const spoofed = { "x-forwarded-for": `10.9.8.${i}, 203.0.113.50` };
      results.push(codes(await server.anonymous.request(LOGIN, { p: `wrong-${i}-password` }, spoofed))[0]);
    }
    expect(results.slice(0, 5)).toEqual(Array(5).fill("UNAUTHENTICATED"));
    expect(results.slice(5)).toEqual(["LIMIT_EXCEEDED", "LIMIT_EXCEEDED"]);
    await server.app.settled(); // audit rows are written in batches
    expect(server.app.services.audit.list({ filter: { action: "mutation.login" }, first: 1 }).entries[0]?.ip).toBe("203.0.113.50");
  });

  test("a huge username is refused without being kept whole anywhere", async () => {
    await using server = await startTestApp();
    const huge = "u".repeat(200_000);
    const result = await server.anonymous.request(
      'mutation ($u: String!) { login(username: $u, password: "whatever-password") { accessToken } }',
      { u: huge },
    );
    expect(codes(result)).toEqual(["UNAUTHENTICATED"]);
    await server.app.settled();
    const row = server.app.services.audit.list({ filter: { action: "mutation.login" }, first: 1 }).entries[0];
    expect(row?.actorName?.length).toBeLessThanOrEqual(257);
    expect(JSON.stringify(row).length).toBeLessThan(2000);
  });

  test("another IP or another username is not blocked by it", async () => {
    await using server = await startTestApp({ config: { trustedProxies: "127.0.0.1" } });
    const LOGIN = "mutation ($u: String!, $p: String!) { login(username: $u, password: $p) { accessToken } }";
    for (let i = 0; i < 5; i++) await server.anonymous.request(LOGIN, { u: "admin", p: "wrong-password" });
    await server.app.services.users.create({ username: "other", password: "other-password", role: "viewer" });
    expect((await server.anonymous.request(LOGIN, { u: "other", p: "other-password" })).errors).toBeUndefined();
    // Through a trusted proxy the forwarded address is the client's.
    const fromElsewhere = await server.anonymous.request(LOGIN, { u: "admin", p: ADMIN_PASSWORD }, { "x-forwarded-for": "203.0.113.9" });
    expect(fromElsewhere.errors).toBeUndefined();
  });
});

describe("request limits", () => {
  test("past the per-minute budget requests get 429 with Retry-After, and the server keeps serving others", async () => {
    await using server = await startTestApp({ config: { rateLimitApiPerMinute: 20, trustedProxies: "127.0.0.1" } });
    const statuses: number[] = [];
    for (let i = 0; i < 15; i++) statuses.push((await server.anonymous.request("{ health { ok } }")).status);
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThan(0);
    const limited = await server.anonymous.request("{ health { ok } }");
    expect(limited.status).toBe(429);
    expect(codes(limited)).toEqual(["LIMIT_EXCEEDED"]);
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    const other = await server.anonymous.request("{ health { ok } }", undefined, { "x-forwarded-for": "198.51.100.7" });
    expect(other.status).toBe(200);
  });

  test("one IP holds at most 32 sockets; the 33rd upgrade is refused", async () => {
    await using server = await startTestApp();
    const url = `${server.url.replace("http", "ws")}/graphql`;
    const open = (): Promise<WebSocket | null> =>
      new Promise((resolve) => {
        const socket = new WebSocket(url, "graphql-transport-ws");
        socket.onopen = () => resolve(socket);
        socket.onerror = () => resolve(null);
      });
    const sockets: (WebSocket | null)[] = [];
    for (let i = 0; i < 33; i++) sockets.push(await open());
    expect(sockets.filter(Boolean).length).toBe(32);
    expect(sockets.at(-1)).toBeNull();
    for (const socket of sockets) socket?.close();
  });

  test("one socket runs at most 100 operations at once", async () => {
    await using server = await startTestApp();
    const admin = await server.admin();
    const socket = admin.socket();
    const subs = Array.from({ length: 101 }, () => socket.subscribe('subscription { kvChanged(prefix: "x") { key } }'));
    const last = subs.at(-1) as (typeof subs)[number];
    const ended = await last.ended;
    expect(JSON.stringify(ended.error ?? last.results)).toContain("At most 100 operations");
    expect(JSON.stringify(subs[0]?.results)).not.toContain("LIMIT_EXCEEDED");
    await socket.dispose();
  });

  test("subscriptions over WebSocket draw on the same budget", async () => {
    await using server = await startTestApp({ config: { rateLimitApiPerMinute: 20 } });
    const admin = await server.admin();
    const socket = admin.socket();
    const outcomes: string[] = [];
    for (let i = 0; i < 15; i++) {
      // Each subscription either starts (the server listens) or is refused (it ends).
      const before = server.listenersAdded("kv.changed");
      const sub = socket.subscribe('subscription { kvChanged(prefix: "x") { key } }');
      const outcome: { ended?: { error?: unknown } } = {};
      void sub.ended.then((ended) => {
        outcome.ended = ended;
      });
      await waitUntil(
        () => outcome.ended !== undefined || server.listenersAdded("kv.changed") > before,
        5000,
        "the subscription to start or end",
      );
      outcomes.push(outcome.ended && JSON.stringify(outcome.ended.error ?? sub.results).includes("LIMIT_EXCEEDED") ? "limited" : "open");
    }
    expect(outcomes).toContain("open");
    expect(outcomes.at(-1)).toBe("limited");
    await socket.dispose();
  });

  test("a depth bomb, an alias bomb and a token flood are refused with a clear error, and the server keeps serving", async () => {
    await using server = await startTestApp();
    const admin = await server.admin();
    // Every type here is finite, so introspection's ofType chain is what can go deep.
    const deep = `{ __type(name: "Query") { ${"fields { type { ofType { ".repeat(8)}name${" } } }".repeat(8)} } }`;
    const aliases = `{ ${Array.from({ length: 100 }, (_, i) => `a${i}: me { username }`).join(" ")} }`;
    const tokens = `{ me { ${"username ".repeat(3000)} } }`;
    const refusals: Record<string, string | undefined> = {};
    for (const [name, document] of Object.entries({ deep, aliases, tokens }))
      refusals[name] = (await admin.request(document)).errors?.[0]?.message;
    expect(refusals.deep).toMatch(/depth limit|Cost limit/);
    expect(refusals.aliases).toContain("Aliases limit");
    expect(refusals.tokens).toContain("Token");
    expect(await admin.data(ME)).toEqual({ me: { username: "admin" } });
  });

  test("an oversized body is refused with 413 and the server keeps serving", async () => {
    await using server = await startTestApp({ config: { maxRequestBodyBytes: 64 * 1024 } });
    const response = await fetch(`${server.url}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ query: "{ health { ok } }", variables: { junk: "x".repeat(200 * 1024) } }),
    });
    expect(response.status).toBe(413);
    expect(await server.anonymous.data("{ health { ok } }")).toEqual({ health: { ok: true } });
  });
});
