// Key-value data end to end over HTTP and graphql-ws: reads, writes, versions and
// compare-and-set, TTL expiry, limits, pagination and live changes.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createManualClock } from "../../server/clock";
import { startTestApp, type TestApp } from "../harness/app";
import { codes, type GraphqlClient, waitUntil } from "../harness/client";

const SET = `mutation ($key: String!, $value: JSON!, $ttl: Int, $expected: Int) {
  setKv(key: $key, value: $value, ttlSeconds: $ttl, expectedVersion: $expected) { key value version expiresAt createdAt updatedAt }
}`;
const GET = "query ($key: String!) { kv(key: $key) { key value version expiresAt } }";
const LIST = `query ($prefix: String, $first: Int, $after: String) {
  kvEntries(prefix: $prefix, first: $first, after: $after) { nodes { key value version } edges { cursor node { key } } pageInfo { hasNextPage endCursor } }
}`;
const DELETE = "mutation ($key: String!, $expected: Int) { deleteKv(key: $key, expectedVersion: $expected) }";
const WATCH = "subscription ($prefix: String) { kvChanged(prefix: $prefix) { kind key version entry { value version } } }";

type Entry = { key: string; value: unknown; version: number; expiresAt: string | null };
type Change = { kvChanged: { kind: string; key: string; version: number; entry: { value: unknown; version: number } | null } };

let server: TestApp;
let admin: GraphqlClient;

beforeAll(async () => {
  server = await startTestApp({ config: { kvMaxKeyBytes: 64, kvMaxValueBytes: 1024 } });
  admin = await server.admin();
});
afterAll(() => server.stop());

describe("reading and writing", () => {
  test("a value set is read back with its JSON intact and version 1", async () => {
    const value = { name: "pi", temps: [41.5, 42], nested: { ok: true }, text: "ünïcødé ✓" };
    const { setKv } = await admin.data<{ setKv: Entry }>(SET, { key: "rw/one", value });
    expect(setKv).toMatchObject({ key: "rw/one", value, version: 1, expiresAt: null });
    const { kv } = await admin.data<{ kv: Entry }>(GET, { key: "rw/one" });
    expect(kv).toMatchObject({ key: "rw/one", value, version: 1 });
  });

  test("scalars and arrays are values too, and each set grows the version by one", async () => {
    for (const [i, value] of [1, "two", [3], false].entries()) {
      const { setKv } = await admin.data<{ setKv: Entry }>(SET, { key: "rw/scalar", value });
      expect(setKv.version).toBe(i + 1);
      expect(setKv.value).toEqual(value);
    }
  });

  test("a missing key reads as null, not an error", async () => {
    const result = await admin.request(GET, { key: "rw/missing" });
    expect(result.errors).toBeUndefined();
    expect(result.data).toEqual({ kv: null });
  });

  test("delete removes the key and says whether there was one", async () => {
    await admin.data(SET, { key: "rw/gone", value: 1 });
    expect(await admin.data(DELETE, { key: "rw/gone" })).toEqual({ deleteKv: true });
    expect(await admin.data(GET, { key: "rw/gone" })).toEqual({ kv: null });
    expect(await admin.data(DELETE, { key: "rw/gone" })).toEqual({ deleteKv: false });
  });

  test("writes survive a restart of the server on the same data directory", async () => {
    await using first = await startTestApp();
    const client = await first.admin();
    await client.data(SET, { key: "durable", value: { kept: true } });
    await first.app.stop();
    const { createApp } = await import("../../server/app");
    const again = await createApp({ ...first.app.config, port: 0 }, { log: first.app.log, announce: () => {} });
    try {
      expect(again.services.kv.get("durable")?.value).toEqual({ kept: true });
    } finally {
      await again.stop();
    }
  });
});

describe("compare-and-set", () => {
  test("expectedVersion matching the current version writes; a stale one fails with CONFLICT and changes nothing", async () => {
    await admin.data(SET, { key: "cas/a", value: "v1" });
    const ok = await admin.data<{ setKv: Entry }>(SET, { key: "cas/a", value: "v2", expected: 1 });
    expect(ok.setKv.version).toBe(2);
    const stale = await admin.request(SET, { key: "cas/a", value: "lost", expected: 1 });
    expect(codes(stale)).toEqual(["CONFLICT"]);
    expect(stale.errors?.[0]?.message).toContain("version 2");
    expect(stale.errors?.[0]?.extensions?.currentVersion).toBe(2);
    expect((await admin.data<{ kv: Entry }>(GET, { key: "cas/a" })).kv).toMatchObject({ value: "v2", version: 2 });
  });

  test("expectedVersion 0 creates only when the key is absent", async () => {
    expect((await admin.data<{ setKv: Entry }>(SET, { key: "cas/new", value: 1, expected: 0 })).setKv.version).toBe(1);
    expect(codes(await admin.request(SET, { key: "cas/new", value: 2, expected: 0 }))).toEqual(["CONFLICT"]);
  });

  test("two writers racing with the same expectedVersion: exactly one wins", async () => {
    await admin.data(SET, { key: "cas/race", value: 0 });
    const results = await Promise.all(Array.from({ length: 8 }, (_, i) => admin.request(SET, { key: "cas/race", value: i, expected: 1 })));
    expect(results.filter((r) => !r.errors).length).toBe(1);
    expect(results.filter((r) => codes(r)[0] === "CONFLICT").length).toBe(7);
  });

  test("delete with a stale expectedVersion fails with CONFLICT and keeps the entry", async () => {
    await admin.data(SET, { key: "cas/del", value: 1 });
    await admin.data(SET, { key: "cas/del", value: 2 });
    expect(codes(await admin.request(DELETE, { key: "cas/del", expected: 1 }))).toEqual(["CONFLICT"]);
    expect((await admin.data<{ kv: Entry }>(GET, { key: "cas/del" })).kv.version).toBe(2);
    expect(await admin.data(DELETE, { key: "cas/del", expected: 2 })).toEqual({ deleteKv: true });
  });
});

describe("TTL", () => {
  test("an entry with a TTL carries expiresAt, vanishes at once when it passes, and is purged with an EXPIRE event", async () => {
    // The server's time stands still until the test moves it: to just before the expiry, then onto it.
    const clock = createManualClock(Date.now());
    await using timed = await startTestApp({ clock });
    const client = await timed.admin();
    const stored = () => timed.app.db.query("SELECT COUNT(*) AS n FROM kv_entries WHERE key = 'ttl/short'").get();
    const socket = client.socket();
    const changes = await timed.listening("kv.changed", () => socket.subscribe<Change>(WATCH, { prefix: "ttl/" }));
    const { setKv } = await client.data<{ setKv: Entry }>(SET, { key: "ttl/short", value: "soon gone", ttl: 1 });
    expect(new Date(setKv.expiresAt as string).getTime()).toBe(clock.now() + 1000);
    await clock.advance(999);
    expect((await client.data<{ kv: Entry | null }>(GET, { key: "ttl/short" })).kv?.value).toBe("soon gone");
    expect(stored()).toEqual({ n: 1 });
    await clock.advance(1);
    expect(await client.data(GET, { key: "ttl/short" })).toEqual({ kv: null });
    await changes.waitFor(2);
    expect(changes.results.map((r) => r.data?.kvChanged.kind)).toEqual(["SET", "EXPIRE"]);
    expect((await client.data<{ kvEntries: { nodes: Entry[] } }>(LIST, { prefix: "ttl/" })).kvEntries.nodes).toEqual([]);
    expect(stored()).toEqual({ n: 0 });
    await socket.dispose();
  });

  test("an expired entry is invisible before the purge runs; setting it again continues its numbering", async () => {
    await admin.data(SET, { key: "ttl/stale", value: "old" });
    server.app.db.query("UPDATE kv_entries SET expires_at = ? WHERE key = 'ttl/stale'").run(Date.now() - 1000);
    expect(await admin.data(GET, { key: "ttl/stale" })).toEqual({ kv: null });
    const { setKv } = await admin.data<{ setKv: Entry }>(SET, { key: "ttl/stale", value: "new", expected: 0 });
    expect(setKv.version).toBe(2);
  });

  test("a lease cannot be renewed with its old version after it expired and someone else took it", async () => {
    const first = await admin.data<{ setKv: Entry }>(SET, { key: "lease/leader", value: "a", ttl: 1, expected: 0 });
    server.app.db.query("UPDATE kv_entries SET expires_at = ? WHERE key = 'lease/leader'").run(Date.now() - 1);
    server.app.services.kv.purgeExpired();
    const taken = await admin.data<{ setKv: Entry }>(SET, { key: "lease/leader", value: "b", ttl: 60, expected: 0 });
    expect(taken.setKv.version).toBeGreaterThan(first.setKv.version);
    const renewal = await admin.request(SET, { key: "lease/leader", value: "a", ttl: 60, expected: first.setKv.version });
    expect(codes(renewal)).toEqual(["CONFLICT"]);
    expect((await admin.data<{ kv: Entry }>(GET, { key: "lease/leader" })).kv.value).toBe("b");
  });

  test("a deleted key set again continues its numbering", async () => {
    await admin.data(SET, { key: "ttl/recreated", value: 1 });
    await admin.data(SET, { key: "ttl/recreated", value: 2 });
    await admin.data(DELETE, { key: "ttl/recreated" });
    expect((await admin.data<{ setKv: Entry }>(SET, { key: "ttl/recreated", value: 3, expected: 0 })).setKv.version).toBe(3);
  });

  test("setting without a TTL clears an earlier TTL", async () => {
    await admin.data(SET, { key: "ttl/cleared", value: 1, ttl: 60 });
    const { setKv } = await admin.data<{ setKv: Entry }>(SET, { key: "ttl/cleared", value: 2 });
    expect(setKv.expiresAt).toBeNull();
  });

  test("a TTL below 1 second is refused", async () => {
    const result = await admin.request(SET, { key: "ttl/bad", value: 1, ttl: 0 });
    expect(codes(result)).toEqual(["BAD_USER_INPUT"]);
    expect(result.errors?.[0]?.message).toContain("ttlSeconds");
  });
});

describe("limits and bad input", () => {
  test("a key over the limit is refused with the limit in the message", async () => {
    const result = await admin.request(SET, { key: "k".repeat(65), value: 1 });
    expect(codes(result)).toEqual(["BAD_USER_INPUT"]);
    expect(result.errors?.[0]?.message).toContain("64 bytes");
  });

  test("a value over the limit is refused with the limit in the message, and nothing is stored", async () => {
    const result = await admin.request(SET, { key: "big", value: "x".repeat(2000) });
    expect(codes(result)).toEqual(["BAD_USER_INPUT"]);
    expect(result.errors?.[0]?.message).toContain("1024 bytes");
    expect(await admin.data(GET, { key: "big" })).toEqual({ kv: null });
  });

  test("empty keys, control characters and a null value are refused", async () => {
    expect(codes(await admin.request(SET, { key: "", value: 1 }))).toEqual(["BAD_USER_INPUT"]);
    expect(codes(await admin.request(SET, { key: "a\nb", value: 1 }))).toEqual(["BAD_USER_INPUT"]);
    expect(codes(await admin.request(SET, { key: "nullish", value: null }))).toEqual(["BAD_USER_INPUT"]);
  });

  test("a malformed cursor and an out-of-range page size are refused", async () => {
    expect(codes(await admin.request(LIST, { after: "not a cursor!" }))).toEqual(["BAD_USER_INPUT"]);
    expect(codes(await admin.request(LIST, { first: 0 }))).toEqual(["BAD_USER_INPUT"]);
    expect(codes(await admin.request(LIST, { first: 100000 }))).toEqual(["BAD_USER_INPUT"]);
  });
});

describe("listing", () => {
  test("entries come sorted by key, filtered by prefix, in pages that chain by cursor", async () => {
    const keys = ["page/b", "page/a", "page/c/1", "page/c/2", "page/d", "pagex", "other"];
    for (const key of keys) await admin.data(SET, { key, value: key });
    const seen: string[] = [];
    let after: string | null = null;
    for (let pages = 0; pages < 10; pages++) {
      const result: {
        kvEntries: { nodes: Entry[]; edges: { cursor: string }[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } };
      } = await admin.data(LIST, { prefix: "page/", first: 2, after });
      seen.push(...result.kvEntries.nodes.map((n) => n.key));
      expect(result.kvEntries.pageInfo.endCursor).toBe(result.kvEntries.edges.at(-1)?.cursor ?? null);
      if (!result.kvEntries.pageInfo.hasNextPage) break;
      after = result.kvEntries.pageInfo.endCursor;
    }
    expect(seen).toEqual(["page/a", "page/b", "page/c/1", "page/c/2", "page/d"]);
  });

  test("a full page (first: 500) with every field is within the query limits", async () => {
    const result = await admin.request(
      "{ kvEntries(first: 500) { edges { cursor node { key value version createdAt updatedAt expiresAt } } nodes { key value version createdAt updatedAt expiresAt } pageInfo { hasNextPage endCursor } } }",
    );
    expect(result.errors).toBeUndefined();
  });

  test("prefixes with characters at the top of the Unicode range still match", async () => {
    await admin.data(SET, { key: "uni/\u{10FFFF}a", value: 1 });
    await admin.data(SET, { key: "uni/\u{FFFF}", value: 2 });
    const { kvEntries } = await admin.data<{ kvEntries: { nodes: Entry[] } }>(LIST, { prefix: "uni/\u{10FFFF}" });
    expect(kvEntries.nodes.map((n) => n.value)).toEqual([1]);
  });
});

describe("live changes", () => {
  test("kvChanged delivers sets and deletes under its prefix only, in order, to every subscriber", async () => {
    const viewer = await server.userWithRole("viewer");
    const adminSocket = admin.socket();
    const viewerSocket = viewer.socket();
    const a = await server.listening("kv.changed", () => adminSocket.subscribe<Change>(WATCH, { prefix: "live/" }));
    const b = await server.listening("kv.changed", () => viewerSocket.subscribe<Change>(WATCH, { prefix: "live/" }));
    await admin.data(SET, { key: "live/x", value: { n: 1 } });
    await admin.data(SET, { key: "elsewhere", value: 1 });
    await admin.data(SET, { key: "live/x", value: { n: 2 } });
    await admin.data(DELETE, { key: "live/x" });
    await a.waitFor(3);
    await b.waitFor(3);
    for (const sub of [a, b]) {
      expect(sub.results.map((r) => r.data?.kvChanged)).toEqual([
        { kind: "SET", key: "live/x", version: 1, entry: { value: { n: 1 }, version: 1 } },
        { kind: "SET", key: "live/x", version: 2, entry: { value: { n: 2 }, version: 2 } },
        { kind: "DELETE", key: "live/x", version: 2, entry: null },
      ]);
    }
    await adminSocket.dispose();
    await viewerSocket.dispose();
  });

  test("a subscriber that stops listening is removed from the event bus", async () => {
    const socket = admin.socket();
    const sub = await server.listening("kv.changed", () => socket.subscribe<Change>(WATCH, { prefix: "gone/" }));
    const listening = server.app.events.listenerCount("kv.changed");
    expect(listening).toBeGreaterThan(0);
    sub.stop();
    await socket.dispose();
    await waitUntil(() => server.app.events.listenerCount("kv.changed") < listening, 5000, "the listener to be removed");
    expect(server.app.events.listenerCount("kv.changed")).toBe(listening - 1);
    await admin.data(SET, { key: "gone/after", value: 1 });
    expect(sub.results).toEqual([]);
  });
});
