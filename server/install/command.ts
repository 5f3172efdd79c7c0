// `outpost install` and `outpost uninstall`: the flags read, the machine checked (systemd running,
// run as root, a built executable), then the plan (plan.ts) printed or carried out (runner.ts).
// Each returns the process's exit code; a ConfigError stops it with one sentence, as for serve.

import { existsSync, readFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { parseFlags } from "../config";
import { ConfigError } from "../errors";
import { BUILD_TARGET } from "../version";
import {
  CONFIG_DIR,
  checkDataDir,
  DEFAULT_DATA_DIR,
  type InstallOptions,
  installOptionsFromFlags,
  manualCommand,
  planInstall,
  planUninstall,
  serveArgumentsOfUnit,
  UNIT_PATH,
} from "./plan";
import { describePlan, runPlan } from "./runner";

/**
 * Where the install's paths go: "/" on a real machine. OUTPOST_INSTALL_ROOT is for tests only: it
 * puts every file under a staging directory, takes users from its etc/passwd and systemd's presence
 * from its run/systemd/system, and runs no command (useradd, systemctl), which would act on the host.
 */
export function installRoot(): string {
  return process.env.OUTPOST_INSTALL_ROOT || "/";
}

/** Takes the flags that have no value (`--dry-run`) out of `argv`, then reads the rest as `--name value` flags. */
export function readArguments(argv: string[], switchNames: readonly string[]): { switches: Set<string>; flags: Record<string, string> } {
  const switches = new Set<string>();
  const rest: string[] = [];
  for (const arg of argv) {
    const name = arg.slice(2);
    if (arg.startsWith("--") && switchNames.includes(name)) switches.add(name);
    else rest.push(arg);
  }
  return { switches, flags: parseFlags(rest) };
}

/** Whether systemd runs this machine: the check `sd_booted()` makes. */
export function systemdRuns(root: string): boolean {
  return existsSync(join(root, "run/systemd/system"));
}

/**
 * The data directory: --data, else the one the installed unit runs on, else the default; with the
 * settings file the unit names when the data directory is the unit's (paths as the unit says them,
 * not under `root`).
 */
export function chosenDataDir(flags: Record<string, string>, root: string): { dataDir: string; configFile: string | null } {
  const unitPath = join(root, UNIT_PATH);
  const unit = existsSync(unitPath) ? serveArgumentsOfUnit(readFileSync(unitPath, "utf8")) : { dataDir: null, configFile: null };
  const dataDir = flags.data !== undefined ? checkDataDir(flags.data) : (unit.dataDir ?? DEFAULT_DATA_DIR);
  return { dataDir, configFile: dataDir === unit.dataDir ? unit.configFile : null };
}

/** Refuses what only a real install checks: changing system files needs root, and a checkout has no single file to copy. */
function checkCanInstall(root: string, command: string): void {
  if (root !== "/") return;
  if (process.getuid?.() !== 0) throw new ConfigError(`${command} changes system files and must run as root: sudo ./outpost ${command}.`);
  if (BUILD_TARGET.startsWith("dev-"))
    throw new ConfigError(`${command} works from the built executable (bun run build makes dist/outpost-linux-*), not from a checkout.`);
}

/** How to start this program by hand: the executable itself, or Bun and the entry file from a checkout. */
function thisProgram(): string {
  return BUILD_TARGET.startsWith("dev-") ? `${process.execPath} ${process.argv[1]}` : process.execPath;
}

function serviceUrl(options: InstallOptions): string {
  return options.publicUrl ?? `http://${hostname()}:${options.port}/`;
}

/** `outpost install [--dry-run] [--port N] [--data DIR] [--public-url URL] [--user NAME]`. */
export function install(argv: string[]): number {
  const { switches, flags } = readArguments(argv, ["dry-run"]);
  const options = installOptionsFromFlags(flags);
  const steps = planInstall(options);
  if (switches.has("dry-run")) {
    console.log(`Dry run: nothing is changed. outpost install would:\n${describePlan(steps, process.execPath)}`);
    return 0;
  }
  const root = installRoot();
  if (!systemdRuns(root)) {
    console.log(
      `systemd is not running on this machine (there is no /run/systemd/system), so Outpost cannot be installed as a service; start it by hand instead:\n  ${manualCommand(thisProgram(), options)}`,
    );
    return 1;
  }
  checkCanInstall(root, "install");
  runPlan(steps, {
    root,
    executable: process.execPath,
    skipCommandsBecause: root === "/" ? null : "OUTPOST_INSTALL_ROOT is set",
    report: (line) => console.log(line),
  });
  console.log(
    `Outpost is installed as the service outpost and listens on ${serviceUrl(options)}\nOn its first start it logs a setup link for the first admin: journalctl -u outpost | grep setupLink`,
  );
  return 0;
}

/** Asks on the terminal; true only for the answer "yes". */
async function confirmed(question: string): Promise<boolean> {
  process.stdout.write(`${question} Type yes to confirm: `);
  for await (const line of console) return line.trim() === "yes";
  return false;
}

/**
 * `outpost uninstall [--data DIR] [--purge [--yes]]`: the service and binary go; the data stays
 * unless purged. Without --data, the data directory is the one the installed unit names.
 */
export async function uninstall(argv: string[]): Promise<number> {
  const { switches, flags } = readArguments(argv, ["purge", "yes"]);
  for (const name of Object.keys(flags))
    if (name !== "data") throw new ConfigError(`Unknown flag --${name} for uninstall. See outpost --help.`);
  const root = installRoot();
  const { dataDir } = chosenDataDir(flags, root);
  const purge = switches.has("purge");
  checkCanInstall(root, "uninstall");
  // --purge deletes a whole directory: only one that holds Outpost's data, never a mistyped --data.
  const dataDirHere = join(root, dataDir);
  if (purge && existsSync(dataDirHere) && !["outpost.db", "outpost.toml"].some((name) => existsSync(join(dataDirHere, name))))
    throw new ConfigError(`${dataDir} holds no Outpost data (no outpost.db or outpost.toml), so --purge leaves it alone.`);
  if (purge && !switches.has("yes") && !(await confirmed(`This deletes ${dataDir}: the database, files and backups.`))) {
    console.log("Not confirmed: nothing was removed.");
    return 1;
  }
  runPlan(planUninstall({ dataDir, purge }), {
    root,
    executable: process.execPath,
    skipCommandsBecause: root !== "/" ? "OUTPOST_INSTALL_ROOT is set" : systemdRuns(root) ? null : "systemd is not running",
    report: (line) => console.log(line),
  });
  console.log(
    purge
      ? "Outpost is uninstalled and its data and settings deleted."
      : `Outpost is uninstalled; its data is kept in ${dataDir} and its settings in ${CONFIG_DIR}.`,
  );
  return 0;
}
