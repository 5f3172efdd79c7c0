// The arm64 executable under qemu-user (as on a Raspberry Pi). Bun cannot spawn children under
// qemu-user, which is also why Outpost must start and serve without spawning anything.
import { expect, test } from "bun:test";
import { join } from "node:path";
import { smokeTest, startBinary } from "./smoke";

const binary = join(import.meta.dir, "../../dist/outpost-linux-arm64");
const QEMU = ["qemu-aarch64-static", "-L", "/"];

test("outpost version under qemu reports the arm64 target", async () => {
  const proc = Bun.spawn([...QEMU, binary, "version"], { stdout: "pipe" });
  const text = await new Response(proc.stdout).text();
  expect(await proc.exited).toBe(0);
  expect(text).toContain("target linux-arm64");
});

test("the arm64 binary passes the same smoke test under qemu", async () => {
  const started = await startBinary(binary, { runner: QEMU });
  try {
    await smokeTest(started);
  } finally {
    await started.cleanup();
  }
});
