// Which version of Outpost last wrote the database, so that versions meet it safely: migrations
// run forward only, so a database a newer version wrote (its version ahead of this one, or
// migrations this one does not know) is refused before anything touches it; and before the first
// start of a newer version, the database is copied (VACUUM INTO, a consistent copy of a live
// database) to <data>/backups/outpost-before-<version>.db, the last few kept, so an upgrade that
// goes wrong can be undone (rollBackDatabase, which `outpost install` runs when it rolls back).

import { Database } from "bun:sqlite";
import { chmodSync, existsSync, linkSync, mkdirSync, readdirSync, renameSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { isNoSpaceError } from "./disk/watch";
import { StartupError } from "./errors";

/** How many pre-upgrade copies are kept (the newest); each is as large as the database. */
export const KEPT_UPGRADE_BACKUPS = 3;

const BACKUP_PREFIX = "outpost-before-";

/** `version` as a part of a file name. */
function fileNamePart(version: string): string {
  return version.replace(/[^\w.+-]/g, "_");
}

/** The copy made before the first start of `version`. */
export function upgradeBackupPath(backupsDir: string, version: string): string {
  return join(backupsDir, `${BACKUP_PREFIX}${fileNamePart(version)}.db`);
}

export interface DatabaseVersionOptions {
  /** This Outpost's version. */
  version: string;
  /** Where the pre-upgrade copies go: <data>/backups. */
  backupsDir: string;
}

/** Records and reads the version that last wrote `db`; creates its table when missing. */
function versionTable(db: Database) {
  db.exec("CREATE TABLE IF NOT EXISTS outpost_version (id INTEGER PRIMARY KEY CHECK (id = 1), version TEXT NOT NULL)");
  return {
    read: () => db.query<{ version: string }, []>("SELECT version FROM outpost_version WHERE id = 1").get()?.version ?? null,
    write: (version: string) => db.query("INSERT OR REPLACE INTO outpost_version (id, version) VALUES (1, ?)").run(version),
  };
}

/**
 * Before `migrations` run on `db` (whose applied migration ids are `applied`): refuses, with a
 * StartupError naming both versions and what to do, a database written by a newer Outpost; copies
 * one an older Outpost wrote to the backups directory (unless that copy exists already). Returns
 * the function that records this version once the migrations ran.
 */
export function checkDatabaseVersion(
  db: Database,
  dbPath: string,
  migrations: readonly { id: string }[],
  applied: ReadonlySet<string>,
  { version, backupsDir }: DatabaseVersionOptions,
): () => void {
  const table = versionTable(db);
  const written = table.read();
  const known = new Set(migrations.map((m) => m.id));
  const unknown = [...applied].filter((id) => !known.has(id));
  const newer = written !== null && Bun.semver.order(written, version) > 0;
  if (newer || unknown.length > 0) {
    const backup = upgradeBackupPath(backupsDir, written ?? version);
    const restore = existsSync(backup) ? `, or restore the copy made before that upgrade by moving ${backup} to ${dbPath}` : "";
    throw new StartupError(
      `The database ${dbPath} was written by ${newer ? `Outpost ${written}` : `a newer Outpost (it has changes this one does not know, such as ${unknown[0]})`}, which this Outpost ${version} cannot use: run ${newer ? `Outpost ${written}` : "that version"} or newer${restore}.`,
    );
  }
  // A database that is new, or that this version wrote last, needs no copy; one without a recorded
  // version was written before versions were recorded, so by an older Outpost.
  if (applied.size > 0 && written !== version) copyBeforeUpgrade(db, dbPath, upgradeBackupPath(backupsDir, version), version);
  return () => {
    if (written !== version) table.write(version);
  };
}

/** Copies the database to `target` (0600), then keeps only the newest KEPT_UPGRADE_BACKUPS copies. */
function copyBeforeUpgrade(db: Database, dbPath: string, target: string, version: string): void {
  // A start of this version that failed after the copy finds it made: that copy is the one from before the upgrade.
  if (existsSync(target)) return;
  const backupsDir = join(target, "..");
  mkdirSync(backupsDir, { recursive: true, mode: 0o700 });
  const partial = `${target}.partial`;
  rmSync(partial, { force: true });
  try {
    db.query("VACUUM INTO ?").run(partial);
  } catch (err) {
    rmSync(partial, { force: true });
    if (isNoSpaceError(err))
      throw new StartupError(
        `Before Outpost ${version} first uses ${dbPath}, it copies it to ${backupsDir}, but the disk is full: free some space (or delete old copies there) and start again.`,
      );
    throw err;
  }
  chmodSync(partial, 0o600);
  // Renamed into place whole, so a copy that exists is a complete one.
  renameSync(partial, target);
  const copies = readdirSync(backupsDir)
    .filter((name) => name.startsWith(BACKUP_PREFIX) && name.endsWith(".db"))
    .map((name) => ({ path: join(backupsDir, name), mtimeMs: statSync(join(backupsDir, name)).mtimeMs }))
    .sort((a, b) => b.mtimeMs - a.mtimeMs);
  for (const old of copies.slice(KEPT_UPGRADE_BACKUPS)) rmSync(old.path, { force: true });
}

/** What rollBackDatabase did. */
export type DatabaseRollback =
  /** The database does not record the given version: that version never finished opening it. */
  | { done: "nothing" }
  /** The database was moved to `setAside` and the copy made before the upgrade put in its place. */
  | { done: "restored"; copy: string; setAside: string }
  /** The database records the version, but no copy of it was made since the upgrade began: it is left as it is. */
  | { done: "left"; copy: string };

/**
 * Undoes what the first start of `version` did to the database at `dbPath`, once that version was
 * given up and its server has stopped: when the database records `version` and the copy made before
 * that start exists and was made since `upgradeStartedMs` (an older copy is from an earlier upgrade
 * to the same version, and restoring it would lose everything since), moves the database, its
 * write-ahead log merged first, to <backupsDir>/outpost-failed-<version>-<time>.db and moves the copy
 * into its place in one rename. Without this the previous version, which refuses a database a newer
 * one wrote, could not start.
 */
export function rollBackDatabase(
  dbPath: string,
  { version, backupsDir }: DatabaseVersionOptions,
  upgradeStartedMs: number,
  now = new Date(),
): DatabaseRollback {
  if (!existsSync(dbPath)) return { done: "nothing" };
  const db = new Database(dbPath, { readwrite: true, create: false });
  let written: string | null;
  try {
    // Read only: a database from before versions were recorded has no table, and this one makes none.
    const recorded = db.query("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'outpost_version'").get() !== null;
    written = recorded ? versionTable(db).read() : null;
  } finally {
    // The last connection closing merges the write-ahead log into the file and removes it.
    db.close();
  }
  if (written !== version) return { done: "nothing" };
  const copy = upgradeBackupPath(backupsDir, version);
  // Whole seconds: a file system may keep modification times no finer than that.
  if (!existsSync(copy) || statSync(copy).mtimeMs < Math.floor(upgradeStartedMs / 1000) * 1000) return { done: "left", copy };
  const time = now
    .toISOString()
    .replace(/\.\d+Z$/, "Z")
    .replace(/:/g, "-");
  const setAside = join(backupsDir, `outpost-failed-${fileNamePart(version)}-${time}.db`);
  // A second name first, so that outpost.db is never missing; a log the close could not merge
  // belongs to the set-aside database and must not meet the restored one.
  linkSync(dbPath, setAside);
  for (const suffix of ["-wal", "-shm"]) if (existsSync(`${dbPath}${suffix}`)) renameSync(`${dbPath}${suffix}`, `${setAside}${suffix}`);
  // Moved, not copied: the copy is the live database from now on, and the next upgrade to this
  // version makes a fresh one instead of keeping this one as "the copy from before".
  renameSync(copy, dbPath);
  return { done: "restored", copy, setAside };
}
