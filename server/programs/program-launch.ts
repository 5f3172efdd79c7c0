// What starts a program's entry point: the command line for its interpreter (found on the box, or
// a clear error saying how to install it), the extra environment, and the folder it starts in.
// JavaScript runs on Outpost's own Bun, linked as `bun` first on their PATH.
import { existsSync } from "node:fs";
import { mkdir, symlink } from "node:fs/promises";
import { dirname, isAbsolute, join } from "node:path";
import { InvalidInputError } from "../errors";
import { DEFAULT_PATH } from "../supervisor-environment";
import type { Interpreter } from "./entry-point";
import type { Program, ProgramsService } from "./service";

/** How to install an interpreter a program needs but the box lacks. */
const INSTALL_HINT: Record<string, string> = {
  python3: "install it (Debian, Ubuntu, Raspberry Pi OS: sudo apt install python3)",
  bash: "install it (sudo apt install bash)",
};

/** The program that runs `interpreter`, or a clear error naming it and how to install it. */
function requireInstalled(program: string): string {
  if (isAbsolute(program)) {
    if (existsSync(program)) return program;
  } else {
    const found = Bun.which(program, { PATH: DEFAULT_PATH });
    if (found) return found;
  }
  const hint = INSTALL_HINT[program.split("/").at(-1) ?? ""] ?? "install it, or choose another entry point";
  throw new InvalidInputError(`This program needs ${program}, which is not installed on this box; ${hint}.`);
}

export interface ProgramLaunch {
  program: Program;
  command: string[];
  env: Record<string, string>;
  cwd: string;
}

/** Starts of programs' entry points; links Outpost's Bun into `bunBinDir` before the first. */
export function createProgramLauncher({
  programs,
  bunBinDir,
  bunPath,
}: {
  programs: Pick<ProgramsService, "require">;
  /** Holds `bun`, a link to Outpost's own Bun, first on the PATH of JavaScript runs (package.json scripts call `bun`). */
  bunBinDir: string;
  /** The Bun executable that runs JavaScript and TypeScript (Outpost's own binary, as `bun`). */
  bunPath: string;
}) {
  /** The command line and extra environment that start a program's entry point. */
  const commandOf = (program: Program, entry: string, interpreter: Interpreter): { command: string[]; env: Record<string, string> } => {
    const path = join(program.folder, entry);
    const asBun = { BUN_BE_BUN: "1", PATH: `${bunBinDir}:${DEFAULT_PATH}` };
    switch (interpreter.kind) {
      case "shebang": {
        const [first = "", ...rest] = interpreter.command;
        // `#!/usr/bin/env bun` must work on a box without Bun: Outpost's own stands in.
        if (first.endsWith("/env") && rest[0] === "bun") return { command: [bunPath, ...rest.slice(1), path], env: asBun };
        return { command: [requireInstalled(first), ...rest, path], env: {} };
      }
      case "bun":
        return { command: [bunPath, path], env: asBun };
      case "bun-start":
        return { command: [bunPath, "run", "start"], env: asBun };
      case "direct":
        return { command: [path], env: {} };
      default:
        return { command: [requireInstalled(interpreter.kind), path], env: {} };
    }
  };

  const linkBun = async () => {
    const link = join(bunBinDir, "bun");
    if (existsSync(link)) return;
    await mkdir(bunBinDir, { recursive: true, mode: 0o700 });
    await symlink(bunPath, link).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== "EEXIST") throw err;
    });
  };

  return {
    /**
     * What starts a program's entry point: its command line, extra environment and folder.
     * Throws NotFoundError for no such program, InvalidInputError when it has no entry point or
     * its interpreter is not installed.
     */
    async launchOf(programId: string): Promise<ProgramLaunch> {
      await linkBun();
      const program = programs.require(programId);
      if (!program.entryPath || !program.interpreter) throw new InvalidInputError("The program has no entry point; choose one first.");
      const started = commandOf(program, program.entryPath, program.interpreter);
      return { program, ...started, cwd: dirname(join(program.folder, program.entryPath)) };
    },
  };
}
