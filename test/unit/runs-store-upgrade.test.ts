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

test("an upgrade tells commands from program runs recorded before: when unsure, a run counts as a command, hidden from those who may not exec", () => {
  const dir = mkdtempSync(join(tmpdir(), "outpost-runs-upgrade-"));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, "outpost.db");
  const withoutKinds = programsMigrations.filter((m) => m.id !== "programs-004-run-kind");
  const before = openDatabase(path, [...authMigrations, ...withoutKinds]);
  before
    .query(
      "INSERT INTO programs (id, name, entry_path, size_bytes, file_count, created_at, updated_at) VALUES ('p1', 'tool', 'main.py', 1, 1, 0, 0)",
    )
    .run();
  const insert = before.query(
    "INSERT INTO runs (id, program_id, command, args, status, timeout_ms, created_at) VALUES (?, ?, ?, ?, 'SUCCEEDED', 1000, 0)",
  );
  const rows: [string, string | null, string, string, "PROGRAM" | "COMMAND"][] = [
    ["python-entry", "p1", "/usr/bin/python3 /var/lib/outpost/programs/p1/main.py", "[]", "PROGRAM"],
    ["with-arguments", "p1", "/usr/bin/python3 /var/lib/outpost/programs/p1/main.py --fast", '["--fast"]', "PROGRAM"],
    ["bun-start-script", "p1", "/usr/local/bin/outpost run start", "[]", "PROGRAM"],
    ["command-in-folder", "p1", "cat secrets.txt", "[]", "COMMAND"],
    ["absolute-command-in-folder", "p1", "/usr/bin/env cat secrets.txt", "[]", "COMMAND"],
    ["reads-the-folder", "p1", "/bin/cat /var/lib/outpost/programs/p1/.env", "[]", "COMMAND"],
    ["shell-syntax-then-entry", "p1", "/bin/true; /usr/bin/python3 /var/lib/outpost/programs/p1/main.py", "[]", "COMMAND"],
    ["npm-start", "p1", "DB_PASSWORD=hunter2 npm run start", "[]", "COMMAND"],
    ["chained-start", "p1", "/bin/cp ~/secrets.json ./ && /usr/local/bin/bun run start", "[]", "COMMAND"],
    ["command-elsewhere", null, "uptime", "[]", "COMMAND"],
  ];
  for (const [id, programId, command, args] of rows) insert.run(id, programId, command, args);
  before.close();

  const db = openDatabase(path, [...authMigrations, ...programsMigrations]);
  cleanups.push(() => db.close());
  const runs = createRunStore(db);
  expect(rows.map(([id]) => [id, runs.get(id)?.kind])).toEqual(rows.map(([id, , , , kind]) => [id, kind]));
  const listed = runs.list({ programId: "p1", status: null, withCommands: false, after: null, first: 20 }).map((r) => r.id);
  expect(listed.sort()).toEqual(["bun-start-script", "python-entry", "with-arguments"]);
  expect(runs.programStats("p1").count).toBe(3);
});
