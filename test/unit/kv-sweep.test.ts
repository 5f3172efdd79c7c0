// The background purge of expired keys is timed to the next expiry: it must neither run early
// and often (a timer past setTimeout's 24.8-day range fires at once) nor late.
import { afterEach, expect, test } from "bun:test";
import { createWriteBatcher, openDatabase } from "../../server/db";
import { createEventBus } from "../../server/events";
import { kvMigrations } from "../../server/kv/migrations";
import { createKvService } from "../../server/kv/service";
import { createKvStore } from "../../server/kv/store";
import { createLogger } from "../../server/log";

const stops: (() => void)[] = [];
afterEach(() => {
  for (const stop of stops.splice(0)) stop();
});

/** The real service on an in-memory database, counting how often the purge runs. */
function kvWithPurgeCount() {
  const db = openDatabase(":memory:", kvMigrations);
  const store = createKvStore(db);
  const counted = { ...store, purges: 0 };
  counted.purgeExpired = (nowMs: number, limit: number) => {
    counted.purges++;
    return store.purgeExpired(nowMs, limit);
  };
  const events = createEventBus();
  const kv = createKvService({
    store: counted,
    writes: createWriteBatcher(db),
    events,
    log: createLogger({ level: "error" }),
    maxKeyBytes: 512,
    maxValueBytes: 1024,
  });
  kv.start();
  stops.push(() => {
    kv.stop();
    db.close();
  });
  return { kv, counted, events };
}

test("a TTL of 30 days does not make the purge run again and again", async () => {
  const { kv, counted } = kvWithPurgeCount();
  const before = counted.purges;
  await kv.set({ key: "month", value: 1, ttlSeconds: 30 * 86_400 });
  await Bun.sleep(300);
  expect(counted.purges - before).toBeLessThanOrEqual(1);
});

test("an entry is purged, with an EXPIRE event, soon after its TTL", async () => {
  const { kv, events } = kvWithPurgeCount();
  const changes = events.subscribe("kv.changed");
  await kv.set({ key: "soon", value: 1, ttlSeconds: 1 });
  expect((await changes.next()).value?.kind).toBe("SET");
  const started = Date.now();
  expect((await changes.next()).value).toMatchObject({ kind: "EXPIRE", key: "soon", version: 1 });
  expect(Date.now() - started).toBeLessThan(1500);
  await changes.return?.();
});
