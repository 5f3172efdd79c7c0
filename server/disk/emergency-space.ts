// The emergency space: a file of real bytes kept in the data directory while the disk has room and
// deleted the moment it fills, so that the writes a person needs in order to free space find room
// even after another program took the last byte. Under SQLite every write needs new pages in the
// WAL, a delete and a sign-in's session row too, so "delete something to make room" only works once
// something has given room for the delete itself. Deleting a file gives its space back at once and
// needs no space to do; a reserve that merely refuses Outpost's own writes cannot help when the
// disk was filled from outside.
import { randomFillSync } from "node:crypto";
import { closeSync, existsSync, openSync, statSync, unlinkSync, writeSync } from "node:fs";
import type { Logger } from "../log";

export interface EmergencySpace {
  /** Bytes held now: the file's size once made, 0 while released or being made. */
  heldBytes(): number;
  /** Deletes the file at once (stopping one being made); returns the bytes given back. Synchronous: it runs inside a write that failed. */
  release(): number;
  /** Makes the file in steps, yielding between them; on ENOSPC, or a release meanwhile, it leaves nothing behind. */
  create(): Promise<void>;
}

const STEP_BYTES = 1 << 20;

export function createEmergencySpace({ path, sizeBytes, log }: { path: string; sizeBytes: number; log: Logger }): EmergencySpace {
  let held = 0;
  // The file being made: its descriptor and the bytes written so far.
  let making: { fd: number; written: number } | null = null;

  const remove = () => {
    try {
      unlinkSync(path);
    } catch (err) {
      if ((err as { code?: string }).code !== "ENOENT") throw err;
    }
  };

  // A file of the wanted size from an earlier run is kept; one of another size (the setting
  // changed, or a run died while making it) is removed and made again when there is room.
  if (existsSync(path)) {
    if (sizeBytes > 0 && statSync(path).size === sizeBytes) held = sizeBytes;
    else remove();
  }

  const release = (): number => {
    if (making) {
      const given = making.written;
      closeSync(making.fd);
      making = null;
      remove();
      return given;
    }
    if (held === 0) return 0;
    remove();
    const given = held;
    held = 0;
    return given;
  };

  return {
    heldBytes: () => held,
    release,
    async create() {
      if (sizeBytes === 0 || held > 0 || making) return;
      // Random bytes, not zeros and not a sparse file: a file system that compresses or skips zero
      // blocks (btrfs, ZFS) would hold zeros without taking the space they are meant to keep.
      const step = randomFillSync(Buffer.allocUnsafe(Math.min(STEP_BYTES, sizeBytes)));
      const current = { fd: openSync(path, "w", 0o600), written: 0 };
      making = current;
      try {
        while (current.written < sizeBytes) {
          current.written += writeSync(current.fd, step, 0, Math.min(step.length, sizeBytes - current.written));
          // Other work goes on between steps; a release meanwhile ends this one.
          await new Promise((resolve) => setImmediate(resolve));
          if (making !== current) return;
        }
      } catch (err) {
        if (making === current) release();
        log.warn("could not make the emergency space; trying again when the disk has room", { path, err });
        return;
      }
      // Not fsynced: the space is taken when the bytes are written (ext4 reserves blocks for delayed
      // allocation), and a file cut short by a crash is found by its size at the next start.
      closeSync(current.fd);
      making = null;
      held = sizeBytes;
    },
  };
}
