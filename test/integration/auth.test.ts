// Sign-in end to end: first-run setup, login, sessions and refresh rotation, logout, cookies for
// the web UI, and that nothing but the public fields answers an anonymous caller (HTTP and WS).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createManualClock } from "../../server/clock";
import { ADMIN_PASSWORD, startTestApp, type TestApp } from "../harness/app";
import { codes, graphqlClient, openSocket } from "../harness/client";
import { rootOperations } from "../harness/schema-walk";

const PUBLIC_FIELDS = new Set(["health", "setup", "login", "refresh"]);
const LOGIN =
  "mutation ($u: String!, $p: String!) { login(username: $u, password: $p) { accessToken refreshToken user { username role } } }";
const REFRESH = "mutation ($t: String) { refresh(refreshToken: $t) { accessToken refreshToken } }";
const SETUP =
  "mutation ($t: String!, $u: String!, $p: String!) { setup(token: $t, username: $u, password: $p) { accessToken user { username role } } }";

describe("first-run setup", () => {
  test("with no users the server announces a one-time setup link; only its token creates the first admin", async () => {
    await using server = await startTestApp({ seedAdmin: false });
    const client = server.anonymous;
    expect(await client.data(`{ health { ok setupRequired } }`)).toEqual({ health: { ok: true, setupRequired: true } });
    const link = server.announced.find((line) => line.includes("/setup?token="));
    expect(link).toBeDefined();
    const token = new URL((link as string).slice((link as string).indexOf("http"))).searchParams.get("token") as string;

    const wrong = await client.request(SETUP, { t: `${token}x`, u: "alice", p: "correct horse" });
    expect(codes(wrong)).toEqual(["UNAUTHENTICATED"]);
    const weak = await client.request(SETUP, { t: token, u: "alice", p: "short" });
    expect(codes(weak)).toEqual(["BAD_USER_INPUT"]);

    const done = await client.data<{ setup: { accessToken: string; user: { username: string; role: string } } }>(SETUP, {
      t: token,
      u: "alice",
      p: "correct horse",
    });
    expect(done.setup.user).toEqual({ username: "alice", role: "admin" });
    const me = await graphqlClient(server.url, done.setup.accessToken).data(`{ me { username role } }`);
    expect(me).toEqual({ me: { username: "alice", role: "admin" } });

    expect(await client.data(`{ health { setupRequired } }`)).toEqual({ health: { setupRequired: false } });
    const again = await client.request(SETUP, { t: token, u: "mallory", p: "correct horse" });
    expect(codes(again)).toEqual(["CONFLICT"]);
  });

  test("OUTPOST_ADMIN_PASSWORD seeds user admin and no setup link is offered", async () => {
    await using server = await startTestApp();
    expect(server.announced.some((line) => line.includes("/setup?token="))).toBe(false);
    const admin = await server.admin();
    expect(await admin.data(`{ me { username role } }`)).toEqual({ me: { username: "admin", role: "admin" } });
  });
});

describe("sessions", () => {
  let server: TestApp;
  beforeAll(async () => {
    server = await startTestApp();
  });
  afterAll(() => server.stop());

  test("a wrong password or unknown user gets the same UNAUTHENTICATED answer", async () => {
    const wrong = await server.anonymous.request(LOGIN, { u: "admin", p: "not-the-password" });
    const unknown = await server.anonymous.request(LOGIN, { u: "nobody", p: "not-the-password" });
    expect(codes(wrong)).toEqual(["UNAUTHENTICATED"]);
    expect(wrong.errors?.[0]?.message).toBe(unknown.errors?.[0]?.message as string);
  });

  test("a disabled user cannot sign in", async () => {
    await server.app.services.users.create({ username: "dora", password: "dora-password", role: "viewer" });
    server.app.db.query("UPDATE users SET disabled = 1 WHERE username = 'dora'").run();
    expect(codes(await server.anonymous.request(LOGIN, { u: "dora", p: "dora-password" }))).toEqual(["UNAUTHENTICATED"]);
  });

  test("refresh rotates the pair; using a rotated refresh token again ends the whole session", async () => {
    const login = await server.anonymous.data<{ login: { accessToken: string; refreshToken: string } }>(LOGIN, {
      u: "admin",
      p: ADMIN_PASSWORD,
    });
    const first = login.login;
    const rotated = await server.anonymous.data<{ refresh: { accessToken: string; refreshToken: string } }>(REFRESH, {
      t: first.refreshToken,
    });
    expect(rotated.refresh.refreshToken).not.toBe(first.refreshToken);
    const fresh = graphqlClient(server.url, rotated.refresh.accessToken);
    expect(await fresh.data(`{ me { username } }`)).toEqual({ me: { username: "admin" } });

    const reuse = await server.anonymous.request(REFRESH, { t: first.refreshToken });
    expect(codes(reuse)).toEqual(["UNAUTHENTICATED"]);
    expect(reuse.errors?.[0]?.message).toContain("already used");
    // The thief's reuse ends the session for everyone holding it, including the latest pair.
    expect(codes(await fresh.request(`{ me { username } }`))).toEqual(["UNAUTHENTICATED"]);
    expect(codes(await server.anonymous.request(REFRESH, { t: rotated.refresh.refreshToken }))).toEqual(["UNAUTHENTICATED"]);
  });

  test("logout ends the session: its access and refresh tokens stop working, its sockets close", async () => {
    const login = await server.anonymous.data<{ login: { accessToken: string; refreshToken: string } }>(LOGIN, {
      u: "admin",
      p: ADMIN_PASSWORD,
    });
    const client = graphqlClient(server.url, login.login.accessToken);
    const socket = client.socket();
    const sub = await server.listening("kv.changed", () => socket.subscribe(`subscription { kvChanged { key } }`));
    expect(await client.data(`mutation { logout }`)).toEqual({ logout: true });
    expect(codes(await client.request(`{ me { username } }`))).toEqual(["UNAUTHENTICATED"]);
    expect(codes(await server.anonymous.request(REFRESH, { t: login.login.refreshToken }))).toEqual(["UNAUTHENTICATED"]);
    expect(await Promise.race([socket.closed, Bun.sleep(3000).then(() => "still open")])).toBe(4403);
    sub.stop();
    await socket.dispose();
  });

  test("a socket is closed (4403) by the periodic check once its access token expires, with no event to tell it", async () => {
    const clock = createManualClock(Date.now());
    await using timed = await startTestApp({ clock, config: { accessTokenTtlSeconds: 60 } });
    const admin = await timed.admin();
    const socket = admin.socket();
    await timed.listening("kv.changed", () => socket.subscribe(`subscription { kvChanged { key } }`));
    let closedWith: number | null = null;
    void socket.closed.then((code) => {
      closedWith = code;
    });
    await clock.advance(55_000);
    expect(closedWith).toBeNull();
    await clock.advance(10_000);
    expect(await socket.closed).toBe(4403);
    await socket.dispose();
  });

  test("a tampered, unsigned or garbage token is refused", async () => {
    const admin = await server.admin();
    const [header, payload] = (admin.accessToken as string).split(".");
    const claims = JSON.parse(Buffer.from(payload as string, "base64url").toString());
    const forged = Buffer.from(JSON.stringify({ ...claims, role: "admin", sub: "someone-else" })).toString("base64url");
    const none = `${Buffer.from(JSON.stringify({ alg: "none", typ: "JWT" })).toString("base64url")}.${payload}.`;
    for (const token of [`${header}.${forged}.${(admin.accessToken as string).split(".")[2]}`, none, "garbage"]) {
      const result = await graphqlClient(server.url, token).request(`{ me { username } }`);
      expect(codes(result)).toEqual(["UNAUTHENTICATED"]);
    }
  });

  test("login sets HttpOnly SameSite=Strict cookies that sign the UI in over HTTP and WebSocket, and logout clears them", async () => {
    const response = await fetch(`${server.url}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ query: LOGIN, variables: { u: "admin", p: ADMIN_PASSWORD } }),
    });
    const cookies = response.headers.getSetCookie();
    expect(cookies.length).toBe(2);
    for (const cookie of cookies) expect(cookie).toMatch(/HttpOnly; SameSite=Strict/);
    const cookieHeader = cookies.map((c) => c.split(";")[0]).join("; ");

    const me = await graphqlClient(server.url).request(`{ me { username } }`, undefined, { cookie: cookieHeader });
    expect(me.data).toEqual({ me: { username: "admin" } });

    const socket = openSocket(`${server.url.replace("http", "ws")}/graphql`, { headers: { cookie: cookieHeader } });
    const sub = await server.listening("kv.changed", () =>
      socket.subscribe<{ kvChanged: { key: string } }>(`subscription { kvChanged(prefix: "cookie/") { key } }`),
    );
    await (await server.admin()).data(`mutation { setKv(key: "cookie/a", value: 1) { key } }`);
    await sub.waitFor(1);
    expect(sub.results[0]?.data).toEqual({ kvChanged: { key: "cookie/a" } });
    await socket.dispose();

    // The refresh cookie alone renews the session, as the UI does when the access token expires.
    const refreshed = await graphqlClient(server.url).request(`mutation { refresh { accessTokenExpiresAt } }`, undefined, {
      cookie: cookieHeader,
    });
    expect(refreshed.errors).toBeUndefined();
    expect(refreshed.headers.getSetCookie().length).toBe(2);

    const logout = await graphqlClient(server.url).request(`mutation { logout }`, undefined, {
      cookie: refreshed.headers
        .getSetCookie()
        .map((c) => c.split(";")[0])
        .join("; "),
    });
    expect(logout.data).toEqual({ logout: true });
    for (const cookie of logout.headers.getSetCookie()) expect(cookie).toContain("Max-Age=0");
  });

  test("a page from another site cannot open a socket, with the UI's cookie or without", async () => {
    const login = await fetch(`${server.url}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ query: LOGIN, variables: { u: "admin", p: ADMIN_PASSWORD } }),
    });
    const cookie = login.headers
      .getSetCookie()
      .map((c) => c.split(";")[0])
      .join("; ");
    const upgrade = (headers: Record<string, string>) =>
      fetch(`${server.url}/graphql`, {
        headers: {
          upgrade: "websocket",
          connection: "Upgrade",
          "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==",
          "sec-websocket-version": "13",
          "sec-websocket-protocol": "graphql-transport-ws",
          ...headers,
        },
      });
    expect((await upgrade({ cookie, origin: "https://evil.example" })).status).toBe(403);
    expect((await upgrade({ origin: "https://evil.example" })).status).toBe(403);
    // The UI's own page may.
    const socket = openSocket(`${server.url.replace("http", "ws")}/graphql`, { headers: { cookie, origin: server.url } });
    const sub = await server.listening("kv.changed", () => socket.subscribe(`subscription { kvChanged { key } }`));
    sub.stop();
    await socket.dispose();
  });
});

describe("anonymous callers", () => {
  let server: TestApp;
  beforeAll(async () => {
    server = await startTestApp();
  });
  afterAll(() => server.stop());

  const operations = rootOperations();

  test("the schema has root fields to walk", () => {
    expect(operations.filter((o) => o.kind === "query").length).toBeGreaterThan(2);
    expect(operations.filter((o) => o.kind === "mutation").length).toBeGreaterThan(2);
    expect(operations.filter((o) => o.kind === "subscription").length).toBeGreaterThan(0);
  });

  for (const op of operations.filter((o) => o.kind !== "subscription" && !PUBLIC_FIELDS.has(o.field))) {
    test(`HTTP ${op.kind} ${op.field} answers UNAUTHENTICATED`, async () => {
      const result = await server.anonymous.request(op.document);
      expect(codes(result)).toEqual(["UNAUTHENTICATED"]);
    });
  }

  for (const op of operations.filter((o) => !PUBLIC_FIELDS.has(o.field))) {
    test(`WebSocket ${op.kind} ${op.field} answers UNAUTHENTICATED`, async () => {
      const socket = server.anonymous.socket();
      const sub = socket.subscribe(op.document);
      const outcome = await Promise.race([sub.ended, sub.waitFor(1).then(() => ({ error: sub.results[0]?.errors }))]);
      expect(JSON.stringify(outcome.error ?? sub.results)).toContain("UNAUTHENTICATED");
      await socket.dispose();
    });
  }

  test("the public fields answer without signing in", async () => {
    expect(await server.anonymous.data(`{ health { ok } }`)).toEqual({ health: { ok: true } });
  });
});

describe("roles", () => {
  test("a viewer reads data but cannot write it (FORBIDDEN)", async () => {
    await using server = await startTestApp();
    const viewer = await server.userWithRole("viewer");
    const operator = await server.userWithRole("operator");
    expect(await operator.data(`mutation { setKv(key: "r", value: 1) { version } }`)).toEqual({ setKv: { version: 1 } });
    expect(await viewer.data(`{ kv(key: "r") { value } }`)).toEqual({ kv: { value: 1 } });
    expect(codes(await viewer.request(`mutation { setKv(key: "r", value: 2) { version } }`))).toEqual(["FORBIDDEN"]);
    expect(codes(await viewer.request(`mutation { deleteKv(key: "r") }`))).toEqual(["FORBIDDEN"]);
  });
});
