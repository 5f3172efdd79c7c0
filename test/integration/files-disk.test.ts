// A full disk and the file store, on a small file system of its own (tmpfs, mounted by the test: CI
// runs as root): an upload that does not fit the free space is refused before any byte is taken;
// a disk that fills up mid-upload (another program took the space) ends the upload with the disk's
// clear error and leaves no partial file, neither listed nor on disk.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readdirSync, rmSync, statfsSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startTestApp, type TestApp } from "../harness/app";
import { waitUntil } from "../harness/client";
import { pushedBody, type TusClient, tusClient } from "../harness/tus";

const mountPoint = mkdtempSync(join(tmpdir(), "outpost-files-disk-"));
let server: TestApp;
let tus: TusClient;

beforeAll(async () => {
  const mounted = Bun.spawnSync(["mount", "-t", "tmpfs", "-o", "size=24m", "tmpfs", mountPoint], { stderr: "pipe" });
  if (mounted.exitCode !== 0) throw new Error(`mounting a small tmpfs needs root: ${mounted.stderr.toString()}`);
  server = await startTestApp({
    // A quota past the disk's size, so that the disk is what refuses.
    config: {
      dataDir: join(mountPoint, "data"),
      diskReserveBytes: 0,
      diskReservePercent: 0,
      diskEmergencySpaceBytes: 0,
      filesQuotaBytes: 1 << 30,
    },
  });
  tus = tusClient(await server.userWithRole("operator"));
});
afterAll(async () => {
  await server?.stop();
  Bun.spawnSync(["umount", mountPoint]);
  rmSync(mountPoint, { recursive: true, force: true });
});

const freeBytes = () => {
  const fs = statfsSync(mountPoint);
  return fs.bavail * fs.bsize;
};

test("an upload larger than the free space is refused before any byte is sent", async () => {
  const refused = await tus.create({ name: "too-big.img", length: freeBytes() + (1 << 20) });
  expect(refused.status).toBe(507);
  expect((await refused.json()).error.code).toBe("LIMIT_EXCEEDED");
});

test("a disk that fills up mid-upload ends it with the disk's clear error and leaves no partial file", async () => {
  const length = 8 << 20;
  const location = (await tus.create({ name: "interrupted.img", length })).headers.get("location") as string;
  const partial = join(mountPoint, "data", "tmp", "uploads", location.split("/").pop() as string);
  expect((await tus.patch(location, 0, new Uint8Array(2 << 20).fill(1))).status).toBe(204);

  // Another program fills the disk while the bytes stream in.
  const filler = join(mountPoint, "filler");
  const sending = pushedBody();
  const patching = tus.patch(location, 2 << 20, sending.body);
  sending.push(new Uint8Array(2 << 20).fill(3));
  await waitUntil(() => statSync(partial).size >= 3 << 20, 10_000, "the first bytes on disk");
  // 2 MiB are left: room for what may still be on its way, not for the 4 MiB that follow.
  writeFileSync(filler, new Uint8Array(Math.max(0, freeBytes() - (2 << 20))));
  for (let i = 0; i < 4; i++) sending.push(new Uint8Array(1 << 20).fill(4));
  sending.end();
  const full = await patching;
  expect(full.status).toBe(507);
  const error = ((await full.json()) as { error: { code: string; message: string } }).error;
  expect(error.code).toBe("LIMIT_EXCEEDED");
  expect(error.message.toLowerCase()).toContain("disk");
  rmSync(filler);

  expect((await tus.head(location)).status).toBe(404);
  expect(readdirSync(join(mountPoint, "data", "tmp", "uploads"))).toEqual([]);
  expect(existsSync(join(mountPoint, "data", "files", location.split("/").pop() as string))).toBe(false);
  expect(server.app.db.query<{ n: number }, []>("SELECT COUNT(*) AS n FROM files").get()?.n).toBe(0);
  // With room again, uploads work.
  expect(await tus.upload("after.txt", new TextEncoder().encode("room again"))).toMatch(/^[0-9a-f]{32}$/);
});
