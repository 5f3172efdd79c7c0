// The disk watch: free space on the data directory's file system, the reserve kept free for
// sign-in, sign-out, deletes and the audit log, the emergency space given back when the disk fills
// anyway, and what takes the space. A full disk is a state Outpost reports and works through, not
// a crash: new data is refused with LIMIT_EXCEEDED before it cuts into the reserve, and a write
// that finds the disk full anyway (another program filled it) fails with the same clear error.
//
// What features use (`core.disk`):
//   requireRoom(bytes)        before taking new data of about `bytes` (a value, an upload): throws
//                             LimitExceededError saying how full the disk is and what the reserve
//                             is when the data would cut into the reserve. Never call it for deletes.
//   toDiskFullError(err)      in a catch around file writes: ENOSPC (or SQLITE_FULL) becomes that
//                             same clear error, and the emergency space is given back; any other
//                             error is returned unchanged: `catch (err) { throw core.disk.toDiskFullError(err) }`
//   reportUsage(name, bytes)  what the feature keeps on disk, for the breakdown ("files",
//                             "programs"); `bytes` is called whenever the state is read, so keep it cheap
//   state()                   ok / low / full, free, total, reserve and the breakdown
// Writes through the database need none of this beyond requireRoom: db.ts maps a full disk for them.
import type { Database } from "bun:sqlite";
import { statfsSync, statSync } from "node:fs";
import type { Clock } from "../clock";
import type { NoSpaceHandling } from "../db";
import { LimitExceededError } from "../errors";
import type { Logger } from "../log";
import { settingNames } from "../settings";
import { createEmergencySpace } from "./emergency-space";
import type { DiskSettings } from "./settings";

export type DiskStateName = "ok" | "low" | "full";

export interface DiskUsage {
  /** What takes the space: "database", "emergency-space", a feature's name, or "other" (everything not Outpost's). */
  name: string;
  bytes: number;
}

export interface DiskState {
  /**
   * ok; low: free space is below the reserve, so new data is refused; full: below the reserve with
   * the emergency space given back (a write found no room) or never made, or almost nothing free.
   */
  state: DiskStateName;
  /** Free on the data directory's file system for an unprivileged user (what `df` calls available). */
  freeBytes: number;
  totalBytes: number;
  /** Free space kept for sign-in, deletes and the audit log. */
  reserveBytes: number;
  usage: DiskUsage[];
  checkedAt: Date;
}

export interface DiskWatch extends NoSpaceHandling {
  /**
   * Throws LimitExceededError unless about `bytes` of new data can be written with the reserve still
   * free. `inDatabase`: the data goes into the database, which first reuses the pages deleted rows
   * left (SQLite does not give them back to the file system), so deleting entries makes room for
   * new ones. Decides on the last measure while far from the reserve and measures afresh near it.
   */
  requireRoom(bytes?: number, options?: { inDatabase?: boolean }): void;
  /** The clear disk-full error (giving back the emergency space) when `error` is a lack of space; `error` itself otherwise. */
  toDiskFullError(error: unknown): unknown;
  /** Adds a line to the breakdown of what takes the space; `measureBytes` is called whenever the state is read. */
  reportUsage(name: string, measureBytes: () => number): void;
  /** The state, measured afresh when the last measure is over a second old. */
  state(): DiskState;
  /** Counts the database in the breakdown and its free pages as room for database writes. */
  watchDatabase(db: Database, path: string): void;
  /**
   * The periodic check (the `disk.watch` job): measures, gives back the emergency space when the
   * disk was filled from outside (before a write fails for it), and makes it again once the disk
   * has the reserve and the emergency space free.
   */
  check(): Promise<void>;
}

/** Below this much free space SQLite may find no room to grow its WAL: the disk counts as full. */
const FULL_BELOW_BYTES = 1 << 20;
/**
 * How long a measure serves `state()` and, far from the reserve, `requireRoom`: a burst of writes
 * shares one `statfs`, and another program filling the disk is seen within a second.
 */
const MEASURE_MAX_AGE_MS = 1000;
export const DISK_WATCH_INTERVAL_MS = 5000;
const EMERGENCY_SPACE_FILE = "emergency-space";

/** Whether `error` is a lack of space: SQLite's SQLITE_FULL ("database or disk is full"), or ENOSPC / EDQUOT from the file system. */
export function isNoSpaceError(error: unknown): boolean {
  const code = typeof error === "object" && error !== null ? (error as { code?: unknown }).code : undefined;
  return code === "SQLITE_FULL" || code === "ENOSPC" || code === "EDQUOT";
}

/** A size for people: 0 B, 512 KiB, 5.2 MiB, 24 MiB, 1.5 GiB. */
export function formatBytes(bytes: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${unit === 0 || value >= 10 ? Math.round(value) : Number(value.toFixed(1))} ${units[unit]}`;
}

/** What the disk state means for a person: how full, how much is free, the reserve and how to raise it, what to do. */
export function describeDiskState(
  { state, freeBytes, totalBytes, reserveBytes }: Pick<DiskState, "state" | "freeBytes" | "totalBytes" | "reserveBytes">,
  { neededBytes = 0 }: { neededBytes?: number } = {},
): string {
  const headline =
    state === "full"
      ? "The disk is full"
      : state === "low"
        ? "The disk is almost full"
        : neededBytes > 0
          ? `There is not room for ${formatBytes(neededBytes)} more`
          : "The disk has room";
  return (
    `${headline}: ${formatBytes(freeBytes)} free of ${formatBytes(totalBytes)}. Outpost keeps ${formatBytes(reserveBytes)} free ` +
    `for sign-in and deletes (setting ${settingNames("diskReserveBytes").toml}) and takes no new data below that; ` +
    "delete data you no longer need to make room."
  );
}

interface Measure {
  freeBytes: number;
  totalBytes: number;
  usedBytes: number;
  /** Free pages inside the database file: room for database writes that the file system does not show. */
  databaseReusableBytes: number;
  atMs: number;
}

export function createDiskWatch({
  dataDir,
  settings,
  clock,
  log,
}: {
  dataDir: string;
  settings: DiskSettings;
  clock: Clock;
  log: Logger;
}): DiskWatch {
  const emergency = createEmergencySpace({
    path: `${dataDir}/${EMERGENCY_SPACE_FILE}`,
    sizeBytes: settings.diskEmergencySpaceBytes,
    log,
  });
  const reporters: { name: string; measureBytes: () => number }[] = [];
  let databaseReusableBytes = () => 0;
  let mergeDatabaseLog = () => {};

  const reserveOf = (m: Measure) => Math.max(settings.diskReserveBytes, Math.floor((m.totalBytes * settings.diskReservePercent) / 100));
  // Below the reserve the disk is low while the emergency space is held, and full once it is gone:
  // given back because a write found no room (in this run or an earlier one), or never made.
  const stateOf = (m: Measure): DiskStateName => {
    if (m.freeBytes < FULL_BELOW_BYTES) return "full";
    if (m.freeBytes >= reserveOf(m)) return "ok";
    return settings.diskEmergencySpaceBytes > 0 && emergency.heldBytes() === 0 ? "full" : "low";
  };
  const read = (): Measure => {
    const fs = statfsSync(dataDir);
    return {
      freeBytes: fs.bavail * fs.bsize,
      totalBytes: fs.blocks * fs.bsize,
      usedBytes: (fs.blocks - fs.bfree) * fs.bsize,
      databaseReusableBytes: databaseReusableBytes(),
      atMs: clock.now(),
    };
  };

  let last = read();
  let lastState: DiskStateName = "ok";
  // Bytes granted by requireRoom since the last measure, counted against its free space.
  let grantedBytes = 0;

  /** Logs a change of state: once when the disk becomes low or full, once when it has room again. */
  const noteState = () => {
    const state = stateOf(last);
    if (state === lastState) return;
    const fields = { state, freeBytes: last.freeBytes, reserveBytes: reserveOf(last) };
    if (state === "ok") log.info("the disk has room again", fields);
    else log.warn(`the disk is ${state === "full" ? "full" : "almost full"}; new data is refused until there is room`, fields);
    lastState = state;
  };

  const measure = (): Measure => {
    last = read();
    grantedBytes = 0;
    noteState();
    return last;
  };

  const refusal = (cause?: unknown, neededBytes = 0) => {
    const m = measure();
    const state = stateOf(m);
    const reserveBytes = reserveOf(m);
    return new LimitExceededError(describeDiskState({ state, ...m, reserveBytes }, { neededBytes }), {
      cause,
      // 507 Insufficient Storage at the HTTP edge: a client that retries on 429 would only fill the disk again.
      details: { httpStatus: 507, diskState: state, freeBytes: m.freeBytes, reserveBytes },
    });
  };

  const makeRoom = (): boolean => {
    const given = emergency.release();
    if (given > 0) {
      log.warn("the disk is full: gave back the emergency space so that sign-in and deletes keep working", { bytes: given });
    }
    measure();
    return given > 0;
  };

  const reportUsage = (name: string, measureBytes: () => number) => {
    if (reporters.some((r) => r.name === name)) throw new Error(`Disk usage "${name}" is reported twice.`);
    reporters.push({ name, measureBytes });
  };

  // Started on a full disk: room for the database to open and for the owner to sign in, first.
  if (last.freeBytes < FULL_BELOW_BYTES) makeRoom();
  else noteState();

  return {
    isNoSpace: isNoSpaceError,
    makeRoom,
    refusal: (cause) => refusal(cause),

    requireRoom(bytes = 0, { inDatabase = false } = {}) {
      const roomLeft = () => last.freeBytes + (inDatabase ? last.databaseReusableBytes : 0) - grantedBytes - bytes;
      // Far from the reserve a recent measure decides; near it, every decision is measured afresh.
      if (clock.now() - last.atMs >= MEASURE_MAX_AGE_MS || roomLeft() < 2 * reserveOf(last)) measure();
      if (roomLeft() < reserveOf(last)) throw refusal(undefined, bytes);
      grantedBytes += bytes;
    },

    toDiskFullError(error) {
      if (!isNoSpaceError(error)) return error;
      makeRoom();
      return refusal(error);
    },

    reportUsage,

    state() {
      if (clock.now() - last.atMs >= MEASURE_MAX_AGE_MS) measure();
      const ours: DiskUsage[] = reporters.map(({ name, measureBytes }) => ({ name, bytes: measureBytes() }));
      if (emergency.heldBytes() > 0) ours.push({ name: "emergency-space", bytes: emergency.heldBytes() });
      const oursBytes = ours.reduce((sum, u) => sum + u.bytes, 0);
      return {
        state: stateOf(last),
        freeBytes: last.freeBytes,
        totalBytes: last.totalBytes,
        reserveBytes: reserveOf(last),
        usage: [...ours, { name: "other", bytes: Math.max(0, last.usedBytes - oursBytes) }],
        checkedAt: new Date(last.atMs),
      };
    },

    watchDatabase(db, path) {
      const pageBytes = (db.query("PRAGMA page_size").get() as { page_size: number }).page_size;
      const freelist = db.query<{ freelist_count: number }, []>("PRAGMA freelist_count");
      databaseReusableBytes = () => (freelist.get()?.freelist_count ?? 0) * pageBytes;
      // exec, not a prepared statement: a merge that finds no room must not give back the
      // emergency space (db.ts does that for failed statements); it is tried again at the next check.
      mergeDatabaseLog = () => {
        try {
          db.exec("PRAGMA wal_checkpoint(PASSIVE)");
        } catch (err) {
          log.debug("could not merge the database's write-ahead log", { err });
        }
      };
      const fileBytes = (file: string) => {
        try {
          return statSync(file).size;
        } catch {
          return 0; // the -wal and -shm files exist only while the database is open in WAL mode
        }
      };
      reportUsage("database", () => fileBytes(path) + fileBytes(`${path}-wal`) + fileBytes(`${path}-shm`));
      measure();
    },

    async check() {
      const m = measure();
      // While the disk is low, pages waiting in SQLite's write-ahead log are merged into the
      // database now, while there is room: the merge grows the file, and after it later writes
      // (a sign-in, a delete) reuse the log's space instead of needing new space on a full disk.
      if (stateOf(m) !== "ok") mergeDatabaseLog();
      if (m.freeBytes < FULL_BELOW_BYTES && emergency.heldBytes() > 0) makeRoom();
      else if (
        settings.diskEmergencySpaceBytes > 0 &&
        emergency.heldBytes() === 0 &&
        m.freeBytes >= reserveOf(m) + settings.diskEmergencySpaceBytes
      ) {
        await emergency.create();
        if (emergency.heldBytes() > 0) log.info("made the emergency space", { bytes: emergency.heldBytes() });
        measure();
      }
    },
  };
}
