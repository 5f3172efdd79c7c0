// Which version of Outpost last wrote the database, so that versions meet it safely: migrations
// run forward only, so a database a newer version wrote (its version ahead of this one, or
// migrations this one does not know) is refused before anything touches it; and before the first
// start of a newer version, the database is copied (VACUUM INTO, a consistent copy of a live
// database) to <data>/backups/outpost-before-<version>.db, the last few kept, so an upgrade that
// goes wrong can be undone.

import type { Database } from "bun:sqlite";
import { chmodSync, existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { isNoSpaceError } from "./disk/watch";
import { StartupError } from "./errors";

/** How many pre-upgrade copies are kept (the newest); each is as large as the database. */
export const KEPT_UPGRADE_BACKUPS = 3;

const BACKUP_PREFIX = "outpost-before-";

/** The copy made before the first start of `version`. */
export function upgradeBackupPath(backupsDir: string, version: string): string {
  return join(backupsDir, `${BACKUP_PREFIX}${version.replace(/[^\w.+-]/g, "_")}.db`);
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
