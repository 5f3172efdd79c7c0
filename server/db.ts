// Opens the one SQLite database and applies every capability's migrations in order, recording
// each by id so a migration runs exactly once; meets a full disk the same way for every write; and
// batches writes (group commit).

import { Database, type SQLQueryBindings } from "bun:sqlite";
import { chmodSync, existsSync } from "node:fs";
import { checkDatabaseVersion, type DatabaseVersionOptions } from "./database-version";
import { LimitExceededError } from "./errors";

export interface Migration {
  /** Unique and stable forever, e.g. "kv-001-entries". */
  id: string;
  sql: string;
}

/** How the database meets a full disk; the disk watch (server/disk) provides it. */
export interface NoSpaceHandling {
  /** Whether `error` is a lack of space (SQLITE_FULL, ENOSPC). */
  isNoSpace(error: unknown): boolean;
  /** Gives back the emergency space; true when that made room, so one more try may work. */
  makeRoom(): boolean;
  /** The error a write that found no room fails with: LIMIT_EXCEEDED saying how full the disk is. */
  refusal(cause: unknown): Error;
}

const GUARDED_METHODS = ["run", "get", "all", "values"] as const;
/** A SELECT writes nothing, so it is left as it is: reads pay nothing for the guard. */
const READ_ONLY = /^\s*SELECT\b/i;

/**
 * A database whose writes meet a full disk the same way wherever they are made. A statement run
 * outside any transaction, or a whole `transaction(fn)`, that fails for lack of space is tried once
 * more after the emergency space was given back, and otherwise fails with the clear refusal,
 * never INTERNAL. This sits here rather than in each store because the writes that must work on a
 * full disk are scattered: sign-in writes its session and refresh token directly, outside the
 * write batcher. Trying again is safe: SQLite rolled the failed statement or transaction back
 * entirely. Inside a transaction a failure is left to its owner (the write batcher tries whole
 * batches again), since SQLite may have rolled back more than the one statement.
 */
class SpaceAwareDatabase extends Database {
  readonly #noSpace: NoSpaceHandling;
  readonly #guardedStatements = new WeakSet<object>();

  constructor(path: string, noSpace: NoSpaceHandling) {
    super(path, { create: true, strict: true });
    this.#noSpace = noSpace;
  }

  /** After `error` ended a statement or transaction outside any transaction: makes room and tries `attempt` once more when it was a lack of space. */
  #afterFailure<T>(error: unknown, attempt: () => T): T {
    if (!this.#noSpace.isNoSpace(error)) throw error;
    if (!this.#noSpace.makeRoom()) throw this.#noSpace.refusal(error);
    try {
      return attempt();
    } catch (again) {
      throw this.#noSpace.isNoSpace(again) ? this.#noSpace.refusal(again) : again;
    }
  }

  /** `run` guarded: inside a transaction as it is, else retried or refused on a full disk (no allocation on the way that works). */
  #guarded<A extends unknown[], T>(run: (...args: A) => T): (...args: A) => T {
    return (...args: A) => {
      if (this.inTransaction) return run(...args);
      try {
        return run(...args);
      } catch (error) {
        return this.#afterFailure(error, () => run(...args));
      }
    };
  }

  #guard<S extends object>(sql: string, statement: S): S {
    if (READ_ONLY.test(sql) || this.#guardedStatements.has(statement)) return statement;
    this.#guardedStatements.add(statement);
    const methods = statement as unknown as Record<(typeof GUARDED_METHODS)[number], (...params: SQLQueryBindings[]) => unknown>;
    for (const name of GUARDED_METHODS) methods[name] = this.#guarded(methods[name].bind(statement));
    return statement;
  }

  override query<ReturnType, ParamsType extends SQLQueryBindings | SQLQueryBindings[]>(sql: string) {
    return this.#guard(sql, super.query<ReturnType, ParamsType>(sql));
  }

  override prepare<ReturnType, ParamsType extends SQLQueryBindings | SQLQueryBindings[]>(sql: string, params?: ParamsType) {
    return this.#guard(sql, super.prepare<ReturnType, ParamsType>(sql, params));
  }

  override transaction<A extends unknown[], T>(insideTransaction: (...args: A) => T) {
    const plain = super.transaction(insideTransaction);
    return Object.assign(this.#guarded(plain), {
      deferred: this.#guarded(plain.deferred),
      immediate: this.#guarded(plain.immediate),
      exclusive: this.#guarded(plain.exclusive),
    });
  }
}

/**
 * Opens (creating if needed) the database at `path`, readable by this user only (0600, its -wal and
 * -shm files too), and migrates it; a migration already applied writes nothing, so a server starts
 * on a full disk. With `noSpace`, writes meet a full disk as SpaceAwareDatabase says. With
 * `appVersion`, a database a newer Outpost wrote is refused and one an older Outpost wrote is
 * copied before it is migrated (database-version.ts).
 */
export function openDatabase(
  path: string,
  migrations: Migration[],
  { noSpace, appVersion }: { noSpace?: NoSpaceHandling; appVersion?: DatabaseVersionOptions } = {},
): Database {
  const db: Database = noSpace ? new SpaceAwareDatabase(path, noSpace) : new Database(path, { create: true, strict: true });
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
  let recordVersion = () => {};
  try {
    if (appVersion) recordVersion = checkDatabaseVersion(db, path, migrations, applied, appVersion);
  } catch (err) {
    // Refused: closed now, so that its write-ahead log is merged and removed before anyone restores a copy.
    db.close();
    throw err;
  }
  const record = db.query("INSERT INTO schema_migrations (id, applied_at) VALUES (?, ?)");
  for (const migration of migrations) {
    if (applied.has(migration.id)) continue;
    db.transaction(() => {
      db.exec(migration.sql);
      record.run(migration.id, Date.now());
    })();
  }
  recordVersion();
  return db;
}

/** `PRAGMA secure_delete` answers with the index of its mode here. */
const SECURE_DELETE_MODES = ["OFF", "ON", "FAST"];

/**
 * Runs `rewrite` (synchronous; its own transaction) over values that must leave no readable copy on
 * disk, such as secrets an older version stored in clear that it now overwrites sealed. Without this
 * SQLite keeps old values: in the free space of rewritten pages (zeroed here by secure_delete) and in
 * the database file's old pages until a checkpoint writes the new ones over them (done here at
 * once, and the write-ahead log truncated). Meant for rare rewrites at start, when nothing else
 * reads: a reader holding an older snapshot would make the checkpoint wait (busy_timeout) and
 * leave those pages to a later one.
 */
export function rewriteLeavingNoCopy<T>(db: Database, rewrite: () => T): T {
  const { secure_delete: before } = db.query<{ secure_delete: number }, []>("PRAGMA secure_delete").get() ?? { secure_delete: 0 };
  db.exec("PRAGMA secure_delete = ON");
  try {
    return db.transaction(rewrite)();
  } finally {
    db.exec(`PRAGMA secure_delete = ${SECURE_DELETE_MODES[before] ?? "OFF"}`);
    db.exec("PRAGMA wal_checkpoint(TRUNCATE)");
  }
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
   * on an I/O or full-disk error, or a write ended it), every write of that batch rejects. A full
   * disk (any write of the batch, or the COMMIT, failing for lack of space) takes the whole batch:
   * once room is made the batch runs once more, else every write rejects with the clear disk-full
   * LimitExceededError (or with the error of making room, should that fail). So `write` may run
   * twice, the first run having left nothing behind in the database: it must change nothing outside it.
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
  { maxBatch = 256, maxQueued = 10_000, noSpace }: { maxBatch?: number; maxQueued?: number; noSpace?: NoSpaceHandling } = {},
): WriteBatcher {
  type Pending = { write: () => unknown; resolve: (value: unknown) => void; reject: (error: unknown) => void };
  type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };
  /** Each write's outcome, or the error that lost the whole batch (nothing of it left behind). */
  type BatchResult = { outcomes: Outcome[] } | { lost: unknown };
  const isNoSpace = (error: unknown) => noSpace?.isNoSpace(error) ?? false;
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

  /** Runs one write in its own savepoint; throws only when the batch's transaction is lost or the disk is full. */
  const runInSavepoint = (write: () => unknown): Outcome => {
    savepoint.run();
    let value: unknown;
    try {
      value = write();
    } catch (error) {
      // SQLite may already have rolled the whole transaction back; the batch is tried as one again.
      if (isNoSpace(error)) throw error;
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

  /** Runs `batch` in one transaction. */
  const commitBatch = (batch: Pending[]): BatchResult => {
    const outcomes: Outcome[] = [];
    try {
      begin.run();
      for (const pending of batch) outcomes.push(runInSavepoint(pending.write));
      commit.run();
      return { outcomes };
    } catch (error) {
      try {
        if (db.inTransaction) rollback.run();
      } catch {
        // The batch error is the one to report; a failed ROLLBACK (e.g. a closed database) adds nothing.
      }
      return { lost: error };
    }
  };

  /**
   * After a full disk lost `batch`, leaving nothing of it: once room is made it runs once more, else
   * it is lost with the refusal. Making room or saying how full the disk is may fail itself (statfs,
   * unlink): then that failure loses the batch, which settles all the same.
   */
  const afterNoSpace = (handling: NoSpaceHandling, batch: Pending[], lost: unknown): BatchResult => {
    try {
      const again = handling.makeRoom() ? commitBatch(batch) : { lost };
      return "lost" in again && handling.isNoSpace(again.lost) ? { lost: handling.refusal(again.lost) } : again;
    } catch (error) {
      return { lost: error };
    }
  };

  const flush = () => {
    scheduled = false;
    const batch = queue.splice(0, maxBatch);
    if (queue.length > 0) schedule();
    let result = commitBatch(batch);
    if ("lost" in result && noSpace && isNoSpace(result.lost)) result = afterNoSpace(noSpace, batch, result.lost);
    if ("lost" in result) {
      for (const pending of batch) pending.reject(result.lost);
    } else
      result.outcomes.forEach((outcome, i) => {
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
