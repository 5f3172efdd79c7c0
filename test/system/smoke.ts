// The smoke test of a compiled binary: copied alone into an empty directory, started with
// `serve --data ./d --port 0`, then setup through the announced link, login, the ngrok addon
// loading, a KV round trip and a live subscription, and a clean exit on SIGTERM.
import { expect } from "bun:test";
import { copyFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { graphqlClient, waitUntil } from "../harness/client";

export interface StartedBinary {
  url: string;
  setupToken: string | null;
  output: () => string;
  proc: ReturnType<typeof Bun.spawn>;
  dir: string;
  cleanup(): Promise<void>;
}

/**
 * Copies `binary` into an empty temp dir and starts it there (optionally through `runner`, e.g.
 * qemu). With `dir`, starts it again in that directory (same data) and leaves the directory be.
 */
export async function startBinary(
  binary: string,
  { runner = [], env = {}, dir: reuse }: { runner?: string[]; env?: Record<string, string>; dir?: string } = {},
): Promise<StartedBinary> {
  const dir = reuse ?? mkdtempSync(join(tmpdir(), "outpost-bin-"));
  if (!reuse) copyFileSync(binary, join(dir, basename(binary)));
  let text = "";
  const proc = Bun.spawn([...runner, `./${basename(binary)}`, "serve", "--data", "./d", "--port", "0", "--host", "127.0.0.1"], {
    cwd: dir,
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", ...env },
    stdout: "pipe",
    stderr: "pipe",
  });
  const drain = async (stream: ReadableStream<Uint8Array>) => {
    const decoder = new TextDecoder();
    const reader = stream.getReader();
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) text += decoder.decode(chunk.value, { stream: true });
  };
  void drain(proc.stdout as ReadableStream<Uint8Array>);
  void drain(proc.stderr as ReadableStream<Uint8Array>);
  await waitUntil(() => /listening on http:\/\/\S+:\d+/.test(text) || proc.exitCode !== null, 60_000, "the binary to listen");
  const url = /listening on (http:\/\/\S+:\d+)/.exec(text)?.[1];
  if (!url) throw new Error(`binary did not start:\n${text}`);
  await waitUntil(() => text.includes("setup?token=") || text.includes("seeded admin"), 5_000, "the setup link").catch(() => {});
  return {
    url,
    setupToken: /setup\?token=([A-Za-z0-9_-]+)/.exec(text)?.[1] ?? null,
    output: () => text,
    proc,
    dir,
    async cleanup() {
      if (proc.exitCode === null) proc.kill("SIGKILL");
      await proc.exited;
      if (!reuse) rmSync(dir, { recursive: true, force: true });
    },
  };
}

export async function smokeTest(started: StartedBinary) {
  const anonymous = graphqlClient(started.url);
  expect(await anonymous.data(`{ health { ok setupRequired } }`)).toEqual({ health: { ok: true, setupRequired: true } });
  expect(started.setupToken).not.toBeNull();

  const page = await fetch(`${started.url}/setup?token=${started.setupToken}`);
  expect(page.status).toBe(200);
  const html = await page.text();
  expect(html).toContain("<div id=");
  // The embedded UI: assets with their type, an ETag, and brotli when accepted.
  const script = /src="(\/assets\/[^"]+\.js)"/.exec(html)?.[1] as string;
  const asset = await fetch(`${started.url}${script}`, { headers: { "accept-encoding": "br" }, decompress: false });
  expect(asset.headers.get("content-type")).toContain("javascript");
  expect(asset.headers.get("content-encoding")).toBe("br");
  expect(asset.headers.get("etag")).toMatch(/^".+"$/);

  await anonymous.data(`mutation ($t: String!) { setup(token: $t, username: "owner", password: "owner-password") { user { role } } }`, {
    t: started.setupToken,
  });
  const login = await anonymous.data<{ login: { accessToken: string } }>(
    `mutation { login(username: "owner", password: "owner-password") { accessToken } }`,
  );
  const owner = graphqlClient(started.url, login.login.accessToken);
  expect(await owner.data(`{ me { username role } }`)).toEqual({ me: { username: "owner", role: "admin" } });
  // The ngrok addon of the binary's own platform is embedded and loads (the build fetches the other platform's).
  const { tunnelProviders } = await owner.data<{ tunnelProviders: { provider: string; available: boolean; reason: string | null }[] }>(
    "{ tunnelProviders { provider available reason } }",
  );
  expect(tunnelProviders.find((p) => p.provider === "NGROK")).toEqual({ provider: "NGROK", available: true, reason: null });

  const socket = owner.socket();
  const changes = socket.subscribe<{ kvChanged: { kind: string; key: string; entry: { value: unknown } | null } }>(
    `subscription { kvChanged(prefix: "smoke/") { kind key entry { value } } }`,
  );
  // The subscription is live once a write is seen through it (the binary's event bus is out of reach).
  await waitUntil(
    async () => {
      await owner.data(`mutation { setKv(key: "smoke/probe", value: 1) { version } }`);
      return changes.results.length > 0;
    },
    10_000,
    "the kvChanged subscription to deliver",
  );
  await owner.data(`mutation { setKv(key: "smoke/a", value: {hello: "world"}) { version } }`);
  expect(await owner.data(`{ kv(key: "smoke/a") { value version } }`)).toEqual({ kv: { value: { hello: "world" }, version: 1 } });
  await waitUntil(() => changes.results.some((r) => r.data?.kvChanged.key === "smoke/a"), 10_000, "the change to smoke/a");
  expect(changes.results.find((r) => r.data?.kvChanged.key === "smoke/a")?.data?.kvChanged).toEqual({
    kind: "SET",
    key: "smoke/a",
    entry: { value: { hello: "world" } },
  });
  await socket.dispose();

  started.proc.kill("SIGTERM");
  expect(await started.proc.exited).toBe(0);
}
