// Many key-value entries at once, over HTTP and graphql-ws: a prefix exported and imported back
// (on another server too), imports that are all or nothing, the bulk bounds, and deleting many keys
// with one DELETE change each for subscribers.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createManualClock } from "../../server/clock";
import { startTestApp, type TestApp } from "../harness/app";
import { codes, type GraphqlClient, type GraphqlResult, waitUntil } from "../harness/client";

const SET = "mutation ($key: String!, $value: JSON!, $ttl: Int) { setKv(key: $key, value: $value, ttlSeconds: $ttl) { version } }";
const GET = "query ($key: String!) { kv(key: $key) { value version expiresAt } }";
const LIST = "query ($prefix: String) { kvEntries(prefix: $prefix, first: 100) { nodes { key value expiresAt } } }";
const EXPORT = "query ($prefix: String) { exportKv(prefix: $prefix) { prefix exportedAt entries { key value ttlSeconds } } }";
const IMPORT = "mutation ($entries: [KvEntryInput!]!) { importKv(entries: $entries) }";
const DELETE_MANY = "mutation ($keys: [String!]!) { deleteKvMany(keys: $keys) }";
const WATCH = "subscription ($prefix: String) { kvChanged(prefix: $prefix) { kind key version } }";

type ExportEntry = { key: string; value: unknown; ttlSeconds: number | null };
type Exported = { exportKv: { prefix: string; exportedAt: string; entries: ExportEntry[] } };
type Listed = { kvEntries: { nodes: { key: string; value: unknown; expiresAt: string | null }[] } };
type Change = { kvChanged: { kind: string; key: string; version: number } };
type EntryError = { index: number; key: string; message: string };

const BULK_ENTRIES = 5;
const BULK_BYTES = 1024;

// Time stands still unless a test moves it, so the seconds an export reports are exact.
const clock = createManualClock(Date.now());
let server: TestApp;
let operator: GraphqlClient;

beforeAll(async () => {
  server = await startTestApp({
    clock,
    config: { kvMaxKeyBytes: 64, kvMaxValueBytes: 1024, kvMaxBulkEntries: BULK_ENTRIES, kvMaxBulkBytes: BULK_BYTES },
  });
  operator = await server.userWithRole("operator");
});
afterAll(() => server.stop());

const listed = async (client: GraphqlClient, prefix: string) => (await client.data<Listed>(LIST, { prefix })).kvEntries.nodes;
const entryErrors = (result: GraphqlResult<unknown>) => result.errors?.[0]?.extensions?.entryErrors as EntryError[] | undefined;

describe("export and import", () => {
  test("a prefix exported, deleted and imported back comes back whole: JSON objects, scalars and the time left to live", async () => {
    const values: Record<string, unknown> = {
      "trip/config": { name: "pi", temps: [41.5, 42], nested: { ok: true, none: null }, text: "ünïcødé ✓" },
      "trip/count": 42,
      "trip/flag": false,
      "trip/list": ["a", { b: 1 }],
    };
    for (const [key, value] of Object.entries(values)) await operator.data(SET, { key, value });
    await operator.data(SET, { key: "trip/lease", value: "holder-1", ttl: 60 });
    await operator.data(SET, { key: "tripping/outside", value: "not under the prefix" });
    await clock.advance(10_000);

    const { exportKv } = await operator.data<Exported>(EXPORT, { prefix: "trip/" });
    expect(exportKv.prefix).toBe("trip/");
    expect(Date.parse(exportKv.exportedAt)).toBe(clock.now());
    expect(exportKv.entries).toEqual([
      { key: "trip/config", value: values["trip/config"], ttlSeconds: null },
      { key: "trip/count", value: 42, ttlSeconds: null },
      { key: "trip/flag", value: false, ttlSeconds: null },
      { key: "trip/lease", value: "holder-1", ttlSeconds: 50 },
      { key: "trip/list", value: ["a", { b: 1 }], ttlSeconds: null },
    ]);

    expect(await operator.data(DELETE_MANY, { keys: exportKv.entries.map((e) => e.key) })).toEqual({ deleteKvMany: 5 });
    expect(await listed(operator, "trip/")).toEqual([]);

    expect(await operator.data(IMPORT, { entries: exportKv.entries })).toEqual({ importKv: 5 });
    const back = await listed(operator, "trip/");
    expect(Object.fromEntries(back.map((e) => [e.key, e.value]))).toEqual({ ...values, "trip/lease": "holder-1" });
    expect(back.find((e) => e.key === "trip/lease")?.expiresAt).toBe(new Date(clock.now() + 50_000).toISOString());
    // Deleted and set again, each continues its numbering.
    expect((await operator.data<{ kv: { version: number } }>(GET, { key: "trip/count" })).kv.version).toBe(2);
  });

  test("an export imports on another server", async () => {
    await operator.data(SET, { key: "move/a", value: { deep: { list: [1, 2, 3] } } });
    await operator.data(SET, { key: "move/b", value: "text" });
    const { exportKv } = await operator.data<Exported>(EXPORT, { prefix: "move/" });

    await using other = await startTestApp();
    const admin = await other.admin();
    expect(await admin.data(IMPORT, { entries: exportKv.entries })).toEqual({ importKv: 2 });
    expect(await listed(admin, "move/")).toEqual([
      { key: "move/a", value: { deep: { list: [1, 2, 3] } }, expiresAt: null },
      { key: "move/b", value: "text", expiresAt: null },
    ]);
  });

  test("each imported entry is one SET change for subscribers, sent once the import committed", async () => {
    const socket = operator.socket();
    const changes = await server.listening("kv.changed", () => socket.subscribe<Change>(WATCH, { prefix: "live/" }));
    await operator.data(IMPORT, {
      entries: [
        { key: "live/a", value: 1 },
        { key: "live/b", value: 2 },
      ],
    });
    await changes.waitFor(2);
    expect(changes.results.map((r) => [r.data?.kvChanged.kind, r.data?.kvChanged.key])).toEqual([
      ["SET", "live/a"],
      ["SET", "live/b"],
    ]);
    await socket.dispose();
  });

  test("an empty prefix with nothing under it exports no entries", async () => {
    expect((await operator.data<Exported>(EXPORT, { prefix: "nothing-here/" })).exportKv.entries).toEqual([]);
  });
});

describe("an import is all or nothing", () => {
  test("entries that break the rules of setKv are listed with their index and nothing is set", async () => {
    const result = await operator.request(IMPORT, {
      entries: [
        { key: "half/ok", value: 1 },
        { key: "x".repeat(65), value: 2 },
        { key: "half/ttl", value: 3, ttlSeconds: 0 },
        { key: "half/ok", value: 4 },
        { key: "half/control\u0001", value: 5 },
      ],
    });
    expect(codes(result)).toEqual(["BAD_USER_INPUT"]);
    expect(result.errors?.[0]?.message).toBe("4 of 5 entries cannot be set; nothing was imported.");
    expect(entryErrors(result)?.map((e) => e.index)).toEqual([1, 2, 3, 4]);
    expect(entryErrors(result)?.[0]?.message).toContain("the limit is 64 bytes");
    expect(entryErrors(result)?.[2]).toEqual({
      index: 3,
      key: "half/ok",
      message: "The key is also entry 0; an import sets each key once.",
    });
    expect(await listed(operator, "half/")).toEqual([]);
  });

  test("with expectedVersion 0, keys that exist already are all listed as CONFLICT and nothing is set", async () => {
    await operator.data(SET, { key: "cas/one", value: "kept" });
    await operator.data(SET, { key: "cas/three", value: "kept" });
    const result = await operator.request(IMPORT, {
      entries: ["cas/one", "cas/two", "cas/three"].map((key) => ({ key, value: "imported", expectedVersion: 0 })),
    });
    expect(codes(result)).toEqual(["CONFLICT"]);
    expect(entryErrors(result)?.map((e) => e.key)).toEqual(["cas/one", "cas/three"]);
    expect((await listed(operator, "cas/")).map((e) => [e.key, e.value])).toEqual([
      ["cas/one", "kept"],
      ["cas/three", "kept"],
    ]);
  });

  test("more entries than kv_max_bulk_entries, or more value bytes than kv_max_bulk_bytes: LIMIT_EXCEEDED naming the setting", async () => {
    const tooMany = await operator.request(IMPORT, {
      entries: Array.from({ length: BULK_ENTRIES + 1 }, (_, i) => ({ key: `big/${i}`, value: i })),
    });
    expect(codes(tooMany)).toEqual(["LIMIT_EXCEEDED"]);
    expect(tooMany.errors?.[0]?.message).toContain("kv_max_bulk_entries");
    expect(tooMany.errors?.[0]?.extensions).toMatchObject({ quota: "kvMaxBulkEntries", limit: BULK_ENTRIES });

    // Each value fits kv_max_value_bytes; together they pass kv_max_bulk_bytes.
    const half = "v".repeat(BULK_BYTES / 2);
    const tooLarge = await operator.request(IMPORT, {
      entries: [
        { key: "big/a", value: half },
        { key: "big/b", value: half },
      ],
    });
    expect(codes(tooLarge)).toEqual(["LIMIT_EXCEEDED"]);
    expect(tooLarge.errors?.[0]?.extensions).toMatchObject({ quota: "kvMaxBulkBytes", limit: BULK_BYTES });
    expect(await listed(operator, "big/")).toEqual([]);
  });

  test("an import that would pass the store's key quota fails with LIMIT_EXCEEDED and sets nothing", async () => {
    await using small = await startTestApp({ config: { kvMaxKeys: 3 } });
    const admin = await small.admin();
    await admin.data(SET, { key: "quota/existing", value: 0 });
    const result = await admin.request(IMPORT, {
      entries: ["quota/a", "quota/b", "quota/c"].map((key) => ({ key, value: 1 })),
    });
    expect(codes(result)).toEqual(["LIMIT_EXCEEDED"]);
    expect(result.errors?.[0]?.extensions).toMatchObject({ quota: "kvMaxKeys", limit: 3 });
    expect((await listed(admin, "quota/")).map((e) => e.key)).toEqual(["quota/existing"]);
  });

  test("an import while the disk is short of its reserve is refused with LIMIT_EXCEEDED and sets nothing; deleting many still works", async () => {
    // A reserve larger than any test machine's disk: the disk counts as low from the start.
    await using low = await startTestApp({ config: { diskReserveBytes: 2 ** 40, diskEmergencySpaceBytes: 0 } });
    const admin = await low.admin();
    const result = await admin.request(IMPORT, { entries: [{ key: "low/a", value: 1 }] });
    expect(codes(result)).toEqual(["LIMIT_EXCEEDED"]);
    expect(result.errors?.[0]?.extensions?.diskState).toBe("low");
    expect(await listed(admin, "low/")).toEqual([]);
    expect(await admin.data(DELETE_MANY, { keys: ["low/a"] })).toEqual({ deleteKvMany: 0 });
  });

  test("a null value is refused before anything runs", async () => {
    const result = await operator.request(IMPORT, { entries: [{ key: "null/a", value: null }] });
    expect(codes(result)).toEqual(["BAD_USER_INPUT"]);
    expect(await listed(operator, "null/")).toEqual([]);
  });
});

describe("export bounds", () => {
  test("a prefix holding more than kv_max_bulk_entries entries is refused with LIMIT_EXCEEDED; a longer one exports", async () => {
    await operator.data(IMPORT, { entries: Array.from({ length: BULK_ENTRIES }, (_, i) => ({ key: `many/a${i}`, value: i })) });
    await operator.data(SET, { key: "many/b", value: "one more" });
    const refused = await operator.request(EXPORT, { prefix: "many/" });
    expect(codes(refused)).toEqual(["LIMIT_EXCEEDED"]);
    expect(refused.errors?.[0]?.message).toContain("choose a longer prefix");
    expect(refused.errors?.[0]?.extensions).toMatchObject({ quota: "kvMaxBulkEntries", limit: BULK_ENTRIES });
    expect((await operator.data<Exported>(EXPORT, { prefix: "many/a" })).exportKv.entries).toHaveLength(BULK_ENTRIES);
  });

  test("values under a prefix past kv_max_bulk_bytes are refused with LIMIT_EXCEEDED", async () => {
    const half = "v".repeat(BULK_BYTES / 2);
    await operator.data(SET, { key: "heavy/a", value: half });
    await operator.data(SET, { key: "heavy/b", value: half });
    const refused = await operator.request(EXPORT, { prefix: "heavy/" });
    expect(codes(refused)).toEqual(["LIMIT_EXCEEDED"]);
    expect(refused.errors?.[0]?.extensions).toMatchObject({ quota: "kvMaxBulkBytes", limit: BULK_BYTES });
  });
});

describe("deleting many keys", () => {
  test("deletes the existing ones in one go, says how many, and sends one DELETE change each", async () => {
    for (const key of ["del/a", "del/b", "del/c"]) await operator.data(SET, { key, value: key });
    const socket = operator.socket();
    const changes = await server.listening("kv.changed", () => socket.subscribe<Change>(WATCH, { prefix: "del/" }));
    // A missing key and a repeated one count for nothing.
    const { deleteKvMany } = await operator.data<{ deleteKvMany: number }>(DELETE_MANY, {
      keys: ["del/a", "del/missing", "del/b", "del/a"],
    });
    expect(deleteKvMany).toBe(2);
    await changes.waitFor(2);
    expect(changes.results.map((r) => [r.data?.kvChanged.kind, r.data?.kvChanged.key, r.data?.kvChanged.version])).toEqual([
      ["DELETE", "del/a", 1],
      ["DELETE", "del/b", 1],
    ]);
    expect((await listed(operator, "del/")).map((e) => e.key)).toEqual(["del/c"]);
    await socket.dispose();
  });

  test("an expired entry is not counted as deleted", async () => {
    await operator.data(SET, { key: "gone/soon", value: 1, ttl: 1 });
    await clock.advance(1000);
    expect(await operator.data(DELETE_MANY, { keys: ["gone/soon"] })).toEqual({ deleteKvMany: 0 });
  });

  test("a malformed key or more keys than kv_max_bulk_entries deletes nothing", async () => {
    await operator.data(SET, { key: "keep/a", value: 1 });
    const malformed = await operator.request(DELETE_MANY, { keys: ["keep/a", ""] });
    expect(codes(malformed)).toEqual(["BAD_USER_INPUT"]);
    expect(entryErrors(malformed)).toEqual([{ index: 1, key: "", message: "Key must not be empty." }]);
    const tooMany = await operator.request(DELETE_MANY, {
      keys: ["keep/a", ...Array.from({ length: BULK_ENTRIES }, (_, i) => `keep/${i}`)],
    });
    expect(codes(tooMany)).toEqual(["LIMIT_EXCEEDED"]);
    expect((await operator.data<{ kv: { value: number } }>(GET, { key: "keep/a" })).kv.value).toBe(1);
  });

  test("the audit log names the keys deleted, and records an import without its values", async () => {
    await operator.data(SET, { key: "audited/a", value: 1 });
    await operator.data(DELETE_MANY, { keys: ["audited/a"] });
    await operator.data(IMPORT, { entries: [{ key: "audited/b", value: { secret: "s3cr3t-value" } }] });
    const rows = () => server.app.services.audit.list({ first: 10 }).entries;
    await waitUntil(() => rows().some((r) => r.action === "mutation.importKv"), 5000, "the import's audit row");
    const deleteRow = rows().find((r) => r.action === "mutation.deleteKvMany");
    expect(deleteRow?.target).toEqual({ keys: ["audited/a"] });
    expect(JSON.stringify(rows())).not.toContain("s3cr3t-value");
  });
});
