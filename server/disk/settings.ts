// Settings of the disk watch, part of the core's settings (config.ts): how much free space is kept
// for sign-in and deletes, and how much emergency space is held for when the disk fills anyway.
import type { SettingSpec } from "../settings";

export interface DiskSettings {
  diskReserveBytes: number;
  diskReservePercent: number;
  diskEmergencySpaceBytes: number;
}

export const DISK_SETTINGS: SettingSpec[] = [
  {
    key: "diskReserveBytes",
    kind: "int",
    default: 64 << 20,
    min: 0,
    max: 2 ** 40,
    description:
      "free space kept for sign-in, deletes and the audit log: new data is refused below the larger of this and disk_reserve_percent (bytes)",
  },
  {
    key: "diskReservePercent",
    kind: "int",
    default: 2,
    min: 0,
    max: 50,
    description: "free space kept, as a percentage of the data file system (see disk_reserve_bytes)",
  },
  {
    key: "diskEmergencySpaceBytes",
    kind: "int",
    default: 16 << 20,
    min: 0,
    max: 1 << 30,
    description:
      "space held in the file emergency-space in the data directory and given back when the disk fills anyway, so sign-in and deletes still work; keep it above 4 MiB, what SQLite's write-ahead log may still have to merge (bytes; 0 = none)",
  },
];
