// Hardening of the GraphQL edge against callers who want the server's memory or a visitor's
// browser: oversized and numerous documents, socket operations, page amplification through
// variables, cross-site requests, and what error messages give away. The server runs in this
// process, so its memory is this process's RSS.
import { describe, expect, test } from "bun:test";
import { ADMIN_PASSWORD, startTestApp, type TestApp } from "../harness/app";
import { codes, type GraphqlError, type Subscription, waitUntil } from "../harness/client";

const MiB = 1 << 20;
const rssMiB = () => process.memoryUsage().rss / MiB;
/** Budgets high enough that the rate limits never answer before the limit under test. */
const UNTHROTTLED = { rateLimitApiPerMinute: 1_000_000, rateLimitAuthPerMinute: 1_000_000 };

/** Runs `attack` (which calls `sample` now and then) and reports how far RSS grew: at peak, and kept after a full GC. */
async function rssGrowth(name: string, attack: (sample: () => void) => Promise<void>): Promise<{ peak: number; kept: number }> {
  Bun.gc(true);
  const before = rssMiB();
  let peak = before;
  const sample = () => {
    peak = Math.max(peak, rssMiB());
  };
  await attack(sample);
  sample();
  Bun.gc(true);
  const growth = { peak: Math.round(peak - before), kept: Math.round(rssMiB() - before) };
  console.log(`${name}: RSS +${growth.peak} MiB at peak, +${growth.kept} MiB kept`);
  return growth;
}

type Body = { data?: unknown; errors?: GraphqlError[] };

async function post(server: TestApp, body: string, headers: Record<string, string> = {}) {
  const response = await fetch(`${server.url}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body,
  });
  const text = await response.text();
  let parsed: Body = {};
  try {
    parsed = JSON.parse(text);
  } catch {}
  return { status: response.status, headers: response.headers, body: parsed, text };
}

/** Opens a subscription and waits until the server either listens on `topic` or ends it. */
async function started<T>(server: TestApp, topic: "kv.changed", open: () => Subscription<T>) {
  const before = server.listenersAdded(topic);
  const sub = open();
  let ended: { error?: unknown } | undefined;
  void sub.ended.then((e) => {
    ended = e;
  });
  await waitUntil(() => ended !== undefined || server.listenersAdded(topic) > before, 5000, "the subscription to start or end");
  return { sub, refusal: ended ? JSON.stringify(ended.error ?? sub.results) : null };
}

describe("documents an anonymous caller sends", () => {
  test("a document longer than maxQueryBytes is refused with 413 before it is parsed, and nothing keeps it", async () => {
    await using server = await startTestApp({ config: UNTHROTTLED });
    expect(server.app.config.maxQueryBytes).toBe(64 * 1024);
    // A comment or a string literal is one token: armor's token limit does not see the size.
    const filler = "x".repeat(4_000_000);
    const outcomes = new Set<string>();
    const growth = await rssGrowth("200 anonymous 4 MB documents", async (sample) => {
      for (let i = 0; i < 200; i++) {
        const query = i % 2 ? `{ health { ok } } # ${i} ${filler}` : `{ kv(key: "${i}${filler}") { value } }`;
        const { status, body } = await post(server, JSON.stringify({ query }));
        outcomes.add(`${status} ${codes(body).join()}`);
        if (i % 5 === 0) sample();
      }
    });
    expect([...outcomes]).toEqual(["413 LIMIT_EXCEEDED"]);
    // Each request's body is read whole before it is refused, so the peak holds a few in flight.
    expect(growth.peak).toBeLessThan(400);
    expect(growth.kept).toBeLessThan(100);
    expect(await server.anonymous.data("{ health { ok } }")).toEqual({ health: { ok: true } });
  }, 120_000);

  test("over GET and on a socket too, a document longer than maxQueryBytes is refused with LIMIT_EXCEEDED", async () => {
    await using server = await startTestApp({ config: { maxQueryBytes: 1024 } });
    // (Bun itself refuses a URL over ~64 KiB with 431.)
    const get = await fetch(`${server.url}/graphql?query=${encodeURIComponent(`{ health { ok } } #${"x".repeat(2000)}`)}`);
    expect(get.status).toBe(413);
    expect(codes((await get.json()) as Body)).toEqual(["LIMIT_EXCEEDED"]);
    const socket = (await server.admin()).socket();
    const { refusal } = await started(server, "kv.changed", () =>
      socket.subscribe(`subscription { kvChanged { key } } # ${"x".repeat(2000)}`),
    );
    expect(refusal).toContain("LIMIT_EXCEEDED");
    await socket.dispose();
  });

  test("the document cache is bounded by the memory its documents take, not only by their number", async () => {
    await using server = await startTestApp({ config: UNTHROTTLED });
    // Valid (anonymous callers are refused only when it runs) and near the token limit: each parsed
    // document with its tokens takes ~0.7 MB.
    const list = "1 ".repeat(1980);
    const growth = await rssGrowth("1100 distinct valid 2000-token documents", async (sample) => {
      for (let i = 0; i < 1100; i++) {
        const { body } = await post(server, JSON.stringify({ query: `mutation M${i} { setKv(key: "k", value: [${list}]) { version } }` }));
        if (i === 0) expect(codes(body)).toEqual(["UNAUTHENTICATED"]);
        if (i % 20 === 0) sample();
      }
    });
    // What stays is the allocator's, not the cache's: the JS heap is back near where it started.
    expect(growth.peak).toBeLessThan(250);
    expect(growth.kept).toBeLessThan(200);
  }, 120_000);

  test("documents that fail to parse or validate are not kept", async () => {
    await using server = await startTestApp({ config: UNTHROTTLED });
    const list = "1 ".repeat(1980);
    const filler = "x".repeat(60_000);
    const outcomes = new Set<string>();
    const growth = await rssGrowth("1100 invalid and 1100 unparsable documents", async (sample) => {
      for (let i = 0; i < 1100; i++) {
        const invalid = await post(server, JSON.stringify({ query: `mutation M${i} { setKv(key: "k", nope: [${list}]) { version } }` }));
        const unparsable = await post(server, JSON.stringify({ query: `{ health { ok } # ${i} ${filler}` }));
        outcomes.add([...new Set([...codes(invalid.body), ...codes(unparsable.body)])].join());
        if (i % 20 === 0) sample();
      }
    });
    expect([...outcomes]).toEqual(["BAD_USER_INPUT"]);
    expect(growth.peak).toBeLessThan(250);
    expect(growth.kept).toBeLessThan(200);
  }, 180_000);
});

describe("sockets", () => {
  const WATCH = 'subscription { kvChanged(prefix: "x") { key } }';

  test("one user runs at most 100 operations across all their sockets; others are not affected", async () => {
    await using server = await startTestApp({ config: UNTHROTTLED });
    const admin = await server.admin();
    const sockets = [admin.socket(), admin.socket(), admin.socket()];
    const refusals: string[] = [];
    for (const [n, socket] of sockets.entries())
      for (let i = 0; i < (n === 2 ? 21 : 40); i++) {
        const { refusal } = await started(server, "kv.changed", () => socket.subscribe(WATCH));
        if (refusal) refusals.push(refusal);
      }
    expect(refusals.length).toBe(1);
    expect(refusals[0]).toContain("LIMIT_EXCEEDED");
    expect(refusals[0]).toContain("100 operations");

    const operator = await server.userWithRole("operator");
    const other = operator.socket();
    expect((await started(server, "kv.changed", () => other.subscribe(WATCH))).refusal).toBeNull();

    // Closing a socket gives its operations back, once the server has seen it close (its 40 end).
    const listening = server.app.events.listenerCount("kv.changed");
    await sockets[0]?.dispose();
    await waitUntil(() => server.app.events.listenerCount("kv.changed") <= listening - 40, 5000, "the closed socket's operations to end");
    const again = await started(server, "kv.changed", () => (sockets[1] as (typeof sockets)[number]).subscribe(WATCH));
    expect(again.refusal).toBeNull();
    for (const socket of [...sockets.slice(1), other]) await socket.dispose();
  }, 60_000);

  test("a message larger than maxRequestBodyBytes closes the socket and is not kept", async () => {
    await using server = await startTestApp({ config: { ...UNTHROTTLED, maxRequestBodyBytes: 64 * 1024 } });
    const url = `${server.url.replace("http", "ws")}/graphql`;
    const message = JSON.stringify({ id: "1", type: "subscribe", payload: { query: `{ health { ok } } # ${"x".repeat(8 * MiB)}` } });
    const closeCodes = new Set<number>();
    const growth = await rssGrowth("30 socket messages of 8 MiB", async (sample) => {
      for (let i = 0; i < 30; i++) {
        const socket = new WebSocket(url, "graphql-transport-ws");
        const closed = new Promise<number>((resolve) => {
          socket.onclose = (event) => resolve(event.code);
        });
        await new Promise((resolve) => {
          socket.onopen = resolve;
        });
        socket.send(JSON.stringify({ type: "connection_init" }));
        socket.send(message);
        closeCodes.add(await closed);
        sample();
      }
    });
    expect([...closeCodes]).toEqual([1009]);
    expect(growth.peak).toBeLessThan(150);
  }, 60_000);
});

describe("page amplification", () => {
  const SET = "mutation ($k: String!, $v: JSON!) { setKv(key: $k, value: $v) { version } }";
  const aliased = `query ($n: Int) { ${Array.from({ length: 15 }, (_, i) => `a${i}: kvEntries(prefix: "big/", first: $n) { nodes { key value } }`).join(" ")} }`;

  test("a page size from variables counts in the cost limit, and a response over 16 MiB of values is refused", async () => {
    // The service's own bound on a request's pages is set out of the way: the edge must hold alone.
    await using server = await startTestApp({ config: { ...UNTHROTTLED, kvMaxPageBytes: 256 * MiB } });
    const admin = await server.admin();
    const value = "v".repeat(MiB - 64);
    for (let i = 0; i < 20; i++) await admin.data(SET, { k: `big/${i}`, v: value });

    const results: Record<string, { status: number; codes: (string | undefined)[]; bytes: number }> = {};
    const growth = await rssGrowth("15 aliases of 20 pages of 1 MiB values", async (sample) => {
      for (const n of [500, 20]) {
        const { status, body, text } = await post(server, JSON.stringify({ query: aliased, variables: { n } }), {
          authorization: `Bearer ${admin.accessToken}`,
        });
        results[n] = { status, codes: codes(body), bytes: text.length };
        sample();
      }
    });
    expect(results[500]?.codes).toEqual(["BAD_USER_INPUT"]);
    expect(results[20]?.codes).toEqual(["LIMIT_EXCEEDED"]);
    expect(results[20]?.bytes).toBeLessThan(4096);
    expect(growth.peak).toBeLessThan(200);
    // The same page size as a literal is refused by the document's own cost, and a modest request still works.
    expect(codes(await admin.request(aliased.replace("$n", "500").replace("($n: Int) ", "")))).toEqual(["BAD_USER_INPUT"]);
    const one = await admin.data<{ kvEntries: { nodes: unknown[] } }>(
      'query ($n: Int) { kvEntries(prefix: "big/", first: $n) { nodes { key value } } }',
      { n: 5 },
    );
    expect(one.kvEntries.nodes.length).toBe(5);
  }, 120_000);

  test("a page size from variables is weighed on sockets too", async () => {
    await using server = await startTestApp();
    const socket = (await server.admin()).socket();
    const sub = socket.subscribe(aliased, { n: 500 });
    const ended = await sub.ended;
    expect(JSON.stringify(ended.error ?? sub.results)).toContain("Query cost limit of 50000 exceeded");
    await socket.dispose();
  });
});

describe("cross-site requests", () => {
  const LOGIN = `mutation { login(username: "admin", password: "${ADMIN_PASSWORD}") { user { id } } }`;
  const WRONG = 'mutation { login(username: "admin", password: "wrong-password") { user { id } } }';
  const form = (query: string) => new URLSearchParams({ query }).toString();

  test("a form-encoded or plain-text POST is refused and sets no cookie", async () => {
    await using server = await startTestApp();
    for (const contentType of ["application/x-www-form-urlencoded", "text/plain", "application/jsonx", "application/graphql"]) {
      const body = contentType === "application/x-www-form-urlencoded" ? form(LOGIN) : JSON.stringify({ query: LOGIN });
      const response = await post(server, body, { "content-type": contentType });
      expect([contentType, response.status, codes(response.body)]).toEqual([contentType, 415, ["BAD_USER_INPUT"]]);
      expect(response.headers.getSetCookie()).toEqual([]);
    }
  });

  test("six no-cors form posts from another site do not lock the admin out", async () => {
    await using server = await startTestApp();
    for (let i = 0; i < 6; i++)
      await post(server, form(WRONG), { "content-type": "application/x-www-form-urlencoded", origin: "https://evil.example" });
    for (let i = 0; i < 6; i++) await post(server, JSON.stringify({ query: WRONG }), { "content-type": "text/plain" });
    const login = await post(server, JSON.stringify({ query: LOGIN }));
    expect(login.body.errors).toBeUndefined();
  });

  test("setup, login and refresh are refused from another site's page, and work from this one", async () => {
    await using server = await startTestApp();
    const crossSite: Record<string, string>[] = [
      { "sec-fetch-site": "cross-site" },
      { "sec-fetch-site": "same-site" },
      { origin: "https://evil.example" },
      { origin: "null" },
    ];
    for (const headers of crossSite) {
      const response = await post(server, JSON.stringify({ query: LOGIN }), headers);
      expect([headers, response.status, codes(response.body)]).toEqual([headers, 403, ["FORBIDDEN"]]);
      expect(response.headers.getSetCookie()).toEqual([]);
      const refresh = await post(server, JSON.stringify({ query: 'mutation { refresh(refreshToken: "x") { accessToken } }' }), headers);
      expect(codes(refresh.body)).toEqual(["FORBIDDEN"]);
    }
    const fromHere = await post(server, JSON.stringify({ query: LOGIN }), { "sec-fetch-site": "same-origin", origin: server.url });
    expect(fromHere.body.errors).toBeUndefined();
    expect(fromHere.headers.getSetCookie().length).toBeGreaterThan(0);
    const fromScript = await post(server, JSON.stringify({ query: LOGIN }));
    expect(fromScript.body.errors).toBeUndefined();
  });

  test("multipart is accepted only with a file and from a signed-in caller, and sets no cookie", async () => {
    await using server = await startTestApp();
    const admin = await server.admin();
    const multipart = (query: string, file: boolean, headers: Record<string, string> = {}) => {
      const body = new FormData();
      body.set("operations", JSON.stringify({ query, variables: { f: null } }));
      body.set("map", JSON.stringify(file ? { 0: ["variables.f"] } : {}));
      if (file) body.set("0", new File(["hello"], "hello.txt", { type: "text/plain" }));
      return fetch(`${server.url}/graphql`, { method: "POST", body, headers });
    };
    const anonymousLogin = await multipart(LOGIN, true);
    expect(anonymousLogin.status).toBe(401);
    expect(anonymousLogin.headers.getSetCookie()).toEqual([]);
    const withoutFile = await multipart("{ health { ok } }", false, { authorization: `Bearer ${admin.accessToken}` });
    expect(withoutFile.status).toBe(415);
    const upload = await multipart("{ health { ok } }", true, { authorization: `Bearer ${admin.accessToken}` });
    expect(await upload.json()).toEqual({ data: { health: { ok: true } } });
    const loginWithFile = await multipart(LOGIN, true, { authorization: `Bearer ${admin.accessToken}` });
    expect(loginWithFile.headers.getSetCookie()).toEqual([]);
  });
});

describe("what errors give away", () => {
  test("no enum value is suggested, in a variable or in the document, over HTTP or a socket", async () => {
    await using server = await startTestApp();
    const admin = await server.admin();
    const byVariable = await admin.request('mutation ($r: Role!) { setUserRole(id: "x", role: $r) { role } }', { r: "admn" });
    const inDocument = await admin.request('mutation { setUserRole(id: "x", role: admn) { role } }');
    const onSocket = admin.socket();
    const sub = onSocket.subscribe('mutation ($r: Role!) { setUserRole(id: "x", role: $r) { role } }', { r: "admn" });
    const ended = await sub.ended;
    for (const result of [byVariable, inDocument]) expect(codes(result)).toEqual(["BAD_USER_INPUT"]);
    const text = JSON.stringify([byVariable.errors, inDocument.errors, ended.error, sub.results]);
    expect(text).toContain("admn");
    expect(text).not.toMatch(/did you mean/i);
    expect(text).not.toContain('"admin"');
    await onSocket.dispose();
  });

  test("malformed variables are BAD_USER_INPUT, never INTERNAL, and leave no stack in the log", async () => {
    await using server = await startTestApp();
    for (const variables of ['"x"', "[1]", "5", "true"]) {
      const response = await post(server, `{"query":"query ($n: Int) { health { ok } }","variables":${variables}}`);
      expect([variables, response.status, codes(response.body)]).toEqual([variables, 400, ["BAD_USER_INPUT"]]);
    }
    const get = await fetch(`${server.url}/graphql?query=${encodeURIComponent("{ health { ok } }")}&variables=x`);
    expect(get.status).toBe(400);
    expect(codes((await get.json()) as Body)).toEqual(["BAD_USER_INPUT"]);
    expect(server.logs.filter((line) => line.includes('"error"') || line.includes("stack"))).toEqual([]);
  });
});
