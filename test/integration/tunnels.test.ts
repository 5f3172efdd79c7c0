// Tunnels as an admin uses them: open one through a localtunnel-protocol stand-in and a fake
// cloudflared, reach Outpost through it over HTTP and WebSocket, tell visitors apart by the
// tunnel's header (and never by a direct caller's), survive the provider dying, come back at start.
import { afterEach, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createManualClock } from "../../server/clock";
import type { TunnelInfo } from "../../server/tunnels/service";
import { createTunnelStore } from "../../server/tunnels/store";
import { ADMIN_PASSWORD, startTestApp, type TestApp } from "../harness/app";
import { codes, graphqlClient, waitUntil } from "../harness/client";
import { fakeCloudflared } from "../harness/fake-cloudflared";
import { type LocaltunnelStandIn, startLocaltunnelStandIn } from "../harness/localtunnel-server";

const TUNNEL_FIELDS = "id provider publicUrl state lastError startOnBoot requests reconnects";
const START_LOCALTUNNEL = `mutation ($server: String, $boot: Boolean) { startTunnel(provider: LOCALTUNNEL, server: $server, startOnBoot: $boot) { ${TUNNEL_FIELDS} } }`;
const LOGIN = "mutation ($u: String!, $p: String!) { login(username: $u, password: $p) { accessToken } }";

interface TunnelData {
  id: string;
  provider: string;
  publicUrl: string | null;
  state: string;
  lastError: string | null;
  startOnBoot: boolean;
  requests: number;
  reconnects: number;
}

const standIns: LocaltunnelStandIn[] = [];
afterEach(async () => {
  for (const standIn of standIns.splice(0)) await standIn.stop();
});
async function localtunnelServer(options?: Parameters<typeof startLocaltunnelStandIn>[0]) {
  const standIn = await startLocaltunnelStandIn(options);
  standIns.push(standIn);
  return standIn;
}

describe("localtunnel", () => {
  test("an admin opens a tunnel; an HTTP request and a WebSocket reach Outpost through it", async () => {
    await using server = await startTestApp();
    const standIn = await localtunnelServer();
    const admin = await server.admin();
    const { startTunnel } = await admin.data<{ startTunnel: TunnelData }>(START_LOCALTUNNEL, { server: standIn.url });
    expect(startTunnel.state).toBe("ONLINE");
    expect(startTunnel.publicUrl).toMatch(/^http:\/\/[a-z0-9]+\.localtunnel\.test:\d+$/);

    const visitor = graphqlClient(standIn.publicUrl);
    const viaTunnel = await visitor.data<{ health: { ok: boolean } }>("{ health { ok } }");
    expect(viaTunnel.health.ok).toBe(true);

    // A signed-in visitor's subscription over a WebSocket through the tunnel.
    const signedIn = await visitor.data<{ login: { accessToken: string } }>(LOGIN, { u: "admin", p: ADMIN_PASSWORD });
    const socket = graphqlClient(standIn.publicUrl, signedIn.login.accessToken).socket();
    const events = await server.listening("tunnel.status", () =>
      socket.subscribe<{ tunnelEvents: TunnelData }>("subscription { tunnelEvents { id startOnBoot } }"),
    );
    await admin.data("mutation ($id: ID!) { setTunnelStartOnBoot(id: $id, startOnBoot: true) { id } }", { id: startTunnel.id });
    await events.waitFor(1);
    expect(events.results[0]?.data?.tunnelEvents).toMatchObject({ id: startTunnel.id, startOnBoot: true });
    await socket.dispose();

    const { tunnels } = await admin.data<{ tunnels: TunnelData[] }>(`{ tunnels { ${TUNNEL_FIELDS} } }`);
    expect(tunnels[0]?.requests).toBeGreaterThanOrEqual(3);

    const { stopTunnel } = await admin.data<{ stopTunnel: TunnelData }>(
      `mutation ($id: ID!) { stopTunnel(id: $id) { ${TUNNEL_FIELDS} } }`,
      {
        id: startTunnel.id,
      },
    );
    expect(stopTunnel.state).toBe("STOPPED");
  });
});

/** The tunnel's state as the service lists it. */
const stateOf = (server: TestApp, id: string) => server.app.services.tunnels.list().find((t) => t.id === id)?.state;

describe("cloudflared", () => {
  test("a quick tunnel shows cloudflared's URL, carries visitors by CF-Connecting-IP (from cloudflared alone), and restarts the program when it dies", async () => {
    const clock = createManualClock(Date.now());
    const cloudflared = fakeCloudflared();
    await using server = await startTestApp({ clock, config: { cloudflaredPath: cloudflared.path } });
    const admin = await server.admin();
    const { startTunnel } = await admin.data<{ startTunnel: TunnelData }>(
      `mutation { startTunnel(provider: CLOUDFLARED) { ${TUNNEL_FIELDS} } }`,
    );
    const edge = cloudflared.edge();
    expect(startTunnel.state).toBe("ONLINE");
    expect(startTunnel.publicUrl).toBe(edge?.url as string);
    expect(startTunnel.publicUrl).toMatch(/^https:\/\/[a-z0-9-]+\.trycloudflare\.com$/);

    const visitor = graphqlClient(`http://127.0.0.1:${edge?.port}`);
    for (let i = 0; i < 5; i++)
      await visitor.request(LOGIN, { u: "admin", p: "wrong-password" }, { "x-stand-in-visitor": "198.51.100.30" });
    expect(codes(await visitor.request(LOGIN, { u: "admin", p: ADMIN_PASSWORD }, { "x-stand-in-visitor": "198.51.100.30" }))).toEqual([
      "LIMIT_EXCEEDED",
    ]);
    expect(
      (await visitor.request(LOGIN, { u: "admin", p: ADMIN_PASSWORD }, { "x-stand-in-visitor": "198.51.100.31" })).errors,
    ).toBeUndefined();

    // Another local process calling cloudflared's loopback entrance cannot name visitors there.
    const local = graphqlClient(edge?.origin as string);
    const spoofed = (i: number) => ({ "cf-connecting-ip": `203.0.113.${i}`, "x-forwarded-for": `203.0.113.${i}` });
    for (let i = 0; i < 5; i++) await local.request(LOGIN, { u: "admin", p: "wrong-password" }, spoofed(i));
    expect(codes(await local.request(LOGIN, { u: "admin", p: ADMIN_PASSWORD }, spoofed(99)))).toEqual(["LIMIT_EXCEEDED"]);

    process.kill(edge?.pid as number, "SIGKILL");
    await waitUntil(() => stateOf(server, startTunnel.id) === "RECONNECTING", 5000, "the tunnel to notice cloudflared died");
    await clock.advance(1000);
    await waitUntil(() => stateOf(server, startTunnel.id) === "ONLINE", 10_000, "cloudflared to be started again");
    const restarted = server.app.services.tunnels.list()[0];
    expect(restarted?.publicUrl).toBe(cloudflared.edge()?.url as string);
    expect(restarted?.publicUrl).not.toBe(startTunnel.publicUrl);
    await admin.data("mutation ($id: ID!) { stopTunnel(id: $id) { id } }", { id: startTunnel.id });
    expect(server.app.services.tunnels.list()[0]?.state).toBe("STOPPED");
  });

  test("a named tunnel gets its token in the environment, shows its hostname, and keeps the token off disk and out of the audit log", async () => {
    const cloudflared = fakeCloudflared();
    await using server = await startTestApp({ config: { cloudflaredPath: cloudflared.path } });
    const admin = await server.admin();
    const START_NAMED = `mutation ($token: String) { startTunnel(provider: CLOUDFLARED, hostname: "box.example.com", token: $token, startOnBoot: true) { ${TUNNEL_FIELDS} } }`;
    const noToken = await admin.request(START_NAMED, {});
    expect(codes(noToken)).toEqual(["BAD_USER_INPUT"]);
    expect(noToken.errors?.[0]?.message).toContain("needs its token");
    const refused = await admin.request(START_NAMED, { token: "not-a-token" });
    expect(codes(refused)).toEqual(["CONFLICT"]);
    expect(refused.errors?.[0]?.message).toContain("Provided Tunnel token is not valid");

    const token = "eyJhIjoic2VjcmV0LXRva2VuLW9mLXRoZS10dW5uZWwifQ";
    const { startTunnel } = await admin.data<{ startTunnel: TunnelData }>(START_NAMED, { token });
    expect(startTunnel).toMatchObject({ state: "ONLINE", publicUrl: "https://box.example.com", startOnBoot: true });
    await server.app.settled();
    const kept = JSON.stringify([
      server.app.db.query("SELECT * FROM tunnels_on_boot").all(),
      server.app.services.audit.list({ first: 50 }).entries,
    ]);
    expect(kept).toContain("box.example.com");
    expect(kept).not.toContain(token);
  });

  test("a missing program and an unreachable Cloudflare are clear errors", async () => {
    const cloudflared = fakeCloudflared();
    await using server = await startTestApp({ config: { cloudflaredPath: join(cloudflared.stateDir, "missing") } });
    const admin = await server.admin();
    const missing = await admin.request("mutation { startTunnel(provider: CLOUDFLARED) { id } }");
    expect(codes(missing)).toEqual(["BAD_USER_INPUT"]);
    expect(missing.errors?.[0]?.message).toContain("is not an executable file");

    await using other = await startTestApp({ config: { cloudflaredPath: cloudflared.path } });
    writeFileSync(join(cloudflared.stateDir, "unreachable"), "");
    const offline = await (await other.admin()).request("mutation { startTunnel(provider: CLOUDFLARED) { id } }");
    expect(codes(offline)).toEqual(["CONFLICT"]);
    expect(offline.errors?.[0]?.message).toContain("failed to request quick Tunnel");
  });
});

describe("client addresses", () => {
  test("two visitors through the tunnel have separate lockouts; the audit log names each", async () => {
    await using server = await startTestApp();
    const standIn = await localtunnelServer();
    await (await server.admin()).data(START_LOCALTUNNEL, { server: standIn.url });
    const visitor = graphqlClient(standIn.publicUrl);
    const from = (address: string) => ({ "x-stand-in-visitor": address });
    for (let i = 0; i < 5; i++)
      expect(codes(await visitor.request(LOGIN, { u: "admin", p: "wrong-password" }, from("198.51.100.7")))).toEqual(["UNAUTHENTICATED"]);
    expect(codes(await visitor.request(LOGIN, { u: "admin", p: ADMIN_PASSWORD }, from("198.51.100.7")))).toEqual(["LIMIT_EXCEEDED"]);
    expect((await visitor.request(LOGIN, { u: "admin", p: ADMIN_PASSWORD }, from("203.0.113.8"))).errors).toBeUndefined();
    await server.app.settled();
    // The admin who opened the tunnel signed in directly, from 127.0.0.1.
    const rows = server.app.services.audit
      .list({ filter: { action: "mutation.login" }, first: 10 })
      .entries.filter((r) => r.ip !== "127.0.0.1");
    expect(rows.map((r) => [r.ip, r.result])).toEqual([
      ["203.0.113.8", "ok"],
      ["198.51.100.7", "LIMIT_EXCEEDED"],
      ...Array(5).fill(["198.51.100.7", "UNAUTHENTICATED"]),
    ]);
  });

  test("a direct caller's X-Forwarded-For and CF-Connecting-IP are ignored while tunnels are open", async () => {
    await using server = await startTestApp({ config: { cloudflaredPath: fakeCloudflared().path } });
    const standIn = await localtunnelServer();
    const admin = await server.admin();
    await admin.data(START_LOCALTUNNEL, { server: standIn.url });
    await admin.data("mutation { startTunnel(provider: CLOUDFLARED) { id } }");
    const spoofed = (i: number) => ({
      "x-forwarded-for": `198.51.100.${i}`,
      "cf-connecting-ip": `198.51.100.${i}`,
      "x-stand-in-visitor": `198.51.100.${i}`,
    });
    for (let i = 0; i < 5; i++) await server.anonymous.request(LOGIN, { u: "admin", p: "wrong-password" }, spoofed(i));
    expect(codes(await server.anonymous.request(LOGIN, { u: "admin", p: ADMIN_PASSWORD }, spoofed(99)))).toEqual(["LIMIT_EXCEEDED"]);
    await server.app.settled();
    const ips = server.app.services.audit.list({ filter: { action: "mutation.login" }, first: 10 }).entries.map((r) => r.ip);
    expect(new Set(ips)).toEqual(new Set(["127.0.0.1"]));
  });
});

describe("staying up", () => {
  test("a tunnel whose server dies reconnects with doubling backoff on the clock, and comes back online", async () => {
    const clock = createManualClock(Date.now());
    await using server = await startTestApp({ clock });
    let standIn = await localtunnelServer();
    const ports = { controlPort: Number(new URL(standIn.url).port), publicPort: Number(new URL(standIn.publicUrl).port) };
    const { startTunnel } = await (await server.admin()).data<{ startTunnel: TunnelData }>(START_LOCALTUNNEL, { server: standIn.url });
    const seen: TunnelInfo[] = [];
    server.app.events.on("tunnel.status", (t) => seen.push(t));
    const reconnecting = () => seen.filter((t) => t.state === "RECONNECTING").length;

    await standIn.stop();
    await waitUntil(() => reconnecting() === 1, 5000, "the tunnel to notice the drop");
    expect(seen.at(-1)?.lastError).toContain("closed the tunnel");
    await clock.advance(999);
    expect(reconnecting()).toBe(1);
    await clock.advance(1);
    await waitUntil(() => reconnecting() === 2, 5000, "the first reconnection to fail");
    expect(seen.at(-1)?.lastError).toContain("could not be reached");
    await clock.advance(1999);
    expect(reconnecting()).toBe(2);
    await clock.advance(1);
    await waitUntil(() => reconnecting() === 3, 5000, "the second reconnection to fail");

    standIn = await localtunnelServer(ports);
    await clock.advance(4000);
    await waitUntil(() => stateOf(server, startTunnel.id) === "ONLINE", 5000, "the tunnel to be back online");
    const back = await graphqlClient(standIn.publicUrl).data<{ health: { ok: boolean } }>("{ health { ok } }");
    expect(back.health.ok).toBe(true);
    expect(server.app.services.tunnels.list()[0]?.reconnects).toBe(1);
    await server.app.settled();
    const audited = server.app.services.audit.list({ filter: { action: "tunnel." }, first: 10 }).entries.map((r) => r.action);
    expect(audited).toEqual(["tunnel.online", "tunnel.reconnecting", "tunnel.reconnecting", "tunnel.reconnecting", "tunnel.online"]);
  });

  test("a start-on-boot tunnel is opened again when Outpost starts; a stopped one is not", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "outpost-tunnels-boot-"));
    try {
      const standIn = await localtunnelServer();
      let kept: string;
      {
        await using first = await startTestApp({ dataDir });
        const admin = await first.admin();
        kept = (await admin.data<{ startTunnel: TunnelData }>(START_LOCALTUNNEL, { server: standIn.url, boot: true })).startTunnel.id;
        const dropped = (await admin.data<{ startTunnel: TunnelData }>(START_LOCALTUNNEL, { server: standIn.url, boot: true })).startTunnel
          .id;
        await admin.data("mutation ($id: ID!) { stopTunnel(id: $id) { id } }", { id: dropped });
      }
      await using second = await startTestApp({ dataDir });
      await waitUntil(() => stateOf(second, kept) === "ONLINE", 10_000, "the tunnel to be restored");
      expect(second.app.services.tunnels.list().map((t) => [t.id, t.startOnBoot])).toEqual([[kept, true]]);
      expect((await graphqlClient(standIn.publicUrl).data<{ health: { ok: boolean } }>("{ health { ok } }")).health.ok).toBe(true);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe("refusals", () => {
  test("no tunnel opens while no admin exists", async () => {
    await using server = await startTestApp({ seedAdmin: false });
    const standIn = await localtunnelServer();
    const attempt = server.app.services.tunnels.start(
      { userId: "nobody", username: "nobody" },
      { provider: "LOCALTUNNEL", server: standIn.url },
    );
    await expect(attempt).rejects.toThrow("No admin exists yet");
    expect(standIn.idleConnections()).toBe(0);
  });

  test("a start-on-boot tunnel stays closed when Outpost starts with no admin", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "outpost-tunnels-noadmin-"));
    try {
      const standIn = await localtunnelServer();
      {
        await using first = await startTestApp({ dataDir, seedAdmin: false });
        createTunnelStore(first.app.db).add(
          { id: "t-1", provider: "LOCALTUNNEL", options: { server: standIn.url }, startedBy: null },
          Date.now(),
        );
      }
      await using second = await startTestApp({ dataDir, seedAdmin: false });
      const [restored] = second.app.services.tunnels.list();
      expect(restored?.state).toBe("FAILED");
      expect(restored?.lastError).toContain("No admin exists");
      expect(standIn.idleConnections()).toBe(0);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  test("operators and viewers cannot open, list or stop tunnels", async () => {
    await using server = await startTestApp();
    for (const role of ["operator", "viewer"] as const) {
      const user = await server.userWithRole(role);
      expect(codes(await user.request("mutation { startTunnel(provider: LOCALTUNNEL) { id } }"))).toEqual(["FORBIDDEN"]);
      expect(codes(await user.request("{ tunnels { id } }"))).toEqual(["FORBIDDEN"]);
      expect(codes(await user.request('mutation { stopTunnel(id: "x") { id } }'))).toEqual(["FORBIDDEN"]);
    }
  });

  test("an unreachable localtunnel server is a clear error within the start timeout, and the tunnel is listed FAILED", async () => {
    await using server = await startTestApp({ config: { tunnelStartTimeoutSeconds: 2 } });
    const standIn = await localtunnelServer();
    const closedPort = new URL(standIn.url).port;
    await standIn.stop();
    const started = Date.now();
    const result = await (await server.admin()).request(START_LOCALTUNNEL, { server: `http://127.0.0.1:${closedPort}` });
    expect(Date.now() - started).toBeLessThan(3000);
    expect(codes(result)).toEqual(["CONFLICT"]);
    expect(result.errors?.[0]?.message).toContain("could not be reached");
    expect(server.app.services.tunnels.list().map((t) => t.state)).toEqual(["FAILED"]);
  });

  test("ngrok without an authtoken says so; with one but no way to reach ngrok, it fails within the timeout", async () => {
    await using server = await startTestApp({ config: { tunnelStartTimeoutSeconds: 3 } });
    const admin = await server.admin();
    const { tunnelProviders } = await admin.data<{ tunnelProviders: { provider: string; available: boolean }[] }>(
      "{ tunnelProviders { provider available reason } }",
    );
    expect(tunnelProviders.find((p) => p.provider === "NGROK")?.available).toBe(true);
    const missing = await admin.request("mutation { startTunnel(provider: NGROK) { id } }");
    expect(codes(missing)).toEqual(["BAD_USER_INPUT"]);
    expect(missing.errors?.[0]?.message).toContain("ngrok needs an authtoken");
    const started = Date.now();
    const unreachable = await admin.request('mutation { startTunnel(provider: NGROK, authtoken: "2abcdefghijklmnop_test") { id } }');
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(codes(unreachable)).toEqual(["CONFLICT"]);
    expect(unreachable.errors?.[0]?.message).toMatch(/ngrok/);
  });
});
