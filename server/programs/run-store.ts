// The only SQL of runs: prepared statements over the runs table; rows to models.
import type { Database } from "bun:sqlite";

export const RUN_STATUSES = ["QUEUED", "RUNNING", "SUCCEEDED", "FAILED", "CANCELLED", "TIMED_OUT", "LOST"] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

export const RUN_KINDS = ["PROGRAM", "COMMAND"] as const;
/** A program's entry point, or a shell command (exec). */
export type RunKind = (typeof RUN_KINDS)[number];

export interface Run {
  id: string;
  kind: RunKind;
  /** The program run, or in whose folder a command ran; null for a command run elsewhere. */
  programId: string | null;
  /** The program's name when it started, kept after the program is deleted. */
  programName: string | null;
  /** What was started, as a person would read it. */
  command: string;
  args: string[];
  /** The id of the user who started it. */
  startedBy: string | null;
  /** Their username when it started, kept after the user is deleted. */
  startedByName: string | null;
  status: RunStatus;
  exitCode: number | null;
  signal: string | null;
  /** Why it could not start, when it could not. */
  error: string | null;
  timeoutMs: number;
  createdAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
  stdoutBytes: number;
  stderrBytes: number;
  /** Output bytes not kept (between the kept head and tail). */
  droppedBytes: number;
}

interface DbRunRow {
  id: string;
  kind: RunKind;
  program_id: string | null;
  program_name: string | null;
  command: string;
  args: string;
  started_by: string | null;
  started_by_name: string | null;
  status: RunStatus;
  exit_code: number | null;
  signal: string | null;
  error: string | null;
  timeout_ms: number;
  created_at: number;
  started_at: number | null;
  finished_at: number | null;
  stdout_bytes: number;
  stderr_bytes: number;
  dropped_bytes: number;
}

const date = (ms: number | null) => (ms === null ? null : new Date(ms));
const toRun = (row: DbRunRow): Run => ({
  id: row.id,
  kind: row.kind,
  programId: row.program_id,
  programName: row.program_name,
  command: row.command,
  args: JSON.parse(row.args) as string[],
  startedBy: row.started_by,
  startedByName: row.started_by_name,
  status: row.status,
  exitCode: row.exit_code,
  signal: row.signal,
  error: row.error,
  timeoutMs: row.timeout_ms,
  createdAt: new Date(row.created_at),
  startedAt: date(row.started_at),
  finishedAt: date(row.finished_at),
  stdoutBytes: row.stdout_bytes,
  stderrBytes: row.stderr_bytes,
  droppedBytes: row.dropped_bytes,
});

export interface RunFilter {
  programId: string | null;
  status: RunStatus | null;
  /** Whether shell commands (exec) are listed too: only to those who may run them. */
  withCommands: boolean;
  after: { createdAt: number; id: string } | null;
  first: number;
}

export function createRunStore(db: Database) {
  const insert = db.query(
    `INSERT INTO runs (id, kind, program_id, program_name, command, args, started_by, started_by_name, status, timeout_ms, created_at)
     VALUES ($id, $kind, $programId, $programName, $command, $args, $startedBy, $startedByName, $status, $timeoutMs, $createdAt)`,
  );
  const byId = db.query<DbRunRow, [string]>("SELECT * FROM runs WHERE id = ?");
  const page = db.query<DbRunRow, Record<string, string | number | null>>(
    `SELECT * FROM runs
     WHERE ($programId IS NULL OR program_id = $programId) AND ($status IS NULL OR status = $status)
       AND ($withCommands = 1 OR kind = 'PROGRAM')
       AND ($afterId IS NULL OR (created_at, id) < ($afterAt, $afterId))
     ORDER BY created_at DESC, id DESC LIMIT $limit`,
  );
  const started = db.query("UPDATE runs SET status = 'RUNNING', started_at = ? WHERE id = ?");
  const finished = db.query(
    `UPDATE runs SET status = $status, exit_code = $exitCode, signal = $signal, error = $error, finished_at = $finishedAt,
       stdout_bytes = $stdoutBytes, stderr_bytes = $stderrBytes, dropped_bytes = $droppedBytes WHERE id = $id`,
  );
  const markLost = db.query("UPDATE runs SET status = 'LOST', finished_at = ? WHERE status IN ('QUEUED', 'RUNNING')");
  // Runs of the program itself: a command run in its folder is not one (and shows only to those who may exec).
  const stats = db.query<{ count: number; last: string | null }, [string]>(
    `SELECT COUNT(*) AS count,
       (SELECT id FROM runs WHERE program_id = ?1 AND kind = 'PROGRAM' ORDER BY created_at DESC, id DESC LIMIT 1) AS last
     FROM runs WHERE program_id = ?1 AND kind = 'PROGRAM'`,
  );
  // The count is of finished runs: one queued or running takes no place among those kept.
  const expired = db.query<{ id: string }, [number, number]>(
    `SELECT id FROM runs WHERE status NOT IN ('QUEUED', 'RUNNING')
       AND (created_at < ? OR id NOT IN (SELECT id FROM runs WHERE status NOT IN ('QUEUED', 'RUNNING')
                                           ORDER BY created_at DESC, id DESC LIMIT ?))`,
  );
  const remove = db.query("DELETE FROM runs WHERE id = ?");

  return {
    insert(run: Run): void {
      insert.run({
        $id: run.id,
        $kind: run.kind,
        $programId: run.programId,
        $programName: run.programName,
        $command: run.command,
        $args: JSON.stringify(run.args),
        $startedBy: run.startedBy,
        $startedByName: run.startedByName,
        $status: run.status,
        $timeoutMs: run.timeoutMs,
        $createdAt: run.createdAt.getTime(),
      });
    },
    get(id: string): Run | null {
      const row = byId.get(id);
      return row ? toRun(row) : null;
    },
    list({ programId, status, withCommands, after, first }: RunFilter): Run[] {
      return page
        .all({
          $programId: programId,
          $status: status,
          $withCommands: withCommands ? 1 : 0,
          $afterId: after?.id ?? null,
          $afterAt: after?.createdAt ?? 0,
          $limit: first,
        })
        .map(toRun);
    },
    started(id: string, at: number): void {
      started.run(at, id);
    },
    finished(
      run: Pick<Run, "id" | "status" | "exitCode" | "signal" | "error" | "stdoutBytes" | "stderrBytes" | "droppedBytes">,
      at: number,
    ) {
      finished.run({
        $id: run.id,
        $status: run.status,
        $exitCode: run.exitCode,
        $signal: run.signal,
        $error: run.error,
        $finishedAt: at,
        $stdoutBytes: run.stdoutBytes,
        $stderrBytes: run.stderrBytes,
        $droppedBytes: run.droppedBytes,
      });
    },
    /** Runs a previous server left queued or running; returns how many. */
    markLost: (at: number): number => markLost.run(at).changes,
    programStats(programId: string): { count: number; lastRunId: string | null } {
      const row = stats.get(programId);
      return { count: row?.count ?? 0, lastRunId: row?.last ?? null };
    },
    /** Finished runs older than `before` or beyond the newest `keep`. */
    expired: (before: number, keep: number): string[] => expired.all(before, keep).map((r) => r.id),
    remove(id: string): void {
      remove.run(id);
    },
  };
}

export type RunStore = ReturnType<typeof createRunStore>;
