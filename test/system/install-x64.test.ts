// The x64 executable from `npm run build` installing itself: into a staging root
// (OUTPOST_INSTALL_ROOT, where it runs no command), as a byte-identical copy that then runs as the
// service with the unit's arguments (data directory and /etc/outpost/outpost.toml) and says its version.
import { afterEach, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { askHealth, waitForReady } from "../../server/install/service-control";
import { VERSION } from "../../server/version";
import { processService, stagingRoot } from "../harness/install-root";

const binary = join(import.meta.dir, "../../dist/outpost-linux-x64");
const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

test("installs itself, and the installed copy serves with the unit's settings file", async () => {
  const root = stagingRoot({ serviceIsMe: true });
  cleanups.push(() => root[Symbol.dispose]());
  const probe = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response() });
  const port = probe.port as number;
  probe.stop(true);

  const proc = Bun.spawn([binary, "install", "--port", String(port), "--data", "/srv/outpost"], {
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", OUTPOST_INSTALL_ROOT: root.path },
    stdout: "pipe",
    stderr: "pipe",
  });
  const [stdout, stderr] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text()]);
  expect(stderr).toBe("");
  expect(await proc.exited).toBe(0);
  expect(stdout).toContain(`copied ${binary} to /usr/local/bin/outpost`);
  const installed = join(root.path, "usr/local/bin/outpost");
  expect(readFileSync(installed).equals(readFileSync(binary))).toBe(true);

  const service = processService(
    [installed, "serve", "--data", join(root.path, "srv/outpost"), "--config", join(root.path, "etc/outpost/outpost.toml")],
    root.path,
  );
  cleanups.push(() => service[Symbol.asyncDispose]());
  await service.start();
  const url = `http://127.0.0.1:${port}`;
  expect(await waitForReady(url, 30_000, { version: VERSION })).toEqual({ version: VERSION, setupRequired: true });
  expect((await askHealth(url))?.version).toBe(VERSION);
});
