// Tunnels against hostile neighbours: a local process that borrows cloudflared's connection to pass
// as its tunnel, a localtunnel server that accepts and at once closes every pooled connection, one
// that answers the registration with an endless body, a cloudflared wrapper that does not exec, and
// a provider whose error message quotes the token it was given.
import { afterEach, describe, expect, test } from "bun:test";
import { chmodSync, readFileSync, writeFileSync } from "node:fs";
import { createServer, connect as dial, type Server as NetServer } from "node:net";
import { join } from "node:path";
import { ADMIN_PASSWORD, startTestApp } from "../harness/app";
import { codes, graphqlClient, waitUntil } from "../harness/client";
import { fakeCloudflared } from "../harness/fake-cloudflared";

const LOGIN = "mutation ($u: String!, $p: String!) { login(username: $u, password: $p) { accessToken } }";
const START_LOCALTUNNEL = "mutation ($server: String) { startTunnel(provider: LOCALTUNNEL, server: $server) { id state } }";

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

/** The source ports of established connections from 127.0.0.1 to 127.0.0.1:`port`, from /proc/net/tcp. */
function loopbackClientPorts(port: number): number[] {
  const target = `0100007F:${port.toString(16).toUpperCase().padStart(4, "0")}`;
  return readFileSync("/proc/net/tcp", "latin1")
    .split("\n")
    .map((line) => line.trim().split(/\s+/))
    .filter((f) => f[2] === target && f[1]?.startsWith("0100007F:") && f[3] === "01")
    .map((f) => Number.parseInt((f[1] as string).slice(9), 16));
}

/** One kept-alive HTTP/1.1 connection from `localAddress:localPort`; `post` sends a GraphQL request and reads its JSON answer. */
async function rawConnection(port: number, localAddress: string, localPort: number) {
  const socket = dial({ host: "127.0.0.1", port, localAddress, localPort });
  await new Promise<void>((resolve, reject) => {
    socket.once("connect", resolve);
    socket.once("error", reject);
  });
  let buffered = Buffer.alloc(0);
  let waiting: (() => void) | null = null;
  socket.on("data", (chunk: Buffer) => {
    buffered = Buffer.concat([buffered, chunk]);
    waiting?.();
  });
  const answer = async (): Promise<{ errors?: { extensions?: { code?: string } }[] }> => {
    for (;;) {
      const head = buffered.indexOf("\r\n\r\n");
      const length = head === -1 ? null : Number(/content-length: (\d+)/i.exec(buffered.subarray(0, head).toString())?.[1]);
      if (head !== -1 && length !== null && buffered.length >= head + 4 + length) {
        const body = buffered.subarray(head + 4, head + 4 + length).toString();
        buffered = buffered.subarray(head + 4 + length);
        return JSON.parse(body);
      }
      await new Promise<void>((resolve) => {
        waiting = resolve;
      });
    }
  };
  return {
    async post(query: string, variables: Record<string, unknown>, headers: Record<string, string>) {
      const body = JSON.stringify({ query, variables });
      const extra = Object.entries(headers).map(([name, value]) => `${name}: ${value}\r\n`);
      socket.write(
        `POST /graphql HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\ncontent-type: application/json\r\n${extra.join("")}content-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
      );
      return answer();
    },
    close: () => socket.destroy(),
  };
}

describe("cloudflared's loopback entrance", () => {
  test("a local process on 127.0.0.2 using the port of cloudflared's own connection cannot name visitors", async () => {
    const cloudflared = fakeCloudflared();
    await using server = await startTestApp({ config: { cloudflaredPath: cloudflared.path } });
    const admin = await server.admin();
    await admin.data("mutation { startTunnel(provider: CLOUDFLARED) { id } }");
    const edge = cloudflared.edge();
    const entrancePort = Number(new URL(edge?.origin as string).port);
    // A visitor's request makes cloudflared hold a kept-alive connection to the entrance.
    await graphqlClient(`http://127.0.0.1:${edge?.port}`).data("{ health { ok } }");
    const [cloudflaredPort] = loopbackClientPorts(entrancePort);
    expect(cloudflaredPort).toBeNumber();

    const borrowed = await rawConnection(entrancePort, "127.0.0.2", cloudflaredPort as number);
    cleanups.push(borrowed.close);
    for (let i = 0; i < 5; i++) await borrowed.post(LOGIN, { u: "admin", p: "wrong-password" }, { "cf-connecting-ip": `203.0.113.${i}` });
    const answer = await borrowed.post(LOGIN, { u: "admin", p: ADMIN_PASSWORD }, { "cf-connecting-ip": "203.0.113.99" });
    expect(answer.errors?.map((e) => e.extensions?.code)).toEqual(["LIMIT_EXCEEDED"]);
    expect(server.logs.some((line) => line.includes("do not come from the process Outpost started"))).toBe(false);
  });

  test("a cloudflared_path wrapper that does not exec cloudflared is warned about once", async () => {
    const cloudflared = fakeCloudflared();
    const wrapper = join(cloudflared.stateDir, "wrapper");
    writeFileSync(wrapper, `#!/bin/sh\n${cloudflared.path} "$@"\n`);
    chmodSync(wrapper, 0o755);
    await using server = await startTestApp({ config: { cloudflaredPath: wrapper } });
    const admin = await server.admin();
    await admin.data("mutation { startTunnel(provider: CLOUDFLARED) { id } }");
    const visitor = graphqlClient(`http://127.0.0.1:${cloudflared.edge()?.port}`);
    for (let i = 0; i < 25; i++) await visitor.request("{ health { ok } }", undefined, { "x-stand-in-visitor": `198.51.100.${i}` });
    const warnings = server.logs.filter((line) => line.includes("do not come from the process Outpost started"));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain(wrapper);
  });
});

describe("provider messages", () => {
  test("cloudflared's refusal quoting the token reaches the admin, the log and the audit log without it", async () => {
    const cloudflared = fakeCloudflared();
    await using server = await startTestApp({ config: { cloudflaredPath: cloudflared.path } });
    const token = "not-a-token-but-secret-all-the-same";
    const refused = await (await server.admin()).request(
      'mutation ($token: String) { startTunnel(provider: CLOUDFLARED, hostname: "box.example.com", token: $token) { id } }',
      { token },
    );
    expect(codes(refused)).toEqual(["CONFLICT"]);
    expect(refused.errors?.[0]?.message).toContain('Provided Tunnel token is not valid: "[redacted]"');
    await server.app.settled();
    const kept = JSON.stringify([server.app.services.tunnels.list(), server.app.services.audit.list({ first: 50 }).entries, server.logs]);
    expect(kept).toContain("[redacted]");
    expect(kept).not.toContain(token);
  });
});

/** A localtunnel registration endpoint whose tunnel port is `tunnelPort`, or whose answer is `answer`. */
function registrationServer(respond: () => Response) {
  const server = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: respond });
  cleanups.push(() => void server.stop(true));
  return `http://127.0.0.1:${server.port}`;
}

async function listen(server: NetServer): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  cleanups.push(() => server.close());
  return (server.address() as { port: number }).port;
}

describe("hostile localtunnel servers", () => {
  test("a server that accepts and at once closes every pooled connection makes the tunnel RECONNECTING, not a dial loop", async () => {
    let accepted = 0;
    const closer = createServer((socket) => {
      accepted++;
      socket.destroy();
    });
    const tunnelPort = await listen(closer);
    const url = registrationServer(() => Response.json({ id: "x", port: tunnelPort, max_conn_count: 2, url: "http://x.localtunnel.test" }));
    await using server = await startTestApp();
    const admin = await server.admin();
    const { startTunnel } = await admin.data<{ startTunnel: { id: string; state: string } }>(START_LOCALTUNNEL, { server: url });
    await waitUntil(
      () => server.app.services.tunnels.list().find((t) => t.id === startTunnel.id)?.state === "RECONNECTING",
      10_000,
      "the tunnel to be reported dropped",
    );
    const tunnel = server.app.services.tunnels.list()[0];
    expect(tunnel?.lastError).toContain("keeps closing");
    // Two slots, five unused closes each, then the pool gives up (the service's backoff waits on its clock).
    expect(accepted).toBeLessThanOrEqual(10);
  });

  test("a registration answer streamed without a length is read only up to 64 KiB", async () => {
    const endless = new ReadableStream<Uint8Array>({
      pull(controller) {
        controller.enqueue(new Uint8Array(16 << 10).fill(32));
      },
    });
    const url = registrationServer(() => new Response(endless, { headers: { "content-type": "application/json" } }));
    await using server = await startTestApp();
    const result = await (await server.admin()).request(START_LOCALTUNNEL, { server: url });
    expect(codes(result)).toEqual(["CONFLICT"]);
    expect(result.errors?.[0]?.message).toContain("more than 64 KiB");
  });
});
