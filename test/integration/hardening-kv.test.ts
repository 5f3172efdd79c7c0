// Key-value hardening end to end: prefixes and cursors bounded like keys (over HTTP and on a
// socket), pages bounded by the bytes of their values (and the server's memory with them), quotas
// on the whole store and a write rate per user, the audit budget holding against a flood of failed
// anonymous sign-ins, and JSON values with numbers JSON cannot carry refused.
import { describe, expect, test } from "bun:test";
import { encodeCursor } from "../../schema/pagination";
import { createManualClock } from "../../server/clock";
import { startTestApp } from "../harness/app";
import { codes, type GraphqlClient } from "../harness/client";

const SET = `mutation ($key: String!, $value: JSON!, $ttl: Int, $expected: Int) {
  setKv(key: $key, value: $value, ttlSeconds: $ttl, expectedVersion: $expected) { key version }
}`;
const GET = "query ($key: String!) { kv(key: $key) { key value version } }";
const DELETE = "mutation ($key: String!) { deleteKv(key: $key) }";
const LIST = `query ($prefix: String, $first: Int, $after: String) {
  kvEntries(prefix: $prefix, first: $first, after: $after) { nodes { key value } pageInfo { hasNextPage endCursor } }
}`;
const WATCH = "subscription ($prefix: String) { kvChanged(prefix: $prefix) { kind key } }";

type Page = { nodes: { key: string; value: unknown }[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } };
const MiB = 1 << 20;
const jsonBytes = (value: unknown) => Buffer.byteLength(JSON.stringify(value), "utf8");

describe("prefixes and cursors are bounded like keys", () => {
  test("an over-long prefix or cursor is refused over HTTP with BAD_USER_INPUT; one at the limit works", async () => {
    await using server = await startTestApp({ config: { kvMaxKeyBytes: 64 } });
    const viewer = await server.userWithRole("viewer");
    const long = "p".repeat(65);
    const refused = await viewer.request(LIST, { prefix: long });
    expect(codes(refused)).toEqual(["BAD_USER_INPUT"]);
    expect(refused.errors?.[0]?.message).toContain("64 bytes");
    // Multi-byte characters count as their UTF-8 bytes, as in keys: 22 × 3 bytes = 66.
    expect(codes(await viewer.request(LIST, { prefix: "€".repeat(22) }))).toEqual(["BAD_USER_INPUT"]);
    expect(codes(await viewer.request(LIST, { after: encodeCursor("c".repeat(65)) }))).toEqual(["BAD_USER_INPUT"]);
    // A megabyte of prefix is refused as promptly as 65 bytes.
    expect(codes(await viewer.request(LIST, { prefix: "p".repeat(MiB) }))).toEqual(["BAD_USER_INPUT"]);
    const atLimit = await viewer.request(LIST, { prefix: "p".repeat(64), after: encodeCursor("p".repeat(64)) });
    expect(atLimit.errors).toBeUndefined();
  });

  test("kvChanged with an over-long prefix is refused on the socket and holds no listener; one at the limit listens", async () => {
    await using server = await startTestApp({ config: { kvMaxKeyBytes: 64 } });
    const viewer = await server.userWithRole("viewer");
    const socket = viewer.socket();
    const listenersBefore = server.listenersAdded("kv.changed");
    const refused = socket.subscribe(WATCH, { prefix: "w".repeat(100_000) });
    const ended = await refused.ended;
    const errors = refused.results.flatMap((r) => r.errors ?? []);
    const rejection = (ended.error as { extensions?: { code?: string } }[] | undefined) ?? errors;
    expect(rejection.map((e) => e.extensions?.code)).toEqual(["BAD_USER_INPUT"]);
    expect(server.listenersAdded("kv.changed")).toBe(listenersBefore);
    const admin = await server.admin();
    const atLimit = await server.listening("kv.changed", () =>
      socket.subscribe<{ kvChanged: { key: string } }>(WATCH, { prefix: "w".repeat(64) }),
    );
    await admin.data(SET, { key: "w".repeat(64), value: 1 });
    await atLimit.waitFor(1);
    expect(atLimit.results[0]?.data?.kvChanged.key).toBe("w".repeat(64));
    await socket.dispose();
  });
});

describe("pages are bounded by the bytes of their values", () => {
  test("20 values of 1 MiB: a page stays under the cap and says there is more; paging on returns them all; aliased pages share the cap", async () => {
    await using server = await startTestApp();
    const admin = await server.admin();
    // Each value's JSON is exactly kvMaxValueBytes (1 MiB): a quote, 1 MiB - 2 characters, a quote.
    const keys = Array.from({ length: 20 }, (_, i) => `big/${String(i).padStart(2, "0")}`);
    for (const [i, key] of keys.entries()) await admin.data(SET, { key, value: String.fromCharCode(97 + i).repeat(MiB - 2) });

    const first = (await admin.data<{ kvEntries: Page }>(LIST, { prefix: "big/", first: 20 })).kvEntries;
    const pageBytes = first.nodes.reduce((sum, n) => sum + jsonBytes(n.value), 0);
    expect(first.nodes.length).toBe(4);
    expect(pageBytes).toBeLessThanOrEqual(4 * MiB);
    expect(first.pageInfo.hasNextPage).toBe(true);

    const seen = first.nodes.map((n) => n.key);
    let after = first.pageInfo.endCursor;
    for (let pages = 0; pages < 20 && after; pages++) {
      const page = (await admin.data<{ kvEntries: Page }>(LIST, { prefix: "big/", first: 20, after })).kvEntries;
      expect(page.nodes.length).toBeGreaterThan(0);
      seen.push(...page.nodes.map((n) => n.key));
      after = page.pageInfo.hasNextPage ? page.pageInfo.endCursor : null;
    }
    expect(seen).toEqual(keys);

    // 15 aliases of that page in one request: they share one page's cap (each still holds at least
    // one entry, so each alias makes progress), so the answer is 4 + 14 entries, not 15 × 4 (or
    // 15 × 20 without a cap). The GraphQL layer may also cap a whole response's bytes; then this
    // request is refused with LIMIT_EXCEEDED instead, and memory must stay bounded all the same.
    const aliased = `{ ${Array.from({ length: 15 }, (_, i) => `p${i}: kvEntries(prefix: "big/", first: 20) { nodes { key value } pageInfo { hasNextPage } }`).join(" ")} }`;
    Bun.gc(true);
    const rssBefore = process.memoryUsage().rss;
    let rssPeak = rssBefore;
    const sampler = setInterval(() => {
      rssPeak = Math.max(rssPeak, process.memoryUsage().rss);
    }, 2);
    const result = await admin.request<Record<string, Page>>(aliased);
    clearInterval(sampler);
    const entries = Object.values(result.data ?? {}).reduce((sum, page) => sum + (page?.nodes.length ?? 0), 0);
    Bun.gc(true);
    const rssAfter = process.memoryUsage().rss;
    rssPeak = Math.max(rssPeak, rssAfter);
    console.log(
      `RSS around 15 aliased pages: before ${(rssBefore / MiB).toFixed(0)} MiB, peak ${(rssPeak / MiB).toFixed(0)} MiB (+${((rssPeak - rssBefore) / MiB).toFixed(0)}), after GC ${(rssAfter / MiB).toFixed(0)} MiB (+${((rssAfter - rssBefore) / MiB).toFixed(0)}); ${result.errors ? `refused ${JSON.stringify(codes(result))}` : `${entries} entries returned`}`,
    );
    if (result.errors) expect(codes(result)).toEqual(["LIMIT_EXCEEDED"]);
    else {
      expect(entries).toBe(4 + 14);
      expect(Object.values(result.data ?? {}).every((page) => page.pageInfo.hasNextPage)).toBe(true);
    }
    // At most 18 MiB of values cross the server and the client in this process; 15 uncapped pages would be 300 MiB.
    expect(rssPeak - rssBefore).toBeLessThan(200 * MiB);
  });

  test("pages of one request share the byte cap, and every page still makes progress", async () => {
    await using server = await startTestApp({ config: { kvMaxPageBytes: 1024 } });
    const admin = await server.admin();
    for (const key of ["s/a", "s/b", "s/c", "s/d"]) await admin.data(SET, { key, value: "v".repeat(398) }); // 400 bytes each
    const alone = (await admin.data<{ kvEntries: Page }>(LIST, { prefix: "s/", first: 10 })).kvEntries;
    expect(alone.nodes.map((n) => n.key)).toEqual(["s/a", "s/b"]);
    expect(alone.pageInfo.hasNextPage).toBe(true);
    const together = await admin.data<Record<"one" | "two" | "three", Page>>(
      `{ one: kvEntries(prefix: "s/", first: 10) { nodes { key value } pageInfo { hasNextPage endCursor } }
         two: kvEntries(prefix: "s/", first: 10) { nodes { key value } pageInfo { hasNextPage endCursor } }
         three: kvEntries(prefix: "s/c", first: 10) { nodes { key value } pageInfo { hasNextPage endCursor } } }`,
    );
    expect(together.one.nodes.map((n) => n.key)).toEqual(["s/a", "s/b"]);
    expect(together.two.nodes.map((n) => n.key)).toEqual(["s/a"]);
    expect(together.two.pageInfo.hasNextPage).toBe(true);
    expect(together.three.nodes.map((n) => n.key)).toEqual(["s/c"]);
    expect(together.three.pageInfo.hasNextPage).toBe(false);
  });
});

describe("quotas on the whole store", () => {
  test("the key count quota refuses a new key with LIMIT_EXCEEDED naming it; replacing, deleting and expiry free or keep slots", async () => {
    const clock = createManualClock(Date.now());
    await using server = await startTestApp({ clock, config: { kvMaxKeys: 3 } });
    const operator = await server.userWithRole("operator");
    await operator.data(SET, { key: "q/a", value: 1 });
    await operator.data(SET, { key: "q/b", value: 1 });
    await operator.data(SET, { key: "q/c", value: 1, ttl: 60 });
    const refused = await operator.request(SET, { key: "q/d", value: 1 });
    expect(codes(refused)).toEqual(["LIMIT_EXCEEDED"]);
    expect(refused.errors?.[0]?.message).toContain("kv_max_keys");
    expect(refused.errors?.[0]?.extensions).toMatchObject({ quota: "kvMaxKeys", limit: 3 });
    expect(await operator.data(GET, { key: "q/d" })).toEqual({ kv: null });
    // Replacing a key takes no new slot.
    expect((await operator.data<{ setKv: { version: number } }>(SET, { key: "q/a", value: 2 })).setKv.version).toBe(2);
    // A deleted key frees its slot.
    await operator.data(DELETE, { key: "q/b" });
    await operator.data(SET, { key: "q/d", value: 1 });
    expect(codes(await operator.request(SET, { key: "q/e", value: 1 }))).toEqual(["LIMIT_EXCEEDED"]);
    // So does an expired one, once purged.
    await clock.advance(60_000);
    await server.app.settled();
    expect(server.app.db.query("SELECT COUNT(*) AS n FROM kv_entries WHERE key = 'q/c'").get()).toEqual({ n: 0 });
    await operator.data(SET, { key: "q/e", value: 1 });
    expect(codes(await operator.request(SET, { key: "q/f", value: 1 }))).toEqual(["LIMIT_EXCEEDED"]);
  });

  test("the total size quota refuses growth past it with LIMIT_EXCEEDED naming it, and the running total stays exact", async () => {
    const clock = createManualClock(Date.now());
    await using server = await startTestApp({ clock, config: { kvMaxTotalBytes: 1024, kvMaxValueBytes: 1024 } });
    const operator = await server.userWithRole("operator");
    const usage = () => server.app.db.query("SELECT keys, value_bytes AS bytes FROM kv_usage").get();
    const actual = () =>
      server.app.db.query("SELECT COUNT(*) AS keys, COALESCE(SUM(octet_length(value)), 0) AS bytes FROM kv_entries").get();
    const text = (bytes: number) => "x".repeat(bytes - 2); // its JSON: two quotes more
    await operator.data(SET, { key: "t/a", value: text(400) });
    await operator.data(SET, { key: "t/b", value: text(400), ttl: 30 });
    const refused = await operator.request(SET, { key: "t/c", value: text(300) });
    expect(codes(refused)).toEqual(["LIMIT_EXCEEDED"]);
    expect(refused.errors?.[0]?.message).toContain("kv_max_total_bytes");
    expect(refused.errors?.[0]?.extensions).toMatchObject({ quota: "kvMaxTotalBytes", limit: 1024 });
    // Growing a value past the quota is refused; replacing it with one no larger is not.
    expect(codes(await operator.request(SET, { key: "t/a", value: text(700) }))).toEqual(["LIMIT_EXCEEDED"]);
    await operator.data(SET, { key: "t/a", value: text(100) });
    await operator.data(SET, { key: "t/c", value: text(300) });
    expect(usage()).toEqual({ keys: 3, bytes: 800 });
    await operator.data(DELETE, { key: "t/c" });
    expect(usage()).toEqual({ keys: 2, bytes: 500 });
    // An expiry purge gives its bytes back.
    await clock.advance(30_000);
    await server.app.settled();
    expect(usage()).toEqual({ keys: 1, bytes: 100 });
    await operator.data(SET, { key: "t/d", value: text(900) });
    expect(usage()).toEqual(actual());
    expect(usage()).toEqual({ keys: 2, bytes: 1000 });
  });

  test("writes are drawn from the kvWrite rate of each user: over it, LIMIT_EXCEEDED with Retry-After; others still write", async () => {
    // 10 per minute: a bucket holds 5.
    await using server = await startTestApp({ config: { rateLimitKvWritePerMinute: 10 } });
    const [one, two] = [await server.userWithRole("operator"), await server.userWithRole("operator")] as [GraphqlClient, GraphqlClient];
    for (let i = 0; i < 4; i++) await one.data(SET, { key: `r/${i}`, value: i });
    await one.data(DELETE, { key: "r/0" });
    const refused = await one.request(SET, { key: "r/9", value: 9 });
    expect(codes(refused)).toEqual(["LIMIT_EXCEEDED"]);
    expect(refused.errors?.[0]?.extensions?.retryAfterSeconds).toBeGreaterThan(0);
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(codes(await one.request(DELETE, { key: "r/1" }))).toEqual(["LIMIT_EXCEEDED"]);
    expect(await one.data(GET, { key: "r/9" })).toEqual({ kv: null });
    // Reads are not writes, and another user has a rate of their own.
    expect((await one.data<{ kv: { value: number } }>(GET, { key: "r/1" })).kv.value).toBe(1);
    await two.data(SET, { key: "r/two", value: 2 });
  });
});

describe("the audit budget", () => {
  test("200 failed anonymous sign-ins write at most the budget of rows; a signed-in caller's conflict is still recorded", async () => {
    // Time stands still, so the budget (60 a minute) cannot refill while the test runs.
    await using server = await startTestApp({ clock: createManualClock(Date.now()) });
    const admin = await server.admin();
    const loginRows = () =>
      server.app.services.audit.list({ first: 500, filter: { action: "mutation.login" } }).entries.filter((e) => e.result !== "ok");
    const results = new Map<string, number>();
    for (let i = 0; i < 200; i++) {
      const result = await server.anonymous.request(`mutation { login(username: "admin", password: "wrong-${i}") { accessToken } }`);
      const code = codes(result)[0] ?? "none";
      results.set(code, (results.get(code) ?? 0) + 1);
    }
    await server.app.settled();
    const rows = loginRows();
    console.log(`200 failed sign-ins answered ${JSON.stringify(Object.fromEntries(results))}; ${rows.length} audit rows written`);
    // The lockout and the sign-in rate answer most of them LIMIT_EXCEEDED; those count too.
    expect(results.get("LIMIT_EXCEEDED")).toBeGreaterThan(100);
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.length).toBeLessThanOrEqual(60);
    // The budget is spent, but what a signed-in caller does is attributable and still recorded.
    await admin.data(SET, { key: "audit/cas", value: 1 });
    expect(codes(await admin.request(SET, { key: "audit/cas", value: 2, expected: 7 }))).toEqual(["CONFLICT"]);
    await server.app.settled();
    const conflict = server.app.services.audit.list({ first: 5, filter: { action: "mutation.setKv", result: "CONFLICT" } }).entries;
    expect(conflict.length).toBe(1);
  });
});

describe("JSON values", () => {
  const rawRequest = (client: GraphqlClient, body: string) =>
    fetch(`${client.url}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${client.accessToken}` },
      body,
    }).then(async (r) => (await r.json()) as { errors?: { extensions?: { code?: string } }[] });

  test("a number beyond the range of JSON is refused with BAD_USER_INPUT, top-level or nested, literal or variable; nothing is stored", async () => {
    await using server = await startTestApp();
    const operator = await server.userWithRole("operator");
    const literal = (value: string) => operator.request(`mutation { setKv(key: "inf", value: ${value}) { version } }`);
    expect(codes(await literal("1e400"))).toEqual(["BAD_USER_INPUT"]);
    expect(codes(await literal("-1e400"))).toEqual(["BAD_USER_INPUT"]);
    expect(codes(await literal(`{ a: [1, { b: 1e400 }] }`))).toEqual(["BAD_USER_INPUT"]);
    expect(codes(await literal(`1${"0".repeat(400)}`))).toEqual(["BAD_USER_INPUT"]);
    // JSON.parse reads 1e400 in a request's variables as Infinity.
    const variables = (value: string) =>
      rawRequest(operator, `{"query": ${JSON.stringify(SET)}, "variables": {"key": "inf", "value": ${value}}}`);
    for (const value of ["1e400", '{"deep": [[1, -1e999]]}']) {
      const result = await variables(value);
      expect(result.errors?.map((e) => e.extensions?.code)).toEqual(["BAD_USER_INPUT"]);
    }
    expect(await operator.data(GET, { key: "inf" })).toEqual({ kv: null });
    // Large finite numbers are fine, and so are the entries beside a refused one.
    await operator.data(SET, { key: "fin", value: { big: 1.7e308, small: -5e-324 } });
    const { kvEntries } = await operator.data<{ kvEntries: Page }>(LIST, { prefix: "" });
    expect(kvEntries.nodes).toEqual([{ key: "fin", value: { big: 1.7e308, small: -5e-324 } }]);
  });

  test("a value nested deeper than 128 is refused with BAD_USER_INPUT, not an internal error", async () => {
    await using server = await startTestApp();
    const operator = await server.userWithRole("operator");
    const nested = (depth: number) => `${"[".repeat(depth)}${"]".repeat(depth)}`;
    const deep = await rawRequest(operator, `{"query": ${JSON.stringify(SET)}, "variables": {"key": "deep", "value": ${nested(100_000)}}}`);
    expect(deep.errors?.map((e) => e.extensions?.code)).toEqual(["BAD_USER_INPUT"]);
    expect(codes(await operator.request(`mutation { setKv(key: "deep", value: ${nested(129)}) { version } }`))).toEqual(["BAD_USER_INPUT"]);
    await operator.data(SET, { key: "deep", value: JSON.parse(nested(128)) });
  });
});
