// The key-value store's own bookkeeping across an upgrade and over time: the usage totals the
// quotas read are seeded from the rows already stored, values an older version stored as null
// (from 1e400) are removed so reads work again, and tombstones stay bounded by the key quota.
import { afterEach, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createManualClock } from "../../server/clock";
import { createWriteBatcher, openDatabase } from "../../server/db";
import { createEventBus } from "../../server/events";
import { createJobs } from "../../server/jobs";
import { kvMigrations } from "../../server/kv/migrations";
import { createKvService } from "../../server/kv/service";
import { createKvStore } from "../../server/kv/store";
import { createLogger } from "../../server/log";

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

function kvService(db: ReturnType<typeof openDatabase>, options: { maxKeys?: number } = {}) {
  const clock = createManualClock();
  const log = createLogger({ level: "error" });
  const kv = createKvService({
    store: createKvStore(db),
    writes: createWriteBatcher(db),
    events: createEventBus(),
    log,
    maxKeyBytes: 512,
    maxValueBytes: 1024,
    clock,
    jobs: createJobs({ clock, log }),
    ...options,
  });
  return { kv, clock };
}

test("an upgrade seeds the usage totals from the stored rows and removes values stored as null, keeping their numbering", async () => {
  const dir = mkdtempSync(join(tmpdir(), "outpost-kv-upgrade-"));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, "outpost.db");
  // The database as the first version of the store left it: two good rows, and one that 1e400 became.
  const before = openDatabase(path, kvMigrations.slice(0, 2));
  const insert = before.query("INSERT INTO kv_entries (key, value, version, created_at, updated_at) VALUES (?, ?, ?, 0, 0)");
  insert.run("good/a", JSON.stringify({ t: "ü" }), 1);
  insert.run("good/b", "[1,2,3]", 4);
  insert.run("was/infinity", "null", 3);
  before.close();

  const db = openDatabase(path, kvMigrations);
  cleanups.push(() => db.close());
  expect(db.query("SELECT keys, value_bytes AS bytes FROM kv_usage").get()).toEqual({
    keys: 2,
    bytes: Buffer.byteLength(JSON.stringify({ t: "ü" })) + "[1,2,3]".length,
  });
  const { kv } = kvService(db);
  expect(kv.list({}).entries.map((e) => e.key)).toEqual(["good/a", "good/b"]);
  expect(kv.get("was/infinity")).toBeNull();
  expect((await kv.set({ key: "was/infinity", value: 1 })).version).toBe(4);
});

test("tombstones beyond the key quota are forgotten oldest first", async () => {
  const db = openDatabase(":memory:", kvMigrations);
  cleanups.push(() => db.close());
  const { kv, clock } = kvService(db, { maxKeys: 3 });
  for (const key of ["t/1", "t/2", "t/3", "t/4", "t/5"]) {
    await kv.set({ key, value: 1 });
    await kv.delete(key);
    await clock.advance(1000);
  }
  expect(kv.purgeTombstones()).toBe(2);
  expect(
    db
      .query<{ key: string }, []>("SELECT key FROM kv_tombstones ORDER BY key")
      .all()
      .map((r) => r.key),
  ).toEqual(["t/3", "t/4", "t/5"]);
});

test("the service refuses what cannot be stored, whichever edge calls it", async () => {
  const db = openDatabase(":memory:", kvMigrations);
  cleanups.push(() => db.close());
  const { kv } = kvService(db);
  await expect(kv.set({ key: "n", value: { a: [Number.POSITIVE_INFINITY] } })).rejects.toMatchObject({ code: "BAD_USER_INPUT" });
  await expect(kv.set({ key: "n", value: Number.NaN })).rejects.toMatchObject({ code: "BAD_USER_INPUT" });
  let deep: unknown = 1;
  for (let i = 0; i < 10_000; i++) deep = [deep];
  await expect(kv.set({ key: "n", value: deep })).rejects.toMatchObject({ code: "BAD_USER_INPUT" });
  expect(kv.get("n")).toBeNull();
});
