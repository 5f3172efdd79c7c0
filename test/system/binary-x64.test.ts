// The x64 executable from `npm run build`, run alone from an empty directory.
import { expect, test } from "bun:test";
import { join } from "node:path";
import { smokeTest, startBinary } from "./smoke";

const binary = join(import.meta.dir, "../../dist/outpost-linux-x64");

test("outpost version names the version, Bun and the target", async () => {
  const proc = Bun.spawn([binary, "version"], { stdout: "pipe" });
  const text = await new Response(proc.stdout).text();
  expect(await proc.exited).toBe(0);
  expect(text).toMatch(/^outpost \d+\.\d+\.\d+\nbun 1\.\d+\.\d+\ntarget linux-x64\n$/);
});

test("outpost --help lists the commands and flags", async () => {
  const proc = Bun.spawn([binary, "--help"], { stdout: "pipe" });
  const text = await new Response(proc.stdout).text();
  expect(await proc.exited).toBe(0);
  expect(text).toContain("outpost [serve] [flags]");
  expect(text).toContain("--port <n>");
  expect(text).toContain("OUTPOST_ADMIN_PASSWORD");
});

test("a bad setting stops the start with a message naming it", async () => {
  const proc = Bun.spawn([binary, "serve", "--port", "nope", "--data", "/tmp/outpost-bad-flag"], { stderr: "pipe" });
  const text = await new Response(proc.stderr).text();
  expect(await proc.exited).toBe(2);
  expect(text).toContain("port (from --port) must be a whole number");
});

test("copied into an empty directory it serves setup, sign-in, data and live changes, and stops on SIGTERM", async () => {
  const started = await startBinary(binary);
  try {
    await smokeTest(started);
  } finally {
    await started.cleanup();
  }
});

test("a second binary on a taken port exits with a message naming the port and the holder", async () => {
  const first = await startBinary(binary);
  try {
    const port = new URL(first.url).port;
    const proc = Bun.spawn([binary, "serve", "--data", `${first.dir}/second`, "--port", port, "--host", "127.0.0.1"], {
      stderr: "pipe",
      stdout: "ignore",
    });
    const text = await new Response(proc.stderr).text();
    expect(await proc.exited).toBe(1);
    expect(text).toContain(`Port ${port} is already in use by outpost-linux-x64 (pid ${first.proc.pid})`);
  } finally {
    await first.cleanup();
  }
});
