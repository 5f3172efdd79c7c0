// `outpost status`: whether the service is installed and running, this executable's version, the
// URL, the data directory and its disk use. It reads files only (the unit, the data directory's
// settings and pid file), plus `systemctl is-active` where systemd runs, so it works the same for
// a service and for an Outpost started by hand.

import { existsSync, lstatSync, readdirSync, statfsSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { loadConfig } from "../config";
import { describeHolder } from "../data-dir";
import { formatBytes } from "../disk/watch";
import { ConfigError } from "../errors";
import { VERSION } from "../version";
import { chosenDataDir, installRoot, readArguments, systemdRuns } from "./command";
import { UNIT_NAME, UNIT_PATH } from "./plan";

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

/** `outpost status [--data DIR]`: prints one line per fact; exits 0 when Outpost runs on that data directory, 3 when not. */
export function status(argv: string[]): number {
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
  const lines = [
    ["service", serviceState(root)],
    ["running", holder ? `yes (${holder})` : "no"],
    ["version", `${VERSION} (this executable)`],
    ["url", config.publicUrl ?? address ?? `http://${hostname()}:${config.port}/`],
    ["data dir", dataDir],
    ["disk use", diskUse(dataDirHere)],
  ];
  console.log(lines.map(([label, value]) => `${`${label}:`.padEnd(10)}${value}`).join("\n"));
  return holder ? 0 : NOT_RUNNING;
}
