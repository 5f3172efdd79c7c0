// Who the server believes a client is: X-Forwarded-For counts only from a proxy the admin listed
// (trustedProxies), so a forwarder on this machine that does not set it (ssh -L, socat) cannot let
// remote clients pick their address; an IPv6 client counts by its /64; one username under attack
// from many addresses backs off; and our request id is never the one the client chose.
import { describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createApp } from "../../server/app";
import { createManualClock } from "../../server/clock";
import { loadConfig } from "../../server/config";
import { ConfigError } from "../../server/errors";
import { createLogger } from "../../server/log";
import { ADMIN_PASSWORD, startTestApp } from "../harness/app";
import { codes } from "../harness/client";

const LOGIN = "mutation ($u: String!, $p: String!) { login(username: $u, password: $p) { accessToken } }";
const from = (address: string) => ({ "x-forwarded-for": address });

describe("without trusted proxies (the default)", () => {
  test("X-Forwarded-For from a loopback peer is ignored: the lockout counts the real peer", async () => {
    await using server = await startTestApp();
    for (let i = 0; i < 5; i++)
      expect(codes(await server.anonymous.request(LOGIN, { u: "admin", p: "wrong-password" }, from(`198.51.100.${i}`)))).toEqual([
        "UNAUTHENTICATED",
      ]);
    const picked = await server.anonymous.request(LOGIN, { u: "admin", p: ADMIN_PASSWORD }, from("203.0.113.99"));
    expect(codes(picked)).toEqual(["LIMIT_EXCEEDED"]);
    await server.app.settled(); // audit rows are written in batches
    const rows = server.app.services.audit.list({ filter: { action: "mutation.login" }, first: 10 }).entries;
    expect(new Set(rows.map((r) => r.ip))).toEqual(new Set(["127.0.0.1"]));
  });

  test("X-Forwarded-For does not escape the rate limit", async () => {
    await using server = await startTestApp({ config: { rateLimitApiPerMinute: 20 } });
    let status = 200;
    for (let i = 0; i < 30 && status !== 429; i++)
      status = (await server.anonymous.request("{ health { ok } }", undefined, from(`198.51.100.${i}`))).status;
    expect(status).toBe(429);
    expect((await server.anonymous.request("{ health { ok } }", undefined, from("203.0.113.1"))).status).toBe(429);
  });
});

describe("with a trusted proxy", () => {
  test("its forwarded address is the client's, in the lockout and in the audit log", async () => {
    await using server = await startTestApp({ config: { trustedProxies: "127.0.0.1" } });
    for (let i = 0; i < 5; i++) await server.anonymous.request(LOGIN, { u: "admin", p: "wrong-password" }, from("198.51.100.20"));
    expect(codes(await server.anonymous.request(LOGIN, { u: "admin", p: ADMIN_PASSWORD }, from("198.51.100.20")))).toEqual([
      "LIMIT_EXCEEDED",
    ]);
    expect((await server.anonymous.request(LOGIN, { u: "admin", p: ADMIN_PASSWORD }, from("198.51.100.21"))).errors).toBeUndefined();
    await server.app.settled();
    const rows = server.app.services.audit.list({ filter: { action: "mutation.login" }, first: 10 }).entries;
    expect(rows.map((r) => [r.ip, r.result])).toEqual([
      ["198.51.100.21", "ok"],
      ["198.51.100.20", "LIMIT_EXCEEDED"],
      ...Array(5).fill(["198.51.100.20", "UNAUTHENTICATED"]),
    ]);
  });

  test("an IPv6 client counts by its /64: fresh addresses in it do not escape the lockout; audit keeps each address", async () => {
    await using server = await startTestApp({ config: { trustedProxies: "127.0.0.1" } });
    for (let i = 1; i <= 5; i++) await server.anonymous.request(LOGIN, { u: "admin", p: "wrong-password" }, from(`2001:db8:1:2::${i}`));
    const sameNetwork = await server.anonymous.request(LOGIN, { u: "admin", p: ADMIN_PASSWORD }, from("2001:db8:1:2:abcd::6"));
    expect(codes(sameNetwork)).toEqual(["LIMIT_EXCEEDED"]);
    const nextNetwork = await server.anonymous.request(LOGIN, { u: "admin", p: ADMIN_PASSWORD }, from("2001:db8:1:3::1"));
    expect(nextNetwork.errors).toBeUndefined();
    await server.app.settled();
    const ips = server.app.services.audit.list({ filter: { action: "mutation.login" }, first: 10 }).entries.map((r) => r.ip);
    expect(ips).toContain("2001:db8:1:2::3");
    expect(ips).toContain("2001:db8:1:2:abcd::6");
  });

  test("an IPv6 client's /64 holds at most 32 sockets", async () => {
    await using server = await startTestApp({ config: { trustedProxies: "127.0.0.1" } });
    const url = `${server.url.replace("http", "ws")}/graphql`;
    const open = (address: string): Promise<WebSocket | null> =>
      new Promise((resolve) => {
        // Bun's WebSocket takes request headers as an option.
        const socket = new WebSocket(url, { protocols: ["graphql-transport-ws"], headers: from(address) } as unknown as string[]);
        socket.onopen = () => resolve(socket);
        socket.onerror = () => resolve(null);
      });
    const sockets: (WebSocket | null)[] = [];
    for (let i = 1; i <= 32; i++) sockets.push(await open(`2001:db8:7:7::${i.toString(16)}`));
    expect(sockets.every(Boolean)).toBe(true);
    const sameNetwork = await open("2001:db8:7:7:ffff::1");
    const nextNetwork = await open("2001:db8:7:8::1");
    expect(sameNetwork).toBeNull();
    expect(nextNetwork).not.toBeNull();
    for (const socket of [...sockets, nextNetwork]) socket?.close();
  });

  test("a username guessed from 20 addresses backs off for every address, but the user gets in within a minute", async () => {
    const clock = createManualClock(Date.now());
    await using server = await startTestApp({ clock, config: { trustedProxies: "127.0.0.1" } });
    for (let i = 0; i < 20; i++)
      expect(codes(await server.anonymous.request(LOGIN, { u: "admin", p: `guess-${i}-password` }, from(`198.51.100.${i}`)))).toEqual([
        "UNAUTHENTICATED",
      ]);
    const fresh = await server.anonymous.request(LOGIN, { u: "admin", p: ADMIN_PASSWORD }, from("203.0.113.5"));
    expect(codes(fresh)).toEqual(["LIMIT_EXCEEDED"]);
    const retryAfter = Number(fresh.headers.get("retry-after"));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    await clock.advance(retryAfter * 1000);
    expect((await server.anonymous.request(LOGIN, { u: "admin", p: ADMIN_PASSWORD }, from("203.0.113.5"))).errors).toBeUndefined();
  });

  test("an entry that is not an IP address stops the start, naming the setting", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "outpost-test-"));
    try {
      const config = { ...loadConfig({ flags: { data: dataDir, port: "0" }, env: {} }), trustedProxies: "127.0.0.1, my-proxy" };
      const starting = createApp(config, { log: createLogger({ level: "error", write: () => {} }) });
      await expect(starting).rejects.toThrow(ConfigError);
      await expect(starting).rejects.toThrow(/trustedProxies.*"my-proxy"/);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe("request ids", () => {
  test("an x-request-id chosen by the client is not echoed as ours", async () => {
    await using server = await startTestApp();
    const graphql = await server.anonymous.request("{ health { ok } }", undefined, { "x-request-id": "chosen-by-client" });
    const health = await fetch(`${server.url}/health`, { headers: { "x-request-id": "chosen-by-client" } });
    const missing = await fetch(`${server.url}/nowhere.txt`, { headers: { "x-request-id": "chosen-by-client" } });
    for (const response of [graphql, health, missing]) {
      expect(response.headers.get("x-request-id")).toBeTruthy();
      expect(response.headers.get("x-request-id")).not.toBe("chosen-by-client");
    }
    expect(((await missing.json()) as { error: { requestId: string } }).error.requestId).toBe(
      missing.headers.get("x-request-id") as string,
    );
  });
});
