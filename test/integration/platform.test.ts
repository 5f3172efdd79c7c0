// The platform every capability builds on: a feature added only through the feature list works end
// to end (setting, permission, rate class, route with declared audit, job, GraphQL field); the HTTP
// edge answers unknown paths and methods in one JSON shape; the socket edge refuses unknown
// subprotocols; an envelop plugin's execute hook runs on every GraphQL path; and a start that fails
// part way leaves the data directory free and its database closed.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readdirSync, readlinkSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Plugin } from "@envelop/core";
import { getOperationAST } from "graphql";
import { createApp } from "../../server/app";
import { loadConfig } from "../../server/config";
import { defineFeature } from "../../server/feature";
import { FEATURES } from "../../server/features";
import { createLogger } from "../../server/log";
import { ADMIN_PASSWORD, startTestApp } from "../harness/app";
import { type GraphqlClient, graphqlClient, waitUntil } from "../harness/client";

describe("a feature defined only in a test file, added through the feature list", () => {
  let server: ReturnType<typeof Bun.spawn<"pipe", "pipe", "inherit">>;
  let url: string;
  let admin: GraphqlClient;
  const signIn = async (username: string, password: string) => {
    const result = await graphqlClient(url).data<{ login: { accessToken: string } }>(
      "mutation ($u: String!, $p: String!) { login(username: $u, password: $p) { accessToken } }",
      { u: username, p: password },
    );
    return graphqlClient(url, result.login.accessToken);
  };
  const userWithRole = async (role: string, username = `${role}-throwaway`) => {
    await admin.data("mutation ($u: String!, $r: Role!) { createUser(username: $u, password: $u, role: $r) { id } }", {
      u: username,
      r: role,
    });
    return signIn(username, username);
  };
  const ping = (client: GraphqlClient | null, name: string) =>
    fetch(`${url}/throwaway/${name}`, { headers: client?.accessToken ? { authorization: `Bearer ${client.accessToken}` } : {} });

  beforeAll(async () => {
    const dataDir = (await import("node:fs")).mkdtempSync(`${(await import("node:os")).tmpdir()}/outpost-throwaway-`);
    server = Bun.spawn([process.execPath, "test/fixtures/throwaway-feature.ts"], {
      cwd: new URL("../..", import.meta.url).pathname,
      env: { ...process.env, OUTPOST_DATA: dataDir, OUTPOST_ADMIN_PASSWORD: ADMIN_PASSWORD, OUTPOST_THROWAWAY_GREETING: "hi" },
      stdin: "pipe",
      stdout: "pipe",
      stderr: "inherit",
    });
    const reader = server.stdout.getReader();
    let text = "";
    while (!text.includes("\n")) {
      const { value, done } = await reader.read();
      if (done) throw new Error(`the throwaway server exited: ${text}`);
      text += new TextDecoder().decode(value);
    }
    url = JSON.parse(text.slice(0, text.indexOf("\n"))).url;
    admin = await signIn("admin", ADMIN_PASSWORD);
  }, 30_000);
  afterAll(async () => {
    server.stdin.end();
    await server.exited;
  });

  test("its route answers as its permission says, with its setting, and its job has run", async () => {
    const operator = await userWithRole("operator");
    const viewer = await userWithRole("viewer");
    const allowed = await ping(operator, "bob");
    expect(allowed.status).toBe(200);
    expect(await allowed.json()).toEqual({ greeting: "hi bob", ticks: 1 });
    const denied = await ping(viewer, "bob");
    expect(denied.status).toBe(403);
    expect((await denied.json()).error).toMatchObject({ code: "FORBIDDEN", requestId: expect.any(String) });
    expect((await ping(null, "bob")).status).toBe(401);
  });

  test("its GraphQL field, permission and job are part of the API", async () => {
    const operator = await userWithRole("operator", "operator2-throwaway");
    expect(await operator.data("{ throwawayGreeting }")).toEqual({ throwawayGreeting: "hi" });
    expect((await operator.data<{ me: { permissions: string[] } }>("{ me { permissions } }")).me.permissions).toContain("throwaway:ping");
    const { jobs } = await admin.data<{ jobs: { name: string; runs: number; nextRunAt: string }[] }>("{ jobs { name runs nextRunAt } }");
    expect(jobs.find((j) => j.name === "throwaway.tick")).toMatchObject({ runs: 1, nextRunAt: expect.any(String) });
  });

  test("its rate class limits its route per user, and its declared audit records the calls", async () => {
    const operator = await signIn("operator-throwaway", "operator-throwaway");
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await ping(operator, `carol${i}`)).status);
    expect(statuses).toContain(429);
    const { auditLog } = await admin.data<{
      auditLog: { nodes: { action: string; target: unknown; result: string; actorName: string }[] };
    }>('{ auditLog(filter: { action: "http.throwaway" }, first: 50) { nodes { action target result actorName } } }');
    expect(auditLog.nodes).toContainEqual({
      action: "http.throwaway",
      target: { name: "bob" },
      result: "ok",
      actorName: "operator-throwaway",
    });
    expect(auditLog.nodes).toContainEqual({
      action: "http.throwaway",
      target: { name: "bob" },
      result: "FORBIDDEN",
      actorName: "viewer-throwaway",
    });
  });

  test("its socket protocol is served beside graphql-ws, checks access at the upgrade, and closes when the credential ends", async () => {
    const operator = await userWithRole("operator", "operator3-throwaway");
    const viewer = await userWithRole("viewer", "viewer3-throwaway");
    const open = (client: GraphqlClient) => {
      const socket = new WebSocket(`${url.replace("http", "ws")}/throwaway/echo`, {
        protocols: ["outpost-throwaway"],
        headers: { authorization: `Bearer ${client.accessToken}` },
      } as unknown as string[]);
      const messages: string[] = [];
      socket.onmessage = (event) => messages.push(String(event.data));
      const closed = new Promise<number>((resolve) => {
        socket.onclose = (event) => resolve(event.code);
      });
      const opened = new Promise<boolean>((resolve) => {
        socket.onopen = () => resolve(true);
        socket.onerror = () => resolve(false);
      });
      return { socket, messages, closed, opened };
    };
    const refused = open(viewer);
    expect(await refused.opened).toBe(false);
    const echo = open(operator);
    expect(await echo.opened).toBe(true);
    echo.socket.send("there");
    await waitUntil(() => echo.messages.length > 0, 5000, "the echo");
    expect(echo.messages).toEqual(["hi there"]);
    const me = await operator.data<{ me: { id: string } }>("{ me { id } }");
    await admin.data("mutation ($id: ID!) { setUserDisabled(id: $id, disabled: true) { id } }", { id: me.me.id });
    expect(await echo.closed).toBe(4403);
    const { auditLog } = await admin.data<{ auditLog: { nodes: { result: string; actorName: string }[] } }>(
      '{ auditLog(filter: { action: "socket.throwaway" }, first: 10) { nodes { result actorName } } }',
    );
    expect(auditLog.nodes).toContainEqual({ result: "ok", actorName: "operator3-throwaway" });
    expect(auditLog.nodes).toContainEqual({ result: "FORBIDDEN", actorName: "viewer3-throwaway" });
  });
});

describe("the HTTP and socket edges", () => {
  test("unknown paths are 404 and wrong methods 405 with Allow, in one JSON error shape with the request id", async () => {
    await using server = await startTestApp();
    const missing = await fetch(`${server.url}/nothing-here.txt`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ error: { code: "NOT_FOUND", message: "Not found.", requestId: expect.any(String) } });
    const wrongMethod = await fetch(`${server.url}/health`, { method: "DELETE" });
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers.get("allow")).toContain("GET");
    expect((await wrongMethod.json()).error.code).toBe("BAD_USER_INPUT");
  });

  test("a socket upgrade without a served subprotocol is refused, naming the one to use", async () => {
    await using server = await startTestApp();
    const refused = await fetch(`${server.url}/graphql`, {
      headers: {
        upgrade: "websocket",
        connection: "Upgrade",
        "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==",
        "sec-websocket-version": "13",
        "sec-websocket-protocol": "chat",
      },
    });
    expect(refused.status).toBe(400);
    expect(await refused.text()).toContain("graphql-transport-ws");
  });

  test("an envelop plugin's execute hook runs for the JSON POST fast path and for yoga's path alike", async () => {
    const executed: string[] = [];
    const plugin: Plugin = { onExecute: ({ args }) => void executed.push(getOperationAST(args.document)?.name?.value ?? "anonymous") };
    await using server = await startTestApp({ graphqlPlugins: [plugin] });
    const admin = await server.admin();
    executed.length = 0;
    await admin.data("query ViaPost { me { username } }");
    const viaGet = await fetch(`${server.url}/graphql?query=${encodeURIComponent("query ViaGet { health { ok } }")}`, {
      headers: { accept: "application/json" },
    });
    expect(viaGet.status).toBe(200);
    expect(executed).toEqual(["ViaPost", "ViaGet"]);
  });
});

describe("a start that fails part way", () => {
  const failsToCreate = defineFeature({
    name: "fails-to-create",
    create: (): object => {
      throw new Error("the feature could not be created");
    },
  });
  // Its route clashes with the core's /health: the router refuses it once every feature is created.
  const declaresHealthAgain = defineFeature({
    name: "declares-health-again",
    create: () => ({}),
    routes: () => [{ method: "GET", path: "/health", access: "public", rateClass: null, handle: () => new Response("again") }],
  });

  /** The files of `dir` this process has open. */
  const openFilesIn = (dir: string) =>
    readdirSync("/proc/self/fd")
      .map((fd) => {
        try {
          return readlinkSync(`/proc/self/fd/${fd}`);
        } catch {
          return ""; // closed since the listing
        }
      })
      .filter((path) => path.startsWith(`${dir}/`));

  for (const [feature, error] of [
    [failsToCreate, "the feature could not be created"],
    [declaresHealthAgain, "/health is declared twice."],
  ] as const) {
    test(`(${feature.name}) closes the database and frees the data directory, so a second try in the process starts`, async () => {
      const dataDir = mkdtempSync(join(tmpdir(), "outpost-failed-start-"));
      const config = loadConfig({ flags: { data: dataDir, port: "0", host: "127.0.0.1" }, env: {} });
      const quiet = { log: createLogger({ level: "error", write: () => {} }), announce: () => {} };
      try {
        await expect(createApp(config, { ...quiet, features: [...FEATURES, feature] })).rejects.toThrow(error);
        expect(openFilesIn(dataDir)).toEqual([]);
        const app = await createApp(config, quiet);
        const { url } = await app.start();
        expect((await fetch(`${url}/health`)).status).toBe(200);
        await app.stop();
      } finally {
        rmSync(dataDir, { recursive: true, force: true });
      }
    });
  }
});
