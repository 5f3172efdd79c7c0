// What a terminal session starts with, checked before anything runs: its size, the command or
// program, the directory, the shell (the login shell of the account it runs as) and the notice a
// session gets when it stays silent after starting. The sessions themselves live in ./service.
import { existsSync, statSync } from "node:fs";
import { homedir } from "node:os";
import { isAbsolute } from "node:path";
import { InvalidInputError } from "../errors";
import { findOsUser, findOsUserById, isUsableShell } from "../os-users";

export interface OpenTerminalInput {
  cols: number;
  rows: number;
  /** A command line run by the shell; the shell itself (as a login shell) when absent. */
  command?: string | null;
  /** An absolute path to an existing directory; the home directory when absent. */
  cwd?: string | null;
  /** A program whose entry point runs (in its folder) instead of a shell; not with command or cwd. */
  programId?: string | null;
}

/** How a program's entry point starts, as the programs feature resolves it. */
export interface ProgramLaunch {
  programName: string;
  command: string[];
  env: Record<string, string>;
  cwd: string;
}

const MAX_COLS = 1000;
const MAX_ROWS = 500;
const MAX_COMMAND_BYTES = 4096;
const MAX_CWD_BYTES = 4096;

const byteLength = (text: string) => Buffer.byteLength(text, "utf8");

/** InvalidInputError unless cols × rows is a size a terminal may have. */
export function checkTerminalSize(cols: number, rows: number): void {
  if (!Number.isInteger(cols) || cols < 1 || cols > MAX_COLS) throw new InvalidInputError(`cols must be 1 to ${MAX_COLS}.`);
  if (!Number.isInteger(rows) || rows < 1 || rows > MAX_ROWS) throw new InvalidInputError(`rows must be 1 to ${MAX_ROWS}.`);
}

/** InvalidInputError for a bad size, command or directory, or a program given with a command or directory. */
export function checkOpenInput({ cols, rows, command, cwd, programId }: OpenTerminalInput): void {
  checkTerminalSize(cols, rows);
  if (command != null && (command.trim() === "" || byteLength(command) > MAX_COMMAND_BYTES))
    throw new InvalidInputError(`command must be 1 to ${MAX_COMMAND_BYTES} bytes.`);
  if (programId != null && (command != null || cwd != null))
    throw new InvalidInputError("A program runs its entry point in its own folder: give programId without command or cwd.");
  if (cwd != null) {
    if (byteLength(cwd) > MAX_CWD_BYTES || !isAbsolute(cwd)) throw new InvalidInputError("cwd must be an absolute path.");
    if (!statSync(cwd, { throwIfNoEntry: false })?.isDirectory()) throw new InvalidInputError("cwd is not a directory.");
  }
}

/**
 * What a session silent since it started is shown, marked as Outpost's own (yellow, "[outpost]") so
 * nobody takes it for the program's: a login shell whose profile waits or hangs prints nothing.
 */
export const startNoticeText = (seconds: number) =>
  `\x1b[33m[outpost] Nothing has come from this terminal ${seconds} s after it started. If it runs a login shell, its profile may be waiting or stuck: close this terminal and open one with the command \`bash --noprofile --norc -i\` (or fix the profile).\x1b[0m\r\n`;

/**
 * The login shell of the account sessions run as (as `login` would pick it), else `$SHELL`, else
 * bash or sh. The installed service's account has nologin, which systemd also puts in `$SHELL`:
 * a terminal there still gets a shell, as that account, with the unit's limits.
 */
export function loginShellOf(runAsUser: string | null): string {
  const account = runAsUser ? findOsUser(runAsUser) : findOsUserById(process.getuid?.() ?? -1);
  if (account?.shell) return account.shell;
  if (isUsableShell(process.env.SHELL)) return process.env.SHELL;
  return existsSync("/bin/bash") ? "/bin/bash" : "/bin/sh";
}

/** Where a shell starts by default: the home of the user it runs as, or / when that has none. */
export function homeOf(runAsUser: string | null): string {
  if (!runAsUser) return homedir();
  const home = findOsUser(runAsUser)?.home;
  return home && existsSync(home) ? home : "/";
}
