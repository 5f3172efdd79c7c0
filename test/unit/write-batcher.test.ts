// Group commit on a real SQLite file: each write is all-or-nothing inside its batch, results come
// back in order, and drain() waits for everything queued before it.
import type { Database } from "bun:sqlite";
import { afterEach, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createWriteBatcher, type NoSpaceHandling, openDatabase } from "../../server/db";
import { ConflictError } from "../../server/errors";

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0).reverse()) cleanup();
});

/** A fresh database file with an `items` table and a `children` table whose foreign key is checked at COMMIT. */
function itemsDatabase(): Database {
  const dir = mkdtempSync(join(tmpdir(), "outpost-write-batcher-"));
  const db = openDatabase(join(dir, "outpost.db"), [
    { id: "test-001-items", sql: "CREATE TABLE items (name TEXT PRIMARY KEY)" },
    {
      id: "test-002-children",
      sql: "CREATE TABLE children (name TEXT PRIMARY KEY, item TEXT NOT NULL REFERENCES items (name) DEFERRABLE INITIALLY DEFERRED)",
    },
  ]);
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  cleanups.push(() => db.close());
  return db;
}

function itemNames(db: Database): string[] {
  return db
    .query<{ name: string }, []>("SELECT name FROM items ORDER BY name")
    .all()
    .map((row) => row.name);
}

function insertItem(db: Database, name: string) {
  db.query("INSERT INTO items (name) VALUES (?)").run(name);
}

/** Waits for every write and says how each ended: its value, or the error it was rejected with. */
async function outcomesOf(writes: Promise<unknown>[]): Promise<unknown[]> {
  return (await Promise.allSettled(writes)).map((outcome) => (outcome.status === "fulfilled" ? outcome.value : outcome.reason));
}

test("a write that inserts a row and then throws an AppError leaves no row; its sibling commits", async () => {
  const db = itemsDatabase();
  const writes = createWriteBatcher(db);
  const [before, failing, after] = await outcomesOf([
    writes.run(() => insertItem(db, "before")),
    writes.run(() => {
      insertItem(db, "half-done");
      throw new ConflictError("changed its mind");
    }),
    writes.run(() => insertItem(db, "after")),
  ]);
  expect(failing).toBeInstanceOf(ConflictError);
  expect([before, after]).toEqual([undefined, undefined]);
  expect(itemNames(db)).toEqual(["after", "before"]);
});

test("an error that is not an AppError fails only its own write", async () => {
  const db = itemsDatabase();
  const writes = createWriteBatcher(db);
  const [sibling, broken, duplicate] = await outcomesOf([
    writes.run(() => insertItem(db, "sibling")),
    writes.run(() => {
      insertItem(db, "broken");
      throw new TypeError("a bug in one write");
    }),
    writes.run(() => insertItem(db, "sibling")),
  ]);
  expect(sibling).toBeUndefined();
  expect(broken).toBeInstanceOf(TypeError);
  expect(String(duplicate)).toContain("UNIQUE constraint failed");
  expect(itemNames(db)).toEqual(["sibling"]);
});

test("results resolve in the order the writes were queued, with each write's value", async () => {
  const db = itemsDatabase();
  const writes = createWriteBatcher(db, { maxBatch: 4 });
  const settled: string[] = [];
  const pending = Array.from({ length: 10 }, (_, i) =>
    writes
      .run(() => {
        if (i === 5) throw new ConflictError("five fails");
        insertItem(db, `item-${i}`);
        return i * 10;
      })
      .then(
        (value) => settled.push(`${i}=${value}`),
        () => settled.push(`${i} failed`),
      ),
  );
  await Promise.all(pending);
  expect(settled).toEqual(["0=0", "1=10", "2=20", "3=30", "4=40", "5 failed", "6=60", "7=70", "8=80", "9=90"]);
  expect(itemNames(db)).toHaveLength(9);
});

test("when the COMMIT fails, every write of that batch is rejected and the next batch still commits", async () => {
  const db = itemsDatabase();
  const writes = createWriteBatcher(db);
  const outcomes = await outcomesOf([
    writes.run(() => insertItem(db, "kept-only-if-committed")),
    // The foreign key is deferred, so the statement succeeds and the COMMIT is what fails.
    writes.run(() => db.query("INSERT INTO children (name, item) VALUES ('orphan', 'no such item')").run()),
  ]);
  expect(outcomes.map(String)).toEqual(Array(2).fill("SQLiteError: FOREIGN KEY constraint failed"));
  expect(itemNames(db)).toEqual([]);
  expect(db.inTransaction).toBe(false);
  await writes.run(() => insertItem(db, "next"));
  expect(itemNames(db)).toEqual(["next"]);
});

test("a write that ends the transaction itself fails its whole batch, and later batches still commit", async () => {
  const db = itemsDatabase();
  const writes = createWriteBatcher(db);
  const outcomes = await outcomesOf([
    writes.run(() => insertItem(db, "rolled-back-with-the-batch")),
    writes.run(() => db.exec("ROLLBACK")),
  ]);
  expect(outcomes.every((outcome) => outcome instanceof Error)).toBe(true);
  await writes.run(() => insertItem(db, "next"));
  expect(itemNames(db)).toEqual(["next"]);
});

test("drain() with the queue at maxQueued waits for every queued write, and a write beyond it is refused", async () => {
  const db = itemsDatabase();
  const writes = createWriteBatcher(db, { maxQueued: 3 });
  const queued = outcomesOf(["a", "b", "c"].map((name) => writes.run(() => insertItem(db, name))));
  await expect(writes.run(() => insertItem(db, "d"))).rejects.toMatchObject({ code: "LIMIT_EXCEEDED" });
  await writes.drain();
  expect(itemNames(db)).toEqual(["a", "b", "c"]);
  expect(await queued).toEqual([undefined, undefined, undefined]);
});

test("drain() waits across several batches and counts failed writes as done", async () => {
  const db = itemsDatabase();
  const writes = createWriteBatcher(db, { maxBatch: 2 });
  const outcomes = outcomesOf(
    Array.from({ length: 7 }, (_, i) =>
      writes.run(() => {
        insertItem(db, `item-${i}`);
        if (i === 6) throw new ConflictError("the last one fails");
      }),
    ),
  );
  await writes.drain();
  expect(itemNames(db)).toHaveLength(6);
  expect((await outcomes).at(-1)).toBeInstanceOf(ConflictError);
});

test("drain() on an idle batcher resolves", async () => {
  const db = itemsDatabase();
  const writes = createWriteBatcher(db);
  await writes.drain();
  await writes.run(() => insertItem(db, "one"));
  await writes.drain();
  expect(itemNames(db)).toEqual(["one"]);
});

describe("when meeting a full disk fails itself (statfs or unlink failing), the batch still settles", () => {
  /** What a write meets on a full disk. */
  class DiskFullError extends Error {}
  const fillsTheDisk = (db: Database, name: string) => () => {
    insertItem(db, name);
    throw new DiskFullError("database or disk is full");
  };
  const failingWith = (where: "makeRoom" | "refusal"): NoSpaceHandling => ({
    isNoSpace: (error) => error instanceof DiskFullError,
    makeRoom: () => {
      if (where === "makeRoom") throw new Error("unlink failed");
      return false;
    },
    refusal: () => {
      throw new Error("statfs failed");
    },
  });

  for (const [where, message] of [
    ["makeRoom", "unlink failed"],
    ["refusal", "statfs failed"],
  ] as const) {
    test(`${where} throwing rejects every write of the batch with its error, and the next writes commit`, async () => {
      const db = itemsDatabase();
      const writes = createWriteBatcher(db, { noSpace: failingWith(where) });
      const outcomes = await outcomesOf([writes.run(() => insertItem(db, "sibling")), writes.run(fillsTheDisk(db, "half-done"))]);
      expect(outcomes.map(String)).toEqual(Array(2).fill(`Error: ${message}`));
      await writes.drain();
      expect(db.inTransaction).toBe(false);
      expect(itemNames(db)).toEqual([]);
      await writes.run(() => insertItem(db, "next"));
      expect(itemNames(db)).toEqual(["next"]);
    });
  }
});
