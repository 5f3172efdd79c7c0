// The x64 executable from `npm run build`, run alone from an empty directory.
import { expect, test } from "bun:test";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { graphqlClient, waitUntil } from "../harness/client";
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
  expect(text).toBe('outpost: --port must be a whole number, got "nope".\n');
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

test("a second binary on the same data directory is refused naming the first, which holds it until it dies", async () => {
  const first = await startBinary(binary);
  try {
    const second = Bun.spawn([binary, "serve", "--data", "./d", "--port", "0", "--host", "127.0.0.1"], {
      cwd: first.dir,
      stderr: "pipe",
      stdout: "ignore",
    });
    const text = await new Response(second.stderr).text();
    expect(await second.exited).toBe(1);
    expect(text).toContain(`another Outpost process (pid ${first.proc.pid}, at ${first.url}) is using it`);
    first.proc.kill("SIGKILL");
    await first.proc.exited;
    const again = await startBinary(binary, { dir: first.dir });
    await again.cleanup();
  } finally {
    await first.cleanup();
  }
});

test("kill -9 during a stream of writes loses no acknowledged write", async () => {
  const first = await startBinary(binary, { env: { OUTPOST_ADMIN_PASSWORD: "owner-password" } });
  const login = await graphqlClient(first.url).data<{ login: { accessToken: string } }>(
    'mutation { login(username: "admin", password: "owner-password") { accessToken } }',
  );
  const client = graphqlClient(first.url, login.login.accessToken);
  const acknowledged: string[] = [];
  let running = true;
  const writers = Array.from({ length: 8 }, async (_, w) => {
    for (let i = 0; running; i++) {
      const key = `crash/${w}/${i}`;
      try {
        const result = await client.request(`mutation { setKv(key: "${key}", value: {w: ${w}, i: ${i}}) { version } }`);
        if (result.data) acknowledged.push(key);
      } catch {
        return; // the server is gone
      }
    }
  });
  await waitUntil(() => acknowledged.length >= 300, 20_000, "300 acknowledged writes");
  first.proc.kill("SIGKILL");
  running = false;
  await Promise.all(writers);
  await first.proc.exited;

  const again = await startBinary(binary, { dir: first.dir });
  try {
    const relogin = await graphqlClient(again.url).data<{ login: { accessToken: string } }>(
      'mutation { login(username: "admin", password: "owner-password") { accessToken } }',
    );
    const reader = graphqlClient(again.url, relogin.login.accessToken);
    const stored = new Set<string>();
    for (let after: string | null = null; ; ) {
      const page: { kvEntries: { nodes: { key: string }[]; pageInfo: { hasNextPage: boolean; endCursor: string } } } = await reader.data(
        'query ($after: String) { kvEntries(prefix: "crash/", first: 500, after: $after) { nodes { key } pageInfo { hasNextPage endCursor } } }',
        { after },
      );
      for (const node of page.kvEntries.nodes) stored.add(node.key);
      if (!page.kvEntries.pageInfo.hasNextPage) break;
      after = page.kvEntries.pageInfo.endCursor;
    }
    expect(acknowledged.filter((key) => !stored.has(key))).toEqual([]);
  } finally {
    await again.cleanup();
    await first.cleanup();
    rmSync(first.dir, { recursive: true, force: true });
  }
});
