// Carries out an install or uninstall plan (plan.ts), or describes it for `--dry-run`. Every path
// of the plan is taken under `root`, which is "/" except in tests (see command.ts). A step that
// finds things already as the plan wants them changes nothing, so running a plan twice is harmless.
// An upgrade (a different binary installed over one) keeps the old binary, restarts the service
// and puts the old binary back when the new one does not become ready.

import {
  chmodSync,
  chownSync,
  closeSync,
  copyFileSync,
  existsSync,
  linkSync,
  mkdirSync,
  openSync,
  readFileSync,
  readSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { isIPv6 } from "node:net";
import { dirname, join, relative } from "node:path";
import { type Config, loadConfig } from "../config";
import { type DatabaseRollback, rollBackDatabase } from "../database-version";
import { StartupError } from "../errors";
import { findOsUser } from "../os-users";
import { VERSION } from "../version";
import type { InstallStep } from "./plan";
import { type HealthAnswer, runCommand, type ServiceControl, systemdCommands, waitForReady } from "./service-control";

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
      return `copy ${executable} to ${step.path} (mode ${octal(step.mode)}), keeping a different one already there as ${step.previousPath}`;
    case "file":
      return `write ${step.path} (mode ${octal(step.mode)}, owner ${step.owner}${step.group ? `, group ${step.group}` : ""}; ${step.comment}):\n${indented(step.contents)}`;
    case "remove":
      return `remove ${step.path}${step.recursive ? " and everything in it" : ""}`;
    case "command":
      return `run: ${step.command.join(" ")}`;
    case "service": {
      const commands = systemdCommands(step.unit);
      return [
        `run: ${commands.reloadUnits.join(" ")}`,
        `run: ${commands.enable.join(" ")}`,
        `run: ${commands.restart.join(" ")} (when anything above changed; else ${commands.start.join(" ")})`,
        `wait up to ${step.readyTimeoutMs / 1000} s for /ready on the port ${step.configPath} sets; if a new binary does not become ready (or exits), stop it, put the previous one back (and the database copied before the new one changed it) and start again`,
      ].join("\n");
    }
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
  /** Starts the installed service; null when it is not started (then skipCommandsBecause says why). */
  service: ServiceControl | null;
  /** Receives one line per step, saying what was done. */
  report: (line: string) => void;
}

/** What carrying out a plan came to. */
export interface PlanOutcome {
  /** The settings the started service runs with; null when it was not started. */
  config: Config | null;
  /** What the started service said at /health once ready; null when it was not started. */
  health: HealthAnswer | null;
}

function owner(root: string, name: string): { uid: number; gid: number } {
  const found = findOsUser(name, join(root, "etc/passwd"));
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

function runCommandStep(command: string[], tolerateFailure: boolean, report: (line: string) => void) {
  try {
    runCommand(command);
    report(`ran: ${command.join(" ")}`);
  } catch (err) {
    if (!tolerateFailure) throw err;
    report(`ran: ${command.join(" ")} (failed, which is fine here: ${(err as Error).message.replace(/^.* failed: /, "")})`);
  }
}

/** The base URL this machine reaches a server listening on `config`'s host and port at. */
function localUrl(config: Config): string {
  const host = config.host === "0.0.0.0" ? "127.0.0.1" : config.host === "::" ? "::1" : config.host;
  return `http://${isIPv6(host) ? `[${host}]` : host}:${config.port}`;
}

/** One sentence on what rolling back did to the database, or null when it had nothing to do. */
function describeDatabaseRollback(rollback: DatabaseRollback, root: string): string | null {
  const shown = (path: string) => `/${relative(root, path)}`;
  switch (rollback.done) {
    case "nothing":
      return null;
    case "restored":
      return `the new version had changed the database: moved it aside to ${shown(rollback.setAside)} and put back the copy made before the upgrade (${shown(rollback.copy)})`;
    case "left":
      return `the database records the new version, but this upgrade made no copy of it (${shown(rollback.copy)}), so it is left as it is`;
  }
}

/**
 * Starts the service (restarted when `changed`), waits for it to be ready, and when a new binary
 * (`upgradedFrom` holds the previous one) is not, or its process ends first: stops it, puts the
 * previous binary back and the database as it was before the new version opened it, and starts
 * the service again.
 */
async function startService(
  step: Extract<InstallStep, { kind: "service" }>,
  service: ServiceControl,
  {
    root,
    changed,
    upgradedFrom,
    report,
  }: { root: string; changed: boolean; upgradedFrom: { path: string; previousPath: string } | null; report: (line: string) => void },
): Promise<PlanOutcome> {
  const config = loadConfig({ flags: { data: join(root, step.dataDir), config: join(root, step.configPath) }, env: {} });
  const url = localUrl(config);
  service.reloadUnits();
  service.enable();
  const startedMs = Date.now();
  if (changed) await service.restart();
  else await service.start();
  const seconds = step.readyTimeoutMs / 1000;
  const exited = () => service.hasExited();
  const health = await waitForReady(url, step.readyTimeoutMs, { version: VERSION, exited });
  if (health) {
    report(`ready: Outpost ${VERSION} answers at ${url}`);
    return { config, health };
  }
  const failure = exited() ? "exited before it became ready" : `did not become ready within ${seconds} s`;
  if (!upgradedFrom) throw new StartupError(`Outpost ${failure} at ${url}; its log says why: ${service.logHint}`);
  report(`Outpost ${VERSION} ${failure} at ${url}: stopping it and putting the previous binary back`);
  await service.stop();
  // Atomic, as the upgrade was; the binary that failed goes.
  renameSync(upgradedFrom.previousPath, upgradedFrom.path);
  let rollback: DatabaseRollback = { done: "nothing" };
  try {
    rollback = rollBackDatabase(
      join(config.dataDir, "outpost.db"),
      { version: VERSION, backupsDir: join(config.dataDir, "backups") },
      startedMs,
    );
    const database = describeDatabaseRollback(rollback, root);
    if (database) report(database);
  } catch (err) {
    // The previous binary is back either way: it is started, and says itself whether it can use the database.
    report(
      `the database could not be put back as it was before the upgrade (${(err as Error).message}); starting the previous version on it as it is`,
    );
  }
  await service.start();
  const previous = await waitForReady(url, step.readyTimeoutMs, { exited });
  const putBack =
    rollback.done === "restored"
      ? "the previous binary and the database from before the upgrade were put back"
      : "the previous binary was put back";
  throw new StartupError(
    `The new version (${VERSION}) ${failure}, so ${putBack}${previous ? ` and ${previous.version ? `version ${previous.version}` : "it"} runs again` : ", but it did not become ready either"}; the log says why: ${service.logHint}`,
  );
}

/** Keeps the installed binary at `previousPath` (a second name for the same file, made atomically) before it is replaced. */
function keepAsPrevious(path: string, previousPath: string): void {
  const temporary = `${previousPath}.new`;
  rmSync(temporary, { force: true });
  linkSync(path, temporary);
  renameSync(temporary, previousPath);
}

/**
 * Carries out `steps` in order under `options.root`, reporting each; throws a StartupError at the
 * first step that fails, and when the service does not become ready (after putting back the
 * previous binary of an upgrade).
 */
export async function runPlan(steps: readonly InstallStep[], options: RunOptions): Promise<PlanOutcome> {
  const { root, report, skipCommandsBecause } = options;
  const at = (path: string) => join(root, path);
  let outcome: PlanOutcome = { config: null, health: null };
  // Whether a step changed anything the running service reads (then it is restarted), and the
  // binary an upgrade replaced.
  let changed = false;
  let upgradedFrom: { path: string; previousPath: string } | null = null;
  for (const step of steps) {
    switch (step.kind) {
      case "user":
        if (findOsUser(step.name, join(root, "etc/passwd"))) report(`user ${step.name} exists`);
        else if (skipCommandsBecause) report(`not run (${skipCommandsBecause}): ${step.command.join(" ")}`);
        else runCommandStep(step.command, false, report);
        break;
      case "directory": {
        const path = at(step.path);
        const created = !existsSync(path);
        if (created) mkdirSync(path, { recursive: true, mode: step.mode });
        const fixed = setModeAndOwner(path, step.mode, owner(root, step.owner));
        changed ||= created || fixed;
        report(`${created ? "created" : fixed ? "set mode and owner of" : "unchanged:"} ${step.path}`);
        break;
      }
      case "binary": {
        const path = at(step.path);
        const who = owner(root, "root");
        if (sameContents(options.executable, path)) {
          const fixed = setModeAndOwner(path, step.mode, who);
          report(`${fixed ? "set mode and owner of" : "unchanged:"} ${step.path}`);
          break;
        }
        const installed = existsSync(path);
        if (installed) keepAsPrevious(path, at(step.previousPath));
        replaceFile(path, (temporary) => copyFileSync(options.executable, temporary), step.mode, who);
        changed = true;
        if (installed) upgradedFrom = { path, previousPath: at(step.previousPath) };
        report(
          installed
            ? `replaced ${step.path} with ${options.executable}; the one replaced is kept as ${step.previousPath}`
            : `copied ${options.executable} to ${step.path}`,
        );
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
          changed = true;
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
        else runCommandStep(step.command, step.tolerateFailure ?? false, report);
        break;
      case "service":
        if (options.service) outcome = await startService(step, options.service, { root, changed, upgradedFrom, report });
        else
          for (const line of describeStep(step, options.executable).split("\n"))
            report(`not run (${skipCommandsBecause}): ${line.replace(/^run: /, "")}`);
        break;
    }
  }
  return outcome;
}
