// Facts about the host Outpost runs on, read from /proc and /sys (no child processes), the state of
// its data disk, and the server's own background jobs.
import { readFileSync } from "node:fs";
import { arch, hostname, platform, release, uptime } from "node:os";
import type { DiskState, DiskWatch } from "../disk/watch";
import type { JobInfo, Jobs } from "../jobs";
import { BUILD_TARGET, VERSION } from "../version";

export interface SystemInfo {
  hostname: string;
  os: string;
  kernel: string;
  arch: string;
  boardModel: string | null;
  uptimeSeconds: number;
  version: string;
  bunVersion: string;
  buildTarget: string;
  startedAt: Date;
}

function readFirst(paths: string[]): string | null {
  for (const path of paths) {
    try {
      const text = readFileSync(path, "utf8").replace(/\0/g, "").trim();
      if (text) return text;
    } catch {
      // Not every board exposes every file; try the next.
    }
  }
  return null;
}

function osName(): string {
  const release = readFirst(["/etc/os-release"]);
  const pretty = release?.match(/^PRETTY_NAME="?([^"\n]*)"?/m)?.[1];
  return pretty ?? platform();
}

export function createSystemService({ startedAt, jobs, disk }: { startedAt: Date; jobs: Jobs; disk: DiskWatch }) {
  // These do not change while the process runs.
  const fixed = {
    os: osName(),
    kernel: release(),
    arch: arch(),
    boardModel: readFirst(["/proc/device-tree/model", "/sys/firmware/devicetree/base/model", "/sys/class/dmi/id/product_name"]),
  };
  return {
    info(): SystemInfo {
      return {
        ...fixed,
        hostname: hostname(),
        uptimeSeconds: Math.floor(uptime()),
        version: VERSION,
        bunVersion: Bun.version,
        buildTarget: BUILD_TARGET,
        startedAt,
      };
    },

    /** The data disk: ok, low or full, free space, the reserve, and what takes the space. */
    disk: (): DiskState => disk.state(),

    /** The background jobs with their last and next run, by name. */
    jobs: (): JobInfo[] => jobs.list().sort((a, b) => a.name.localeCompare(b.name)),
  };
}

export type SystemService = ReturnType<typeof createSystemService>;
