// A small file system of its own for tests of a full disk: a tmpfs mounted on a temp directory.
// Mounting needs root (CI runs as root); elsewhere `smallDiskUnavailable` says why it cannot, and
// the tests that need it are skipped with that reason in their name. And a wait for the server to
// report the disk's state.
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface SmallDisk extends Disposable {
  /** Where it is mounted. */
  dir: string;
  /**
   * Writes `path` as another program would, until the disk refuses (ENOSPC), down to its last
   * block; returns the bytes written. The file is kept: delete it to give the space back.
   */
  fillFromOutside(path: string): number;
  unmount(): void;
}

/** Why small disks cannot be mounted here, or null when they can (checked once, by mounting one). */
export const smallDiskUnavailable: string | null = (() => {
  if (process.getuid?.() !== 0) return "needs root to mount a tmpfs";
  try {
    mountSmallDisk(1 << 20).unmount();
    return null;
  } catch (err) {
    return `cannot mount a tmpfs here (${(err as Error).message})`;
  }
})();

/** Mounts a tmpfs of `sizeBytes` on a new temp directory; throws when mount fails. */
export function mountSmallDisk(sizeBytes: number): SmallDisk {
  const dir = mkdtempSync(join(tmpdir(), "outpost-small-disk-"));
  const mount = Bun.spawnSync(["mount", "-t", "tmpfs", "-o", `size=${sizeBytes},mode=0700`, "tmpfs", dir], { stderr: "pipe" });
  if (mount.exitCode !== 0) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`mount failed: ${mount.stderr.toString().trim()}`);
  }
  let mounted = true;
  const unmount = () => {
    if (!mounted) return;
    mounted = false;
    const result = Bun.spawnSync(["umount", dir], { stderr: "pipe" });
    if (result.exitCode !== 0) throw new Error(`umount ${dir} failed: ${result.stderr.toString().trim()}`);
    rmSync(dir, { recursive: true, force: true });
  };
  return {
    dir,
    fillFromOutside(path) {
      const fd = openSync(path, "a");
      let written = 0;
      try {
        for (const chunkBytes of [1 << 20, 64 << 10, 4 << 10, 512]) {
          const chunk = Buffer.alloc(chunkBytes, 0x55);
          try {
            for (;;) written += writeSync(fd, chunk);
          } catch (err) {
            if ((err as { code?: string }).code !== "ENOSPC") throw err;
          }
        }
      } finally {
        closeSync(fd);
      }
      return written;
    },
    unmount,
    [Symbol.dispose]: unmount,
  };
}

/** Resolves once the server at `url` reports the disk `state` on /ready (it measures again when its last measure is a second old). */
export async function waitForDiskState(url: string, state: "ok" | "low" | "full", timeoutMs = 10_000): Promise<void> {
  const started = Date.now();
  for (;;) {
    const ready = (await (await fetch(`${url}/ready`)).json()) as { disk: { state: string } };
    if (ready.disk.state === state) return;
    if (Date.now() - started > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for /ready to report the disk ${state}`);
    await Bun.sleep(50);
  }
}
