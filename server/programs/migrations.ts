// Tables of programs and their runs. A program's files live under <data>/programs/<id>/; a run's
// kept output under <data>/runs/<id>.out; only metadata is here.
import type { Migration } from "../db";

export const programsMigrations: Migration[] = [
  {
    id: "programs-001-programs",
    sql: `
      CREATE TABLE programs (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        entry_path TEXT,
        interpreter TEXT,
        size_bytes INTEGER NOT NULL,
        file_count INTEGER NOT NULL,
        created_by TEXT,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
      );
      CREATE INDEX programs_created_at ON programs (created_at);
    `,
  },
  {
    // One row per run of a program or shell command. Its output is not here: what is kept of it
    // (head and tail, the cut marked) is written to <data>/runs/<id>.out when it ends.
    id: "programs-002-runs",
    sql: `
      CREATE TABLE runs (
        id TEXT PRIMARY KEY,
        program_id TEXT,
        program_name TEXT,
        command TEXT NOT NULL,
        args TEXT NOT NULL,
        started_by TEXT,
        status TEXT NOT NULL,
        exit_code INTEGER,
        signal TEXT,
        error TEXT,
        timeout_ms INTEGER NOT NULL,
        created_at INTEGER NOT NULL,
        started_at INTEGER,
        finished_at INTEGER,
        stdout_bytes INTEGER NOT NULL DEFAULT 0,
        stderr_bytes INTEGER NOT NULL DEFAULT 0,
        dropped_bytes INTEGER NOT NULL DEFAULT 0
      );
      CREATE INDEX runs_created_at ON runs (created_at, id);
      CREATE INDEX runs_program ON runs (program_id, created_at);
      CREATE INDEX runs_status ON runs (status) WHERE status IN ('QUEUED', 'RUNNING');
    `,
  },
  {
    // Who started a run, by name as well as id: the name stays when the user is deleted. Runs
    // recorded before take their user's name now (null when that user is already gone).
    id: "programs-003-run-started-by-name",
    sql: `
      ALTER TABLE runs ADD COLUMN started_by_name TEXT;
      UPDATE runs SET started_by_name = (SELECT username FROM users WHERE users.id = runs.started_by) WHERE started_by IS NOT NULL;
    `,
  },
  {
    // What a run is, a program's entry point or a shell command (exec), said outright: a command
    // run in a program's folder has the program's id too, and must still show only to those who
    // may exec. Runs recorded before are commands (hidden when unsure) unless they had arguments
    // (exec has none) or their start line has the exact shape of a program's: an absolute path,
    // no shell syntax, ending in the program's folder and its entry, or \`<bun> run start\`.
    id: "programs-004-run-kind",
    sql: `
      ALTER TABLE runs ADD COLUMN kind TEXT NOT NULL DEFAULT 'COMMAND';
      UPDATE runs SET kind = 'PROGRAM'
        WHERE program_id IS NOT NULL
          AND (args != '[]'
            OR (command GLOB '/*' AND command NOT GLOB '*[;&|$<>()*?"''\\]*' AND command NOT GLOB '*[\`]*'
              AND (command LIKE '%/programs/' || program_id || '/' || (SELECT entry_path FROM programs WHERE programs.id = runs.program_id)
                OR (command LIKE '% run start' AND length(command) - length(replace(command, ' ', '')) = 2))));
    `,
  },
];
