// `outpost install` and `outpost uninstall`: the flags read, the machine checked (systemd running,
// run as root, a built executable), then the plan (plan.ts) printed or carried out (runner.ts).
// Each returns the process's exit code; a ConfigError stops it with one sentence, as for serve.

import { existsSync, readFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { parseFlags } from "../config";
import { readSetupLink } from "../data-dir";
import { ConfigError } from "../errors";
import { BUILD_TARGET, VERSION } from "../version";
import {
  CONFIG_DIR,
  CONFIG_PATH,
  checkDataDir,
  DEFAULT_DATA_DIR,
  installOptionsFromFlags,
  manualCommand,
  planInstall,
  planUninstall,
  serveArgumentsOfUnit,
  UNIT_NAME,
  UNIT_PATH,
} from "./plan";
import { describePlan, runPlan } from "./runner";
import { type ServiceControl, systemdService } from "./service-control";

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

/** Where and how an install acts: this machine by default; tests pass a staging root and a service they run themselves. */
export interface InstallTarget {
  /** The directory every installed path is under ("/" on a real machine). */
  root: string;
  /** The file installed as the binary: this executable. */
  executable: string;
  /** Starts the installed service; null when it is not started, for the reason `skipCommandsBecause` gives. */
  service: ServiceControl | null;
  /** Why no command (useradd, systemctl) is run, or null to run them. */
  skipCommandsBecause: string | null;
  /** Receives each line for the person installing. */
  report: (line: string) => void;
}

/** This machine (or the staging root OUTPOST_INSTALL_ROOT names, where no command is run and no service started). */
function thisMachine(): InstallTarget {
  const root = installRoot();
  const report = (line: string) => console.log(line);
  const real = root === "/";
  return {
    root,
    executable: process.execPath,
    service: real ? systemdService(UNIT_NAME, report) : null,
    skipCommandsBecause: real ? null : "OUTPOST_INSTALL_ROOT is set",
    report,
  };
}

/**
 * `outpost install [--dry-run] [--port N] [--data DIR] [--public-url URL] [--user NAME]
 * [--ready-timeout-seconds N]`: installs, or upgrades, the service and starts it (see plan.ts and
 * runner.ts), then says where it answers and, on a first install, the setup link. A new binary that
 * does not become ready is rolled back, and the install ends with a StartupError saying so.
 */
export async function install(argv: string[], target: InstallTarget = thisMachine()): Promise<number> {
  const { switches, flags } = readArguments(argv, ["dry-run"]);
  const options = installOptionsFromFlags(flags);
  const { root, report } = target;
  const earlierSettingsPath = join(root, options.dataDir, "outpost.toml");
  const carryOver = !existsSync(join(root, CONFIG_PATH)) && existsSync(earlierSettingsPath);
  const steps = planInstall(options, carryOver ? { earlierSettings: readFileSync(earlierSettingsPath, "utf8") } : {});
  if (switches.has("dry-run")) {
    report(`Dry run: nothing is changed. outpost install would:\n${describePlan(steps, target.executable)}`);
    return 0;
  }
  if (!systemdRuns(root)) {
    report(
      `systemd is not running on this machine (there is no /run/systemd/system), so Outpost cannot be installed as a service; start it by hand instead:\n  ${manualCommand(thisProgram(), options)}`,
    );
    return 1;
  }
  checkCanInstall(root, "install");
  const outcome = await runPlan(steps, target);
  if (!outcome.config) {
    report(`Outpost is installed as the service ${UNIT_NAME}, not started (${target.skipCommandsBecause}).`);
    return 0;
  }
  const url = (outcome.config.publicUrl ?? `http://${hostname()}:${outcome.config.port}/`).replace(/\/*$/, "/");
  // The server writes its link on the address it listens on (localhost for every address); another
  // computer reaches it by this machine's name, so the link is made again on the URL above.
  const setupLink = outcome.health?.setupRequired ? readSetupLink(join(root, options.dataDir)) : null;
  const setupToken = setupLink ? new URL(setupLink).searchParams.get("token") : null;
  report(`Outpost ${VERSION} runs as the service ${UNIT_NAME} at ${url}`);
  report(
    setupToken
      ? `Create the first admin by opening this link (it works once): ${new URL(`setup?token=${setupToken}`, url)}`
      : `Sign in at ${url}`,
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
  await runPlan(planUninstall({ dataDir, purge }), {
    root,
    executable: process.execPath,
    service: null,
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
