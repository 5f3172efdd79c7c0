// Opens the one SQLite database and applies every capability's migrations in order, recording
// each by id so a migration runs exactly once.

import { Database } from "bun:sqlite";
import { chmodSync, existsSync } from "node:fs";
import { LimitExceededError } from "./errors";

export interface Migration {
  /** Unique and stable forever, e.g. "kv-001-entries". */
  id: string;
  sql: string;
}

/** Opens (creating if needed) the database at `path`, readable by this user only (0600, its -wal and -shm files too), and migrates it. */
export function openDatabase(path: string, migrations: Migration[]): Database {
  const db = new Database(path, { create: true, strict: true });
  const onDisk = path !== ":memory:" && path !== "";
  // SQLite creates files 0644; it gives the -wal and -shm files the mode of the database file, so
  // this comes first. Files left 0644 by an earlier version are fixed below.
  if (onDisk) chmodSync(path, 0o600);
  db.exec("PRAGMA journal_mode = WAL");
  db.exec("PRAGMA synchronous = NORMAL");
  db.exec("PRAGMA busy_timeout = 5000");
  db.exec("PRAGMA foreign_keys = ON");
  if (onDisk) for (const suffix of ["-wal", "-shm"]) if (existsSync(path + suffix)) chmodSync(path + suffix, 0o600);
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
   * Runs `write` in the next batch transaction, inside its own savepoint, and resolves with its
   * result once that transaction has committed. If `write` throws (any error), everything it changed
   * is rolled back to its savepoint and only its promise rejects, with that error; the rest of the
   * batch commits. If the COMMIT fails, or the transaction is lost mid-batch (SQLite rolled it back
   * on an I/O or full-disk error, or a write ended it), every write of that batch rejects.
   * `write` must be synchronous and must not BEGIN, COMMIT or ROLLBACK itself (`db.transaction`
   * inside it is fine: that nests as a savepoint). Rejects at once with a `LimitExceededError` when
   * `maxQueued` writes are already waiting.
   */
  run<T>(write: () => T): Promise<T>;
  /**
   * Resolves once every write queued before the call has committed or failed, however full the
   * queue is; at once when nothing is waiting. Never rejects.
   */
  drain(): Promise<void>;
}

/**
 * Group commit: writes that arrive while the event loop is busy are committed together in one
 * transaction (at most `maxBatch` each), so a burst of small writes costs one commit instead of one
 * each (less time, and fewer WAL frames on an SD card). Each write runs in its own savepoint, so a
 * failing write takes back only its own changes. Nothing is acknowledged before its commit.
 */
export function createWriteBatcher(
  db: Database,
  { maxBatch = 256, maxQueued = 10_000 }: { maxBatch?: number; maxQueued?: number } = {},
): WriteBatcher {
  type Pending = { write: () => unknown; resolve: (value: unknown) => void; reject: (error: unknown) => void };
  type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };
  const queue: Pending[] = [];
  let scheduled = false;
  // Writes are numbered as they are queued and settle in that order: drain() waits for a number.
  let queuedCount = 0;
  let settledCount = 0;
  const drainers: { upTo: number; resolve: () => void }[] = [];

  // Prepared once: every write runs two of these, so they must not be parsed again each time.
  const begin = db.prepare("BEGIN");
  const commit = db.prepare("COMMIT");
  const rollback = db.prepare("ROLLBACK");
  const savepoint = db.prepare("SAVEPOINT outpost_write");
  const release = db.prepare("RELEASE outpost_write");
  const rollbackTo = db.prepare("ROLLBACK TO outpost_write");

  /** Runs one write in its own savepoint; throws only when the batch's transaction is lost. */
  const runInSavepoint = (write: () => unknown): Outcome => {
    savepoint.run();
    let value: unknown;
    try {
      value = write();
    } catch (error) {
      try {
        rollbackTo.run();
        release.run();
      } catch {
        // No savepoint to go back to: the whole transaction is gone, and the batch with it. The
        // write's error says why better than "no such savepoint" does.
        throw error;
      }
      return { ok: false, error };
    }
    release.run();
    return { ok: true, value };
  };

  const settle = (count: number) => {
    settledCount += count;
    while (drainers[0] && drainers[0].upTo <= settledCount) drainers.shift()?.resolve();
  };

  const flush = () => {
    scheduled = false;
    const batch = queue.splice(0, maxBatch);
    if (queue.length > 0) schedule();
    const outcomes: Outcome[] = [];
    try {
      begin.run();
      for (const pending of batch) outcomes.push(runInSavepoint(pending.write));
      commit.run();
    } catch (error) {
      try {
        if (db.inTransaction) rollback.run();
      } catch {
        // The batch error is the one to report; a failed ROLLBACK (e.g. a closed database) adds nothing.
      }
      for (const pending of batch) pending.reject(error);
      settle(batch.length);
      return;
    }
    outcomes.forEach((outcome, i) => {
      const pending = batch[i] as Pending;
      if (outcome.ok) pending.resolve(outcome.value);
      else pending.reject(outcome.error);
    });
    settle(batch.length);
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
      queuedCount++;
      schedule();
    });
  };
  const drain = (): Promise<void> => {
    if (settledCount === queuedCount) return Promise.resolve();
    return new Promise<void>((resolve) => drainers.push({ upTo: queuedCount, resolve }));
  };
  return { run, drain };
}
