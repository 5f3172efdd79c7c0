// Benchmark, printed as figures (no assertions): what the write batcher's per-write savepoints cost.
// Times N small inserts on a fresh WAL database file, four ways: a plain transaction loop in batches
// of the batcher's size (the floor, measured in the same run), the same loop with a prepared
// SAVEPOINT/RELEASE around each insert, the same loop with `db.transaction` nesting around each
// insert, and the batcher itself (N `run` calls queued at once, then awaited).
// Run: `bun test/bench/write-batcher.ts` (optionally `-- --writes 50000 --rounds 7`).
import type { Database } from "bun:sqlite";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createWriteBatcher, openDatabase } from "../../server/db";

function option(name: string, fallback: number): number {
  const at = process.argv.indexOf(`--${name}`);
  return at > 0 ? Number(process.argv[at + 1]) : fallback;
}
const WRITES = option("writes", 20_000);
const ROUNDS = option("rounds", 5);
const BATCH = 256; // the batcher's default maxBatch
const work = mkdtempSync(join(tmpdir(), "outpost-bench-batcher-"));

type Variant = { name: string; insertAll: (db: Database, insert: (i: number) => void) => Promise<void> | void };

/** Calls `each(i)` for every write, `BATCH` writes to a transaction. */
function inBatches(db: Database, each: (i: number) => void) {
  const batch = db.transaction((from: number) => {
    for (let i = from; i < Math.min(from + BATCH, WRITES); i++) each(i);
  });
  for (let from = 0; from < WRITES; from += BATCH) batch(from);
}

const variants: Variant[] = [
  { name: "plain transaction loop", insertAll: (db, insert) => inBatches(db, insert) },
  {
    name: "loop + prepared SAVEPOINT/RELEASE",
    insertAll: (db, insert) => {
      const savepoint = db.prepare("SAVEPOINT bench");
      const release = db.prepare("RELEASE bench");
      inBatches(db, (i) => {
        savepoint.run();
        insert(i);
        release.run();
      });
    },
  },
  {
    name: "loop + db.transaction nesting",
    insertAll: (db, insert) => {
      const nested = db.transaction(insert);
      inBatches(db, (i) => nested(i));
    },
  },
  {
    name: "createWriteBatcher",
    insertAll: async (db, insert) => {
      const writes = createWriteBatcher(db, { maxQueued: WRITES });
      await Promise.all(Array.from({ length: WRITES }, (_, i) => writes.run(() => insert(i))));
    },
  },
];

async function timeOnce(variant: Variant, round: number): Promise<number> {
  const db = openDatabase(join(work, `${variant.name.replace(/\W+/g, "-")}-${round}.db`), [
    { id: "bench-001-items", sql: "CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL)" },
  ]);
  const statement = db.prepare("INSERT INTO items (id, name) VALUES (?, ?)");
  const insert = (i: number) => statement.run(i, `item-${i}`);
  const started = performance.now();
  await variant.insertAll(db, insert);
  const elapsedMs = performance.now() - started;
  const rows = db.query<{ n: number }, []>("SELECT count(*) AS n FROM items").get()?.n;
  if (rows !== WRITES) throw new Error(`${variant.name} wrote ${rows} rows, not ${WRITES}`);
  db.close();
  return elapsedMs;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;

try {
  const timings = new Map<Variant, number[]>(variants.map((v) => [v, []]));
  // Rounds interleave the variants so that a slow moment of the machine hits all of them alike.
  for (let round = 0; round < ROUNDS; round++) {
    for (const variant of variants) timings.get(variant)?.push(await timeOnce(variant, round));
  }
  const floorMs = median(timings.get(variants[0] as Variant) ?? []);
  console.log(`${WRITES} inserts, batches of ${BATCH}, median of ${ROUNDS} rounds (WAL, synchronous=NORMAL)`);
  for (const [variant, times] of timings) {
    const ms = median(times);
    const perWriteUs = (ms * 1000) / WRITES;
    console.log(
      `${variant.name.padEnd(36)} ${ms.toFixed(1).padStart(8)} ms  ${perWriteUs.toFixed(2).padStart(6)} µs/write  ${(ms / floorMs).toFixed(2)}× the plain loop`,
    );
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
