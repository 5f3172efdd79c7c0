// Runs across the upgrade that keeps who started them by name: runs recorded before take their
// user's name from the users table; those of a user already deleted keep only the id.
import { afterEach, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { authMigrations } from "../../server/auth/migrations";
import { openDatabase } from "../../server/db";
import { programsMigrations } from "../../server/programs/migrations";
import { createRunStore } from "../../server/programs/run-store";

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

test("an upgrade names the starters of runs recorded before, where the user still exists", () => {
  const dir = mkdtempSync(join(tmpdir(), "outpost-runs-upgrade-"));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, "outpost.db");
  const withoutNames = programsMigrations.filter((m) => m.id !== "programs-003-run-started-by-name");
  const before = openDatabase(path, [...authMigrations, ...withoutNames]);
  before
    .query("INSERT INTO users (id, username, password_hash, role, created_at, updated_at) VALUES ('u1', 'grace', 'x', 'operator', 0, 0)")
    .run();
  const insert = before.query(
    "INSERT INTO runs (id, command, args, started_by, status, timeout_ms, created_at) VALUES (?, 'true', '[]', ?, 'SUCCEEDED', 1000, 0)",
  );
  insert.run("by-grace", "u1");
  insert.run("by-someone-deleted", "gone");
  insert.run("by-nobody", null);
  before.close();

  const db = openDatabase(path, [...authMigrations, ...programsMigrations]);
  cleanups.push(() => db.close());
  const runs = createRunStore(db);
  expect(runs.get("by-grace")).toMatchObject({ startedBy: "u1", startedByName: "grace" });
  expect(runs.get("by-someone-deleted")).toMatchObject({ startedBy: "gone", startedByName: null });
  expect(runs.get("by-nobody")).toMatchObject({ startedBy: null, startedByName: null });
});

test("an upgrade tells commands from program runs recorded before: one in a program's folder stays hidden from those who may not exec", () => {
  const dir = mkdtempSync(join(tmpdir(), "outpost-runs-upgrade-"));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, "outpost.db");
  const withoutKinds = programsMigrations.filter((m) => m.id !== "programs-004-run-kind");
  const before = openDatabase(path, [...authMigrations, ...withoutKinds]);
  const insert = before.query(
    "INSERT INTO runs (id, program_id, command, args, status, timeout_ms, created_at) VALUES (?, ?, ?, ?, 'SUCCEEDED', 1000, 0)",
  );
  insert.run("python-entry", "p1", "/usr/bin/python3 /var/lib/outpost/programs/p1/main.py", "[]");
  insert.run("with-arguments", "p1", "/usr/bin/python3 /var/lib/outpost/programs/p1/main.py --fast", '["--fast"]');
  insert.run("bun-start-script", "p1", "/usr/local/bin/outpost run start", "[]");
  insert.run("command-in-folder", "p1", "cat secrets.txt", "[]");
  insert.run("absolute-command-in-folder", "p1", "/usr/bin/env cat secrets.txt", "[]");
  insert.run("command-elsewhere", null, "uptime", "[]");
  before.close();

  const db = openDatabase(path, [...authMigrations, ...programsMigrations]);
  cleanups.push(() => db.close());
  const runs = createRunStore(db);
  const kinds = Object.fromEntries(
    ["python-entry", "with-arguments", "bun-start-script", "command-in-folder", "absolute-command-in-folder", "command-elsewhere"].map(
      (id) => [id, runs.get(id)?.kind],
    ),
  );
  expect(kinds).toEqual({
    "python-entry": "PROGRAM",
    "with-arguments": "PROGRAM",
    "bun-start-script": "PROGRAM",
    "command-in-folder": "COMMAND",
    "absolute-command-in-folder": "COMMAND",
    "command-elsewhere": "COMMAND",
  });
  const listed = runs.list({ programId: "p1", status: null, withCommands: false, after: null, first: 10 }).map((r) => r.id);
  expect(listed.sort()).toEqual(["bun-start-script", "python-entry", "with-arguments"]);
  expect(runs.programStats("p1").count).toBe(3);
});
