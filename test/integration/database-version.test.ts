// Versions meeting one database: a database a newer Outpost wrote (its recorded version ahead of
// this one, or a migration this one does not know) refuses to start with one sentence naming both
// versions and what to do, and is left untouched; the first start of a newer version copies the
// database to <data>/backups/outpost-before-<version>.db first, keeping the last few copies; rolling
// back an upgrade sets aside what the new version wrote and puts that copy back.
import { Database } from "bun:sqlite";
import { afterEach, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { createApp } from "../../server/app";
import { loadConfig } from "../../server/config";
import { KEPT_UPGRADE_BACKUPS, rollBackDatabase } from "../../server/database-version";
import { StartupError } from "../../server/errors";
import { createLogger } from "../../server/log";
import { VERSION } from "../../server/version";
import { ADMIN_PASSWORD } from "../harness/app";

const CHECKOUT = resolve(import.meta.dir, "../..");
const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A data directory an Outpost of this version has used: the admin exists, the server has stopped. */
async function usedDataDir(): Promise<string> {
  const dataDir = mkdtempSync(join(tmpdir(), "outpost-dbversion-"));
  dirs.push(dataDir);
  const app = await startApp(dataDir);
  await app.stop();
  return dataDir;
}

function startApp(dataDir: string) {
  const config = loadConfig({ flags: { data: dataDir, port: "0", host: "127.0.0.1" }, env: {} });
  return createApp({ ...config, adminPassword: ADMIN_PASSWORD }, { log: createLogger({ write: () => {} }), announce: () => {} });
}

/** Changes the database of `dataDir` as another Outpost would have left it. */
function writeIntoDatabase(dataDir: string, sql: string) {
  const db = new Database(join(dataDir, "outpost.db"));
  db.exec(sql);
  db.close();
}

function recordedVersion(path: string): string | null {
  const db = new Database(path, { readonly: true });
  try {
    return db.query<{ version: string }, []>("SELECT version FROM outpost_version").get()?.version ?? null;
  } finally {
    db.close();
  }
}

/** `outpost serve` on `dataDir` as a person runs it; the exit code and what it said on stderr. */
async function serve(dataDir: string) {
  const proc = Bun.spawn([process.execPath, "server/main.ts", "serve", "--data", dataDir, "--port", "0", "--host", "127.0.0.1"], {
    cwd: CHECKOUT,
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin" },
    stdout: "ignore",
    stderr: "pipe",
  });
  const [stderr, exitCode] = await Promise.all([new Response(proc.stderr).text(), proc.exited]);
  return { stderr, exitCode };
}

describe("a database written by a newer Outpost", () => {
  test("refuses to start with one sentence naming both versions and what to do, and is left as it was", async () => {
    const dataDir = await usedDataDir();
    writeIntoDatabase(dataDir, "UPDATE outpost_version SET version = '99.1.0'");
    // The copy the newer version made before its first start, which the sentence points to.
    mkdirSync(join(dataDir, "backups"));
    writeFileSync(join(dataDir, "backups/outpost-before-99.1.0.db"), "");
    const before = readFileSync(join(dataDir, "outpost.db"));

    const { stderr, exitCode } = await serve(dataDir);
    const db = join(dataDir, "outpost.db");
    expect(stderr).toBe(
      `outpost: The database ${db} was written by Outpost 99.1.0, which this Outpost ${VERSION} cannot use: run Outpost 99.1.0 or newer, or restore the copy made before that upgrade by moving ${join(dataDir, "backups/outpost-before-99.1.0.db")} to ${db}.\n`,
    );
    expect(exitCode).toBe(1);
    expect(readFileSync(join(dataDir, "outpost.db"))).toEqual(before);
    expect(recordedVersion(db)).toBe("99.1.0");
  }, 30_000);

  test("with a migration this version does not know, refuses in the same way", async () => {
    const dataDir = await usedDataDir();
    writeIntoDatabase(dataDir, "INSERT INTO schema_migrations (id, applied_at) VALUES ('gadgets-001-tables', 0)");
    await expect(startApp(dataDir)).rejects.toThrow(
      new StartupError(
        `The database ${join(dataDir, "outpost.db")} was written by a newer Outpost (it has changes this one does not know, such as gadgets-001-tables), which this Outpost ${VERSION} cannot use: run that version or newer.`,
      ),
    );
    // Refused before the server took anything: the data directory is free for the right version.
    expect(existsSync(join(dataDir, "outpost.pid"))).toBe(false);
  });
});

describe("the first start of a newer version", () => {
  test("copies the database first, once, readable by this user only, and records its version", async () => {
    const dataDir = await usedDataDir();
    expect(existsSync(join(dataDir, "backups"))).toBe(false);
    writeIntoDatabase(dataDir, "UPDATE outpost_version SET version = '0.0.1'");

    const app = await startApp(dataDir);
    await app.stop();
    const copy = join(dataDir, `backups/outpost-before-${VERSION}.db`);
    expect((statSync(copy).mode & 0o777).toString(8)).toBe("600");
    // The copy is the database as the older version left it, users and all.
    expect(recordedVersion(copy)).toBe("0.0.1");
    const users = new Database(copy, { readonly: true });
    expect(users.query<{ username: string }, []>("SELECT username FROM users").all()).toEqual([{ username: "admin" }]);
    users.close();
    expect(recordedVersion(join(dataDir, "outpost.db"))).toBe(VERSION);

    const copiedAt = statSync(copy).mtimeMs;
    const again = await startApp(dataDir);
    await again.stop();
    expect(statSync(copy).mtimeMs).toBe(copiedAt);
    expect(readdirSync(join(dataDir, "backups"))).toEqual([`outpost-before-${VERSION}.db`]);
  });

  test("copies a database from before versions were recorded", async () => {
    const dataDir = await usedDataDir();
    writeIntoDatabase(dataDir, "DROP TABLE outpost_version");
    const app = await startApp(dataDir);
    await app.stop();
    expect(existsSync(join(dataDir, `backups/outpost-before-${VERSION}.db`))).toBe(true);
  });

  test(`keeps the newest ${KEPT_UPGRADE_BACKUPS} copies`, async () => {
    const dataDir = await usedDataDir();
    writeIntoDatabase(dataDir, "UPDATE outpost_version SET version = '0.0.4'");
    mkdirSync(join(dataDir, "backups"));
    const older = ["0.0.1", "0.0.2", "0.0.3", "0.0.4"];
    older.forEach((version, i) => {
      const path = join(dataDir, `backups/outpost-before-${version}.db`);
      writeFileSync(path, "");
      utimesSync(path, 1_000_000 + i, 1_000_000 + i);
    });
    // Not a pre-upgrade copy: left alone.
    writeFileSync(join(dataDir, "backups/nightly.tar"), "");

    const app = await startApp(dataDir);
    await app.stop();
    expect(readdirSync(join(dataDir, "backups")).sort()).toEqual(
      ["nightly.tar", "outpost-before-0.0.3.db", "outpost-before-0.0.4.db", `outpost-before-${VERSION}.db`].sort(),
    );
  });

  test("a new data directory needs no copy", async () => {
    const dataDir = await usedDataDir();
    expect(existsSync(join(dataDir, "backups"))).toBe(false);
    expect(recordedVersion(join(dataDir, "outpost.db"))).toBe(VERSION);
  });
});

describe("rolling back an upgrade", () => {
  /** A data directory an Outpost 0.0.1 used, then this version started on (copying it first) and left; when this version began. */
  async function upgradedDataDir() {
    const dataDir = await usedDataDir();
    writeIntoDatabase(dataDir, "UPDATE outpost_version SET version = '0.0.1'");
    const upgradeStartedMs = Date.now();
    const app = await startApp(dataDir);
    await app.stop();
    return { dataDir, db: join(dataDir, "outpost.db"), backupsDir: join(dataDir, "backups"), upgradeStartedMs };
  }

  test("sets aside the database the new version wrote, its log merged even when that server was killed, and puts the copy back", async () => {
    const { dataDir, db, backupsDir, upgradeStartedMs } = await upgradedDataDir();
    // A server killed mid-work leaves a write-ahead log its database file does not hold yet.
    const killed = Bun.spawn(
      [
        process.execPath,
        "-e",
        `const db = new (require("bun:sqlite").Database)(${JSON.stringify(db)}); db.exec("PRAGMA wal_autocheckpoint = 0; CREATE TABLE written_after (x)"); process.kill(process.pid, "SIGKILL");`,
      ],
      { stdout: "ignore", stderr: "ignore" },
    );
    expect(await killed.exited).not.toBe(0);
    expect(statSync(`${db}-wal`).size).toBeGreaterThan(0);

    const rollback = rollBackDatabase(db, { version: VERSION, backupsDir }, upgradeStartedMs, new Date("2026-12-02T08:30:15.123Z"));
    const setAside = join(backupsDir, `outpost-failed-${VERSION}-2026-12-02T08-30-15Z.db`);
    expect(rollback).toEqual({ done: "restored", copy: join(backupsDir, `outpost-before-${VERSION}.db`), setAside });
    // The database is the copy again, alone, and the older version accepts it.
    expect(recordedVersion(db)).toBe("0.0.1");
    expect(readdirSync(dataDir).filter((name) => name.startsWith("outpost.db"))).toEqual(["outpost.db"]);
    expect(readdirSync(backupsDir)).toEqual([`outpost-failed-${VERSION}-2026-12-02T08-30-15Z.db`]);
    // What the new version wrote is whole in the set-aside file.
    expect(recordedVersion(setAside)).toBe(VERSION);
    const failed = new Database(setAside, { readonly: true });
    expect(failed.query("SELECT name FROM sqlite_master WHERE name = 'written_after'").get()).toEqual({ name: "written_after" });
    failed.close();
  }, 30_000);

  test("leaves the database as it is when its copy is from an earlier upgrade to the same version", async () => {
    const { db, backupsDir } = await upgradedDataDir();
    const before = readFileSync(db);
    // This upgrade began after the copy was made: restoring it would lose everything since.
    const rollback = rollBackDatabase(db, { version: VERSION, backupsDir }, Date.now() + 5_000);
    expect(rollback).toEqual({ done: "left", copy: join(backupsDir, `outpost-before-${VERSION}.db`) });
    expect(readFileSync(db)).toEqual(before);
    expect(readdirSync(backupsDir)).toEqual([`outpost-before-${VERSION}.db`]);
  });

  test("does nothing when the new version never recorded itself", async () => {
    const { db, backupsDir, upgradeStartedMs } = await upgradedDataDir();
    writeIntoDatabase(join(db, ".."), "UPDATE outpost_version SET version = '0.0.1'");
    expect(rollBackDatabase(db, { version: VERSION, backupsDir }, upgradeStartedMs)).toEqual({ done: "nothing" });
    expect(recordedVersion(db)).toBe("0.0.1");
    expect(readdirSync(backupsDir)).toEqual([`outpost-before-${VERSION}.db`]);
  });
});
