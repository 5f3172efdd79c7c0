// Opens the one SQLite database and applies every capability's migrations in order, recording
// each by id so a migration runs exactly once.

import { Database } from "bun:sqlite";
import { AppError, LimitExceededError } from "./errors";

export interface Migration {
  /** Unique and stable forever, e.g. "kv-001-entries". */
  id: string;
  sql: string;
}

export function openDatabase(path: string, migrations: Migration[]): Database {
  const db = new Database(path, { create: true, strict: true });
  db.exec("PRAGMA journal_mode = WAL");
  db.exec("PRAGMA synchronous = NORMAL");
  db.exec("PRAGMA busy_timeout = 5000");
  db.exec("PRAGMA foreign_keys = ON");
  db.exec("CREATE TABLE IF NOT EXISTS schema_migrations (id TEXT PRIMARY KEY, applied_at INTEGER NOT NULL)");
  const applied = new Set(
    db
      .query<{ id: string }, []>("SELECT id FROM schema_migrations")
      .all()
      .map((r) => r.id),
  );
  const record = db.query("INSERT INTO schema_migrations (id, applied_at) VALUES (?, ?)");
  for (const migration of migrations) {
    if (applied.has(migration.id)) continue;
    db.transaction(() => {
      db.exec(migration.sql);
      record.run(migration.id, Date.now());
    })();
  }
  return db;
}

/** True when every given migration is recorded: what /ready reports. */
export function migrationsApplied(db: Database, migrations: Migration[]): boolean {
  const applied = new Set(
    db
      .query<{ id: string }, []>("SELECT id FROM schema_migrations")
      .all()
      .map((r) => r.id),
  );
  return migrations.every((m) => applied.has(m.id));
}

export interface WriteBatcher {
  /**
   * Runs `write` inside the next batch transaction and resolves with its result once that
   * transaction has committed. A write that throws an AppError fails alone (it must throw before
   * changing anything); any other error aborts and fails the whole batch.
   */
  run<T>(write: () => T): Promise<T>;
  /** Resolves when every write queued so far has committed. */
  drain(): Promise<void>;
}

/**
 * Group commit: writes that arrive while the event loop is busy are committed together in one
 * transaction, so a burst of small writes costs one commit instead of one each (less time, and
 * fewer WAL frames on an SD card). Nothing is acknowledged before its commit.
 */
export function createWriteBatcher(
  db: Database,
  { maxBatch = 256, maxQueued = 10_000 }: { maxBatch?: number; maxQueued?: number } = {},
): WriteBatcher {
  type Pending = { write: () => unknown; resolve: (value: unknown) => void; reject: (error: unknown) => void };
  const queue: Pending[] = [];
  let scheduled = false;

  const flush = () => {
    scheduled = false;
    const batch = queue.splice(0, maxBatch);
    if (queue.length > 0) schedule();
    const outcomes: ({ ok: true; value: unknown } | { ok: false; error: unknown })[] = [];
    try {
      db.transaction(() => {
        for (const pending of batch) {
          try {
            outcomes.push({ ok: true, value: pending.write() });
          } catch (error) {
            if (!(error instanceof AppError)) throw error;
            outcomes.push({ ok: false, error });
          }
        }
      })();
    } catch (error) {
      for (const pending of batch) pending.reject(error);
      return;
    }
    outcomes.forEach((outcome, i) => {
      const pending = batch[i] as Pending;
      if (outcome.ok) pending.resolve(outcome.value);
      else pending.reject(outcome.error);
    });
  };
  const schedule = () => {
    if (scheduled) return;
    scheduled = true;
    setImmediate(flush);
  };

  const run = <T>(write: () => T): Promise<T> => {
    if (queue.length >= maxQueued) return Promise.reject(new LimitExceededError("Too many writes are waiting; try again shortly."));
    return new Promise<T>((resolve, reject) => {
      queue.push({ write, resolve: resolve as (value: unknown) => void, reject });
      schedule();
    });
  };
  return {
    run,
    // Batches commit in order, so an empty write queued now commits after all earlier ones.
    drain: () => run(() => undefined).catch(() => undefined),
  };
}
