// The server as a whole: health and readiness, the embedded UI, security headers, a taken port,
// and a graceful stop that lets in-flight work finish.
import { describe, expect, test } from "bun:test";
import type { Plugin } from "@envelop/core";
import { getOperationAST } from "graphql";
import { createApp, PortInUseError } from "../../server/app";
import { VERSION } from "../../server/version";
import { ADMIN_PASSWORD, startTestApp } from "../harness/app";

describe("health and readiness", () => {
  test("/health and /ready answer without signing in", async () => {
    await using server = await startTestApp();
    expect(await (await fetch(`${server.url}/health`)).json()).toEqual({ status: "ok", version: VERSION, setupRequired: false });
    const ready = await fetch(`${server.url}/ready`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({
      status: "ready",
      disk: {
        state: expect.stringMatching(/^(ok|low|full)$/),
        freeBytes: expect.any(Number),
        totalBytes: expect.any(Number),
        reserveBytes: expect.any(Number),
      },
    });
  });
});

describe("web UI", () => {
  test("index.html is served with its type, an ETag, and 304 when unchanged", async () => {
    await using server = await startTestApp();
    const page = await fetch(`${server.url}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toContain("text/html");
    expect(await page.text()).toContain("<div id=");
    const etag = page.headers.get("etag") as string;
    expect(etag).toMatch(/^".+"$/);
    const again = await fetch(`${server.url}/`, { headers: { "if-none-match": etag } });
    expect(again.status).toBe(304);
  });

  test("assets are served precompressed when the browser accepts it, and cached for good", async () => {
    await using server = await startTestApp();
    const html = await (await fetch(`${server.url}/`)).text();
    const script = /src="(\/assets\/[^"]+\.js)"/.exec(html)?.[1] as string;
    expect(script).toBeDefined();
    const plain = await fetch(`${server.url}${script}`, { headers: { "accept-encoding": "identity" }, decompress: false });
    const body = await plain.arrayBuffer();
    expect(plain.headers.get("content-type")).toContain("javascript");
    expect(plain.headers.get("cache-control")).toContain("immutable");
    const br = await fetch(`${server.url}${script}`, { headers: { "accept-encoding": "gzip, br" }, decompress: false });
    expect(br.headers.get("content-encoding")).toBe("br");
    expect((await br.arrayBuffer()).byteLength).toBeLessThan(body.byteLength);
    const gz = await fetch(`${server.url}${script}`, { headers: { "accept-encoding": "gzip" }, decompress: false });
    expect(gz.headers.get("content-encoding")).toBe("gzip");
  });

  test("an encoding the browser refuses with q=0 is not sent, and a preferred one is", async () => {
    await using server = await startTestApp();
    const html = await (await fetch(`${server.url}/`)).text();
    const script = /src="(\/assets\/[^"]+\.js)"/.exec(html)?.[1] as string;
    const encodingFor = async (acceptEncoding: string) =>
      (await fetch(`${server.url}${script}`, { headers: { "accept-encoding": acceptEncoding }, decompress: false })).headers.get(
        "content-encoding",
      );
    expect(await encodingFor("gzip, br;q=0")).toBe("gzip");
    expect(await encodingFor("br;q=0, gzip;q=0")).toBeNull();
    expect(await encodingFor("br;q=0.5, gzip")).toBe("gzip");
    expect(await encodingFor("gzip;q=0.8, br")).toBe("br");
  });

  test("client-side routes fall back to index.html; missing files are 404", async () => {
    await using server = await startTestApp();
    const route = await fetch(`${server.url}/data/some/prefix`);
    expect(route.status).toBe(200);
    expect(route.headers.get("content-type")).toContain("text/html");
    expect((await fetch(`${server.url}/assets/missing.js`)).status).toBe(404);
  });

  test("HSTS is sent when the client came over https through a local proxy or tunnel, on every path", async () => {
    await using server = await startTestApp({ config: { trustedProxies: "127.0.0.1" } });
    const admin = await server.admin();
    for (const path of ["/", "/health"]) {
      const response = await fetch(`${server.url}${path}`, { headers: { "x-forwarded-proto": "https" } });
      expect(response.headers.get("strict-transport-security")).toContain("max-age=");
    }
    const graphql = await admin.request("{ me { username } }", undefined, { "x-forwarded-proto": "https" });
    expect(graphql.headers.get("strict-transport-security")).toContain("max-age=");
    expect((await fetch(`${server.url}/health`)).headers.get("strict-transport-security")).toBeNull();
  });

  test("every response carries the security headers", async () => {
    await using server = await startTestApp();
    for (const path of ["/", "/health", "/graphql?query=%7Bhealth%7Bok%7D%7D", "/nowhere.txt"]) {
      const response = await fetch(`${server.url}${path}`);
      expect(response.headers.get("x-content-type-options")).toBe("nosniff");
      expect(response.headers.get("content-security-policy")).toContain("frame-ancestors 'none'");
      expect(response.headers.get("referrer-policy")).toBe("no-referrer");
    }
  });
});

describe("start and stop", () => {
  test("starting on a taken port fails with a message naming the port and the process holding it", async () => {
    await using first = await startTestApp();
    const clash = await createApp(
      { ...first.app.config, dataDir: `${first.dataDir}/clash`, port: first.port },
      { log: first.app.log, announce: () => {} },
    );
    const error = await clash.start().then(
      () => null,
      (err) => err,
    );
    expect(error).toBeInstanceOf(PortInUseError);
    expect(error.message).toContain(`Port ${first.port} is already in use by `);
    expect(error.message).toMatch(/\(pid \d+\)/);
    await clash.stop();
  });

  test("stop lets an in-flight request finish, closes sockets, and then refuses connections", async () => {
    // The operation named InFlight is held at its execution until the stop has begun, so it is
    // certainly in flight when the stop comes, however fast or slow the machine.
    let executing = () => {};
    const inExecution = new Promise<void>((resolve) => {
      executing = resolve;
    });
    let release = () => {};
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    const holdInFlight: Plugin = {
      async onExecute({ args }) {
        if (getOperationAST(args.document)?.name?.value !== "InFlight") return;
        executing();
        await released;
      },
    };
    const server = await startTestApp({ graphqlPlugins: [holdInFlight] });
    const admin = await server.admin();
    const socket = admin.socket();
    await server.listening("kv.changed", () => socket.subscribe(`subscription { kvChanged { key } }`));
    const inFlight = server.anonymous.request(
      `mutation InFlight { login(username: "admin", password: "${ADMIN_PASSWORD}") { user { username } } }`,
    );
    await inExecution;
    const stopped = server.stop();
    release();
    await stopped;
    expect((await inFlight).data).toEqual({ login: { user: { username: "admin" } } });
    expect(await socket.closed).toBe(1001);
    expect(
      await fetch(`${server.url}/health`).then(
        () => "answered",
        () => "refused",
      ),
    ).toBe("refused");
  });
});
