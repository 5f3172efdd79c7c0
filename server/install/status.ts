// `outpost status`: whether the service is installed and running, the running server's version
// (from its /health) beside this executable's, the URL, the data directory and its disk use, and
// the setup link while no admin exists. It reads files (the unit, the settings, the data
// directory's pid file), asks the running server, and runs `systemctl is-active` where systemd
// runs, so it works the same for a service and for an Outpost started by hand.

import { existsSync, lstatSync, readdirSync, statfsSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { loadConfig } from "../config";
import { describeHolder, readSetupLink } from "../data-dir";
import { formatBytes } from "../disk/watch";
import { ConfigError } from "../errors";
import { VERSION } from "../version";
import { chosenDataDir, installRoot, readArguments, systemdRuns } from "./command";
import { UNIT_NAME, UNIT_PATH } from "./plan";
import { askHealth, type HealthAnswer } from "./service-control";

/** Exit code when Outpost is not running, as `systemctl status` and LSB init scripts use. */
const NOT_RUNNING = 3;

function serviceState(root: string): string {
  if (!existsSync(join(root, UNIT_PATH))) return "not installed";
  if (root !== "/") return `installed (${UNIT_PATH})`;
  if (!systemdRuns(root)) return `installed (${UNIT_PATH}), but systemd is not running here`;
  const result = Bun.spawnSync(["systemctl", "is-active", UNIT_NAME], { stdout: "pipe", stderr: "pipe" });
  return `installed (${UNIT_PATH}), systemd says ${result.stdout.toString().trim() || "nothing"}`;
}

/** How much the data directory holds and how much its filesystem has free, or why that cannot be read. */
function diskUse(dir: string): string {
  try {
    let usedBytes = 0;
    for (const name of readdirSync(dir, { recursive: true }) as string[]) usedBytes += lstatSync(join(dir, name)).size;
    const fs = statfsSync(dir);
    return `${formatBytes(usedBytes)} in the data directory; ${formatBytes(fs.bavail * fs.bsize)} free of ${formatBytes(fs.blocks * fs.bsize)}`;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return "none: the data directory does not exist";
    if (code === "EACCES" || code === "EPERM") return "unknown: this user may not read the data directory (try sudo)";
    throw err;
  }
}

/** The running server's version and this executable's, or only this one's when none answers. */
function versions(running: HealthAnswer | null): string {
  if (!running) return `${VERSION} (this executable)`;
  return running.version === VERSION
    ? `${VERSION} (running, and this executable)`
    : `${running.version ?? "an earlier version, which does not say which"} (running); this executable is ${VERSION}`;
}

/** `outpost status [--data DIR]`: prints one line per fact; exits 0 when Outpost runs on that data directory, 3 when not. */
export async function status(argv: string[]): Promise<number> {
  const { flags } = readArguments(argv, []);
  for (const name of Object.keys(flags))
    if (name !== "data") throw new ConfigError(`Unknown flag --${name} for status. See outpost --help.`);
  const root = installRoot();
  const { dataDir, configFile } = chosenDataDir(flags, root);
  const dataDirHere = join(root, dataDir);
  const holder = describeHolder(join(dataDirHere, "outpost.pid"));
  const configHere = configFile === null ? null : join(root, configFile);
  const config = loadConfig({
    flags: { data: dataDirHere, ...(configHere && existsSync(configHere) ? { config: configHere } : {}) },
    env: {},
  });
  const address = holder?.match(/, at (\S+)$/)?.[1];
  const running = address ? await askHealth(address) : null;
  const lines = [
    ["service", serviceState(root)],
    ["running", holder ? `yes (${holder})` : "no"],
    ["version", versions(running)],
    ["url", config.publicUrl ?? address ?? `http://${hostname()}:${config.port}/`],
    ["data dir", dataDir],
    ["disk use", diskUse(dataDirHere)],
  ];
  const link = running?.setupRequired ? readSetupLink(dataDirHere) : null;
  if (link) lines.push(["setup", `no admin yet: open ${link}`]);
  console.log(lines.map(([label, value]) => `${`${label}:`.padEnd(10)}${value}`).join("\n"));
  return holder ? 0 : NOT_RUNNING;
}
