// The background purge of expired keys is timed to the next expiry: it must neither run early
// and often (a timer past setTimeout's 24.8-day range fires at once) nor late. Time is a manual
// clock, advanced by the test.
import { afterEach, expect, test } from "bun:test";
import { createManualClock } from "../../server/clock";
import { createWriteBatcher, openDatabase } from "../../server/db";
import { createEventBus } from "../../server/events";
import { createJobs } from "../../server/jobs";
import { kvMigrations } from "../../server/kv/migrations";
import { createKvService } from "../../server/kv/service";
import { createKvStore } from "../../server/kv/store";
import { createLogger } from "../../server/log";

const stops: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const stop of stops.splice(0)) await stop();
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
  const clock = createManualClock();
  const log = createLogger({ level: "error" });
  const jobs = createJobs({ clock, log });
  const kv = createKvService({
    store: counted,
    writes: createWriteBatcher(db),
    events,
    log,
    maxKeyBytes: 512,
    maxValueBytes: 1024,
    clock,
    jobs,
  });
  kv.start();
  jobs.start();
  stops.push(async () => {
    kv.stop();
    await jobs.stop();
    db.close();
  });
  return { kv, counted, events, clock, jobs };
}

test("a TTL of 30 days runs the purge once, when it falls due, not again and again", async () => {
  const { kv, counted, clock, jobs } = kvWithPurgeCount();
  const before = counted.purges;
  await kv.set({ key: "month", value: 1, ttlSeconds: 30 * 86_400 });
  await clock.advance(29 * 86_400_000);
  expect(counted.purges - before).toBe(0);
  expect(
    jobs
      .list()
      .find((j) => j.name === "kv.expiry-sweep")
      ?.nextRunAt?.getTime(),
  ).toBe(clock.now() + 86_400_000);
  await clock.advance(86_400_000);
  expect(counted.purges - before).toBe(1);
  expect(kv.get("month")).toBeNull();
});

test("an entry is purged, with an EXPIRE event, when its TTL ends", async () => {
  const { kv, events, clock } = kvWithPurgeCount();
  const changes = events.subscribe("kv.changed");
  await kv.set({ key: "soon", value: 1, ttlSeconds: 1 });
  expect((await changes.next()).value?.kind).toBe("SET");
  await clock.advance(999);
  const expired = changes.next();
  await clock.advance(1);
  expect((await expired).value).toMatchObject({ kind: "EXPIRE", key: "soon", version: 1 });
  await changes.return?.();
});
