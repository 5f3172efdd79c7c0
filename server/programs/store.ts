// The only SQL of programs: prepared statements over the programs table; rows to models.
import type { Database } from "bun:sqlite";
import type { Interpreter } from "./entry-point";

export interface ProgramRow {
  id: string;
  name: string;
  /** Relative to the program's folder; null when none was detected and none chosen. */
  entryPath: string | null;
  interpreter: Interpreter | null;
  sizeBytes: number;
  fileCount: number;
  createdBy: string | null;
  createdAt: Date;
  updatedAt: Date;
}

interface DbProgramRow {
  id: string;
  name: string;
  entry_path: string | null;
  interpreter: string | null;
  size_bytes: number;
  file_count: number;
  created_by: string | null;
  created_at: number;
  updated_at: number;
}

const toProgram = (row: DbProgramRow): ProgramRow => ({
  id: row.id,
  name: row.name,
  entryPath: row.entry_path,
  interpreter: row.interpreter === null ? null : (JSON.parse(row.interpreter) as Interpreter),
  sizeBytes: row.size_bytes,
  fileCount: row.file_count,
  createdBy: row.created_by,
  createdAt: new Date(row.created_at),
  updatedAt: new Date(row.updated_at),
});

export function createProgramsStore(db: Database) {
  const insert = db.query(
    `INSERT INTO programs (id, name, entry_path, interpreter, size_bytes, file_count, created_by, created_at, updated_at)
     VALUES ($id, $name, $entryPath, $interpreter, $sizeBytes, $fileCount, $createdBy, $at, $at)`,
  );
  const byId = db.query<DbProgramRow, [string]>("SELECT * FROM programs WHERE id = ?");
  const page = db.query<DbProgramRow, [number, string, string, number]>(
    "SELECT * FROM programs WHERE (created_at, id) < (?, ?) OR ? = '' ORDER BY created_at DESC, id DESC LIMIT ?",
  );
  const setEntry = db.query("UPDATE programs SET entry_path = ?, interpreter = ?, updated_at = ? WHERE id = ?");
  const rename = db.query("UPDATE programs SET name = ?, updated_at = ? WHERE id = ?");
  const remove = db.query("DELETE FROM programs WHERE id = ?");

  return {
    insert(program: ProgramRow): void {
      insert.run({
        $id: program.id,
        $name: program.name,
        $entryPath: program.entryPath,
        $interpreter: program.interpreter === null ? null : JSON.stringify(program.interpreter),
        $sizeBytes: program.sizeBytes,
        $fileCount: program.fileCount,
        $createdBy: program.createdBy,
        $at: program.createdAt.getTime(),
      });
    },
    get: (id: string): ProgramRow | null => {
      const row = byId.get(id);
      return row ? toProgram(row) : null;
    },
    /** Newest first; `after` is the last row of the previous page. */
    list(first: number, after: { createdAt: number; id: string } | null): ProgramRow[] {
      return page.all(after?.createdAt ?? 0, after?.id ?? "", after ? "x" : "", first).map(toProgram);
    },
    setEntry(id: string, entryPath: string, interpreter: Interpreter, at: Date): void {
      setEntry.run(entryPath, JSON.stringify(interpreter), at.getTime(), id);
    },
    rename(id: string, name: string, at: Date): void {
      rename.run(name, at.getTime(), id);
    },
    remove(id: string): boolean {
      return remove.run(id).changes > 0;
    },
  };
}

export type ProgramsStore = ReturnType<typeof createProgramsStore>;
