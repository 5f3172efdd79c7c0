// Carries out an install or uninstall plan (plan.ts), or describes it for `--dry-run`. Every path
// of the plan is taken under `root`, which is "/" except in tests (see command.ts). A step that
// finds things already as the plan wants them changes nothing, so running a plan twice is harmless.

import {
  chmodSync,
  chownSync,
  closeSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  readSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { dirname, join } from "node:path";
import { StartupError } from "../errors";
import type { InstallStep } from "./plan";

function octal(mode: number): string {
  return `0${mode.toString(8)}`;
}

function indented(text: string): string {
  return text
    .trimEnd()
    .split("\n")
    .map((line) => `    ${line}`)
    .join("\n");
}

/** What `step` would do, with the full text of a file it writes. */
function describeStep(step: InstallStep, executable: string): string {
  switch (step.kind) {
    case "user":
      return `run (unless user ${step.name} exists): ${step.command.join(" ")}`;
    case "directory":
      return `run: install -d -m ${octal(step.mode)} -o ${step.owner} ${step.path}`;
    case "binary":
      return `copy ${executable} to ${step.path} (mode ${octal(step.mode)})`;
    case "file":
      return `write ${step.path} (mode ${octal(step.mode)}, owner ${step.owner}${step.group ? `, group ${step.group}` : ""}; ${step.comment}):\n${indented(step.contents)}`;
    case "remove":
      return `remove ${step.path}${step.recursive ? " and everything in it" : ""}`;
    case "command":
      return `run: ${step.command.join(" ")}`;
  }
}

/** What `steps` would do, one paragraph per step, with the full text of every file written (for `--dry-run`). */
export function describePlan(steps: readonly InstallStep[], executable: string): string {
  return steps.map((step) => describeStep(step, executable)).join("\n");
}

export interface RunOptions {
  /** The directory every path of the plan is under: "/" for a real install. */
  root: string;
  /** The file a "binary" step copies: the running executable. */
  executable: string;
  /** Why commands are not run (no systemd, a test root), or null to run them. */
  skipCommandsBecause: string | null;
  /** Receives one line per step, saying what was done. */
  report: (line: string) => void;
}

/** The uid and gid of `name` from `<root>/etc/passwd`, or null when there is no such user. */
function lookUpUser(root: string, name: string): { uid: number; gid: number } | null {
  const passwd = join(root, "etc/passwd");
  if (!existsSync(passwd)) return null;
  for (const line of readFileSync(passwd, "utf8").split("\n")) {
    const [user, , uid, gid] = line.split(":");
    if (user === name) return { uid: Number(uid), gid: Number(gid) };
  }
  return null;
}

function owner(root: string, name: string): { uid: number; gid: number } {
  const found = lookUpUser(root, name);
  if (!found) throw new StartupError(`User ${name} does not exist, so nothing can be given to it.`);
  return found;
}

/** Whether files `a` and `b` hold the same bytes, read in chunks (a binary is about 100 MB, too much to hold twice on a Pi). */
function sameContents(a: string, b: string): boolean {
  if (!existsSync(a) || !existsSync(b) || statSync(a).size !== statSync(b).size) return false;
  const chunk = 1 << 20;
  const bufferA = Buffer.alloc(chunk);
  const bufferB = Buffer.alloc(chunk);
  const fdA = openSync(a, "r");
  const fdB = openSync(b, "r");
  try {
    for (;;) {
      const readA = readSync(fdA, bufferA, 0, chunk, null);
      const readB = readSync(fdB, bufferB, 0, chunk, null);
      if (readA !== readB || !bufferA.subarray(0, readA).equals(bufferB.subarray(0, readB))) return false;
      if (readA === 0) return true;
    }
  } finally {
    closeSync(fdA);
    closeSync(fdB);
  }
}

/** Gives `path` `mode` and owner `who` unless it has them; true when something changed. */
function setModeAndOwner(path: string, mode: number, who: { uid: number; gid: number }): boolean {
  const stat = statSync(path);
  let changed = false;
  if ((stat.mode & 0o7777) !== mode) {
    chmodSync(path, mode);
    changed = true;
  }
  if (stat.uid !== who.uid || stat.gid !== who.gid) {
    chownSync(path, who.uid, who.gid);
    changed = true;
  }
  return changed;
}

/** Puts a file in place by writing beside it and renaming, so no reader ever sees half a file. */
function replaceFile(path: string, write: (temporary: string) => void, mode: number, who: { uid: number; gid: number }) {
  mkdirSync(dirname(path), { recursive: true, mode: 0o755 });
  const temporary = `${path}.new`;
  write(temporary);
  chmodSync(temporary, mode);
  chownSync(temporary, who.uid, who.gid);
  renameSync(temporary, path);
}

function runCommand(command: string[], tolerateFailure: boolean, report: (line: string) => void) {
  const result = Bun.spawnSync(command, { stdout: "pipe", stderr: "pipe" });
  if (result.exitCode === 0) return report(`ran: ${command.join(" ")}`);
  const why = result.stderr.toString().trim().split("\n").at(-1) || `exit code ${result.exitCode}`;
  if (!tolerateFailure) throw new StartupError(`${command.join(" ")} failed: ${why}`);
  report(`ran: ${command.join(" ")} (failed, which is fine here: ${why})`);
}

/** Carries out `steps` in order under `options.root`, reporting each; throws a StartupError at the first step that fails. */
export function runPlan(steps: readonly InstallStep[], options: RunOptions): void {
  const { root, report, skipCommandsBecause } = options;
  const at = (path: string) => join(root, path);
  for (const step of steps) {
    switch (step.kind) {
      case "user":
        if (lookUpUser(root, step.name)) report(`user ${step.name} exists`);
        else if (skipCommandsBecause) report(`not run (${skipCommandsBecause}): ${step.command.join(" ")}`);
        else runCommand(step.command, false, report);
        break;
      case "directory": {
        const path = at(step.path);
        const created = !existsSync(path);
        if (created) mkdirSync(path, { recursive: true, mode: step.mode });
        const changed = setModeAndOwner(path, step.mode, owner(root, step.owner));
        report(`${created ? "created" : changed ? "set mode and owner of" : "unchanged:"} ${step.path}`);
        break;
      }
      case "binary": {
        const path = at(step.path);
        const who = owner(root, "root");
        if (sameContents(options.executable, path) && !setModeAndOwner(path, step.mode, who)) report(`unchanged: ${step.path}`);
        else {
          replaceFile(path, (temporary) => copyFileSync(options.executable, temporary), step.mode, who);
          report(`copied ${options.executable} to ${step.path}`);
        }
        break;
      }
      case "file": {
        const path = at(step.path);
        const who = { uid: owner(root, step.owner).uid, gid: owner(root, step.group ?? step.owner).gid };
        if (existsSync(path) && step.keepExisting) report(`kept the existing ${step.path}`);
        else if (existsSync(path) && readFileSync(path, "utf8") === step.contents && !setModeAndOwner(path, step.mode, who))
          report(`unchanged: ${step.path}`);
        else {
          replaceFile(path, (temporary) => writeFileSync(temporary, step.contents), step.mode, who);
          report(`wrote ${step.path}`);
        }
        break;
      }
      case "remove":
        if (!existsSync(at(step.path))) report(`already absent: ${step.path}`);
        else {
          rmSync(at(step.path), { recursive: step.recursive });
          report(`removed ${step.path}`);
        }
        break;
      case "command":
        if (skipCommandsBecause) report(`not run (${skipCommandsBecause}): ${step.command.join(" ")}`);
        else runCommand(step.command, step.tolerateFailure ?? false, report);
        break;
    }
  }
}
