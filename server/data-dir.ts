// The data directory at start-up: checked first, so that a directory Outpost cannot use stops the
// start with one sentence saying why and what to do (not an error from deep inside SQLite); made
// private to this user; and locked, so that one Outpost process at a time uses it.
//
// The lock is SQLite's own: `<data>/outpost.lock` is a small database held in exclusive locking
// mode after a committed write, so the kernel keeps a POSIX lock on it until the process ends,
// however it ends (kill -9 included), in a checkout and in the compiled binary, under qemu too.
// A pid file alone could not tell a live holder from a stale file. Beside it, `<data>/outpost.pid`
// names the holder for a process that is turned away: the pid on its first line and, once the
// server listens, its address on the second (as PostgreSQL's postmaster.pid does).

import { Database } from "bun:sqlite";
import {
  accessSync,
  chmodSync,
  chownSync,
  constants,
  existsSync,
  mkdirSync,
  readFileSync,
  renameSync,
  rmSync,
  type Stats,
  statSync,
  writeFileSync,
} from "node:fs";
import { dirname, join } from "node:path";
import { isNoSpaceError } from "./disk/watch";
import { DataDirError } from "./errors";
import type { Logger } from "./log";
import { findOsUser, findOsUserById } from "./os-users";

/** Where a server that has no user yet writes its one-time setup link, for `outpost install` to show (0600). */
export const SETUP_LINK_FILE = "setup-link";

/** The setup link a running server without users wrote in `dir`, or null (none, or this user may not read it). */
export function readSetupLink(dir: string): string | null {
  try {
    return readFileSync(join(dir, SETUP_LINK_FILE), "utf8").trim() || null;
  } catch {
    return null;
  }
}

/** The database's files, which this user must be able to write. */
const DATABASE_FILES = ["outpost.db", "outpost.db-wal", "outpost.db-shm"];
/** What Outpost keeps in the directory, all of which must belong to the user it runs as. */
const OWN_ENTRIES = [...DATABASE_FILES, "secret", "outpost.toml", "tmp", "outpost.lock", "outpost.pid"];

function unusable(dir: string, reason: string, remedy: string): DataDirError {
  return new DataDirError(`Cannot use data directory ${dir}: ${reason}. ${remedy}`);
}

function statOrNull(path: string): Stats | null {
  try {
    return statSync(path);
  } catch {
    return null;
  }
}

/** The name of user `uid`, or "uid N" when it has none. */
const userName = (uid: number) => findOsUserById(uid)?.name ?? `uid ${uid}`;

function currentUser(): { uid: number; name: string } {
  const uid = process.getuid?.() ?? -1;
  return { uid, name: userName(uid) };
}

/** Why the directory could not be created, from the nearest part of its path that exists. */
function whyNotCreated(dir: string, err: NodeJS.ErrnoException, user: string): string {
  let ancestor = dirname(dir);
  while (!existsSync(ancestor) && dirname(ancestor) !== ancestor) ancestor = dirname(ancestor);
  if (statOrNull(ancestor)?.isDirectory() === false) return `${ancestor} is a file, not a directory`;
  if (err.code === "EACCES" || err.code === "EPERM") return `${user} may not create directories in ${ancestor}`;
  if (err.code === "EROFS") return `${ancestor} is on a read-only filesystem`;
  return err.message;
}

/**
 * Checks that `dir` can hold Outpost's data and prepares it: creates it when missing, refuses it
 * with a DataDirError saying why and what to do when it is a file, cannot be created, is not
 * writable, is on a read-only filesystem, belongs to another user or holds a database this user
 * cannot write; then makes it (and its tmp/) 0700 and outpost.toml 0600, whatever modes they had
 * (the directory 0710, group `runAsUser`'s, when runs run as that user).
 */
export function prepareDataDir(dir: string, log: Logger, { runAsUser = null }: { runAsUser?: string | null } = {}): void {
  const me = currentUser();
  const found = statOrNull(dir);
  if (found && !found.isDirectory())
    throw unusable(dir, "it is a file, not a directory", "Give --data the path of a directory, or move the file away.");
  if (!found) {
    try {
      mkdirSync(dir, { recursive: true, mode: 0o700 });
    } catch (err) {
      throw unusable(
        dir,
        `it does not exist and cannot be created (${whyNotCreated(dir, err as NodeJS.ErrnoException, me.name)})`,
        "Create it yourself, or choose another directory with --data.",
      );
    }
  }
  const chownHint = `Run Outpost as its owner, or make ${me.name} the owner of everything in it: chown -R ${me.name} ${dir}`;
  for (const entry of [".", ...OWN_ENTRIES]) {
    const owner = statOrNull(join(dir, entry))?.uid;
    if (owner === undefined || owner === me.uid) continue;
    const what = entry === "." ? "it belongs" : `${entry} in it belongs`;
    throw unusable(dir, `${what} to ${userName(owner)}, but Outpost runs as ${me.name}`, `${chownHint}.`);
  }
  try {
    accessSync(dir, constants.R_OK | constants.W_OK | constants.X_OK);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "EROFS")
      throw unusable(
        dir,
        "it is on a read-only filesystem",
        "Choose a directory on a writable disk with --data, or mount the disk read-write.",
      );
    throw unusable(
      dir,
      `${me.name} may not write to it`,
      `Give its owner write access (chmod u+rwx ${dir}), or choose another directory with --data.`,
    );
  }
  for (const file of DATABASE_FILES) {
    const path = join(dir, file);
    if (!existsSync(path)) continue;
    try {
      accessSync(path, constants.R_OK | constants.W_OK);
    } catch {
      throw unusable(
        dir,
        `its database file ${file} is read-only`,
        `Make it writable (chmod u+rw ${path}), or restore the data directory from a backup.`,
      );
    }
  }

  // The directory holds the database (password hashes, TOTP secrets) and the signing key: only this
  // user may enter it, whatever mode an existing one had (mkdir's mode applies only to new ones).
  // The database files and the key make themselves 0600 as they are opened.
  const makePrivate = (path: string, mode: number) => {
    try {
      chmodSync(path, mode);
    } catch (err) {
      log.warn("could not make a data file private; check its owner", { path, mode: mode.toString(8), err });
    }
  };
  // Runs as another user (run_as_user) reach their programs' folders through it: that user's
  // group may pass through, never list it; everything inside stays 0600 or 0700.
  // Only root runs programs as another user.
  const runGroup = runAsUser && me.uid === 0 ? findOsUser(runAsUser)?.gid : undefined;
  if (runGroup === undefined) makePrivate(dir, 0o700);
  else {
    chownSync(dir, me.uid, runGroup);
    makePrivate(dir, 0o710);
  }
  mkdirSync(join(dir, "tmp"), { recursive: true, mode: 0o700 });
  makePrivate(join(dir, "tmp"), 0o700);
  if (existsSync(join(dir, "outpost.toml"))) makePrivate(join(dir, "outpost.toml"), 0o600);
}

/**
 * The DataDirError for an error SQLite raised opening or writing `<dir>/<file>`, when it says
 * something a person can act on (read-only, not a database, damaged); `err` itself otherwise.
 */
export function explainDatabaseError(dir: string, file: string, err: unknown): unknown {
  const code = String((err as { code?: unknown }).code ?? "");
  const path = join(dir, file);
  if (code.startsWith("SQLITE_READONLY"))
    return unusable(
      dir,
      `its database file ${file} is read-only`,
      `Make it writable (chmod u+rw ${path}), or restore the data directory from a backup.`,
    );
  if (code === "SQLITE_NOTADB" || code.startsWith("SQLITE_CORRUPT"))
    return unusable(
      dir,
      `its database file ${file} is damaged or not a database`,
      `Restore the data directory from a backup, or move ${path} away to start afresh.`,
    );
  return err;
}

export interface DataDirLock {
  /** Writes the address the server listens on beside its pid, for a process that is turned away to name. */
  recordAddress(url: string): void;
  /** Lets the next process in; later calls do nothing. */
  release(): void;
}

/** "pid N, at URL" from outpost.pid when it names a live process; null when it names none. Also read by `outpost status`. */
export function describeHolder(pidPath: string): string | null {
  let lines: string[];
  try {
    lines = readFileSync(pidPath, "utf8").split("\n");
  } catch {
    return null;
  }
  const pid = Number(lines[0]);
  if (!Number.isInteger(pid) || pid <= 0) return null;
  try {
    process.kill(pid, 0);
  } catch (err) {
    // EPERM: alive, but another user's. Anything else: the file outlived its writer.
    if ((err as NodeJS.ErrnoException).code !== "EPERM") return null;
  }
  return lines[1] ? `pid ${pid}, at ${lines[1]}` : `pid ${pid}`;
}

/**
 * Writes `text` to `path` for this user only (0600), whole and renamed into place so a reader never
 * sees half of it. For files that only inform (the pid file, the setup link): on a full disk it is
 * skipped.
 */
export function writeNoticeFile(path: string, text: string): void {
  try {
    writeFileSync(`${path}.new`, text, { mode: 0o600 });
    renameSync(`${path}.new`, path);
  } catch (err) {
    rmSync(`${path}.new`, { force: true });
    if (!isNoSpaceError(err)) throw err;
  }
}

/**
 * Takes the data directory's lock, or throws a DataDirError naming the process that holds it (its
 * pid, and its address once it listens). The lock lasts until `release()` or the end of the process.
 */
export function lockDataDir(dir: string): DataDirLock {
  const lockPath = join(dir, "outpost.lock");
  const pidPath = join(dir, "outpost.pid");
  // Kept referenced by the returned lock: a Database that is collected closes, and lets go of the lock.
  let lockDb: Database | null = null;
  try {
    lockDb = new Database(lockPath, { create: true, strict: true });
    chmodSync(lockPath, 0o600);
    lockDb.exec("PRAGMA busy_timeout = 0");
    lockDb.exec("PRAGMA locking_mode = EXCLUSIVE");
    // No journal file: once the table exists, taking the lock rewrites one page in place and needs
    // no new space, so a full disk does not keep the owner's server from starting.
    lockDb.exec("PRAGMA journal_mode = MEMORY");
    // In exclusive locking mode the first write takes the lock and the commit keeps it.
    lockDb.exec("BEGIN EXCLUSIVE");
    lockDb.exec("CREATE TABLE IF NOT EXISTS holder (pid INTEGER NOT NULL)");
    lockDb.exec("DELETE FROM holder");
    lockDb.query("INSERT INTO holder (pid) VALUES (?)").run(process.pid);
    lockDb.exec("COMMIT");
  } catch (err) {
    lockDb?.close();
    if ((err as { code?: string }).code !== "SQLITE_BUSY") throw explainDatabaseError(dir, "outpost.lock", err);
    const holder = describeHolder(pidPath);
    throw unusable(
      dir,
      `another Outpost process (${holder ?? "its pid is not known yet"}) is using it`,
      "Stop that one first, or give this one a directory of its own with --data.",
    );
  }
  const heldDb = lockDb;
  // Only informative: on a full disk it is skipped (the address is written again once listening,
  // after the disk watch has given back the emergency space).
  const writePidFile = (text: string) => writeNoticeFile(pidPath, text);
  writePidFile(`${process.pid}\n`);
  let released = false;
  return {
    recordAddress: (url) => writePidFile(`${process.pid}\n${url}\n`),
    release() {
      if (released) return;
      released = true;
      rmSync(pidPath, { force: true });
      heldDb.close();
    },
  };
}
