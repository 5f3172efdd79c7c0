// Attacks on credentials and from browsers: forged and expired tokens, API key scopes, CSRF with
// cookies, CORS, GraphiQL, introspection and field suggestions. Password guessing and request
// limits are in abuse-limits.test.ts.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { brotliDecompressSync } from "node:zlib";
import { SignJWT } from "jose";
import { createManualClock } from "../../server/clock";
import { ADMIN_PASSWORD, startTestApp, type TestApp } from "../harness/app";
import { codes, type GraphqlClient, graphqlClient } from "../harness/client";

const ME = "{ me { username } }";

describe("tokens", () => {
  let server: TestApp;
  let secret: Uint8Array;
  let adminId: string;
  beforeAll(async () => {
    server = await startTestApp();
    secret = new TextEncoder().encode(readFileSync(join(server.dataDir, "secret"), "utf8").trim());
    adminId = (await (await server.admin()).data<{ me: { id: string } }>("{ me { id } }")).me.id;
  });
  afterAll(() => server.stop());

  const sign = (claims: Record<string, unknown>, { issuer = "outpost", audience = "outpost-api", expSeconds = 600, key = secret } = {}) =>
    new SignJWT(claims)
      .setProtectedHeader({ alg: "HS256" })
      .setSubject(adminId)
      .setIssuer(issuer)
      .setAudience(audience)
      .setIssuedAt()
      .setExpirationTime(Math.floor(Date.now() / 1000) + expSeconds)
      .sign(key);

  test("a token signed with another key, with alg none, expired, or from another issuer is refused", async () => {
    const admin = await server.admin();
    const [, payload] = (admin.accessToken as string).split(".");
    const sessionId = JSON.parse(Buffer.from(payload as string, "base64url").toString()).sid;
    const claims = { sid: sessionId, role: "admin" };
    const attacks = {
      "other key": await sign(claims, { key: new TextEncoder().encode("x".repeat(43)) }),
      "alg none": `${Buffer.from('{"alg":"none","typ":"JWT"}').toString("base64url")}.${payload}.`,
      expired: await sign(claims, { expSeconds: -60 }),
      "wrong issuer": await sign(claims, { issuer: "someone-else" }),
      "wrong audience": await sign(claims, { audience: "another-api" }),
      "no session": await sign({ role: "admin" }),
    };
    const results: Record<string, unknown> = {};
    for (const [name, token] of Object.entries(attacks)) results[name] = codes(await graphqlClient(server.url, token).request(ME));
    expect(results).toEqual(Object.fromEntries(Object.keys(attacks).map((name) => [name, ["UNAUTHENTICATED"]])));
    // The genuine token of the same session still works: the refusals were about the tokens.
    expect(await admin.data(ME)).toEqual({ me: { username: "admin" } });
  });

  test("an expired token says so", async () => {
    const admin = await server.admin();
    const [, payload] = (admin.accessToken as string).split(".");
    const sessionId = JSON.parse(Buffer.from(payload as string, "base64url").toString()).sid;
    const result = await graphqlClient(server.url, await sign({ sid: sessionId, role: "admin" }, { expSeconds: -60 })).request(ME);
    expect(result.errors?.[0]?.message).toContain("expired");
  });

  test("disabling a user closes their open socket within seconds and ends their sessions", async () => {
    const operator = await server.userWithRole("operator");
    const socket = operator.socket();
    await server.listening("kv.changed", () => socket.subscribe("subscription { kvChanged { key } }"));
    const { me } = await operator.data<{ me: { id: string } }>("{ me { id } }");
    const admin = await server.admin();
    const started = Date.now();
    await admin.data("mutation ($id: ID!) { setUserDisabled(id: $id, disabled: true) { disabled } }", { id: me.id });
    expect(await Promise.race([socket.closed, Bun.sleep(5000).then(() => "still open")])).toBe(4403);
    expect(Date.now() - started).toBeLessThan(3000);
    expect(codes(await operator.request(ME))).toEqual(["UNAUTHENTICATED"]);
    expect(
      codes(
        await server.anonymous.request("mutation ($t: String) { refresh(refreshToken: $t) { accessToken } }", { t: operator.refreshToken }),
      ),
    ).toEqual(["UNAUTHENTICATED"]);
  });
});

describe("API keys", () => {
  let server: TestApp;
  beforeAll(async () => {
    server = await startTestApp();
  });
  afterAll(() => server.stop());

  const CREATE =
    "mutation ($n: String!, $s: [String!]!, $e: DateTime, $p: String!) { createApiKey(name: $n, scopes: $s, expiresAt: $e, password: $p) { secret apiKey { id prefix scopes } } }";
  type Created = { createApiKey: { secret: string; apiKey: { id: string; prefix: string; scopes: string[] } } };
  /** The password `userWithRole` gave the user `client` is signed in as. */
  const passwordOf = async (client: GraphqlClient) =>
    `${(await client.data<{ me: { username: string } }>("{ me { username } }")).me.username}-password`;

  test("a key works over HTTP and WebSocket with its scopes, shows its secret once, and stops when revoked", async () => {
    const operator = await server.userWithRole("operator");
    const { createApiKey } = await operator.data<Created>(CREATE, {
      n: "deploy script",
      s: ["kv:read", "kv:write"],
      p: await passwordOf(operator),
    });
    expect(createApiKey.secret.startsWith(createApiKey.apiKey.prefix)).toBe(true);
    const key = graphqlClient(server.url, createApiKey.secret);
    expect(await key.data('mutation { setKv(key: "k", value: 1) { version } }')).toEqual({ setKv: { version: 1 } });
    expect(codes(await key.request("{ system { hostname } }"))).toEqual(["FORBIDDEN"]);
    expect(codes(await key.request("{ mySessions { id } }"))).toEqual(["FORBIDDEN"]);

    const socket = key.socket();
    const sub = await server.listening("kv.changed", () =>
      socket.subscribe<{ kvChanged: { key: string } }>('subscription { kvChanged(prefix: "k") { key } }'),
    );
    await key.data('mutation { setKv(key: "k", value: 2) { version } }');
    await sub.waitFor(1);

    const listed = await operator.data<{ apiKeys: { nodes: { name: string; prefix: string; lastUsedAt: string | null }[] } }>(
      "{ apiKeys { nodes { name prefix lastUsedAt } } }",
    );
    expect(JSON.stringify(listed)).not.toContain(createApiKey.secret);
    expect(listed.apiKeys.nodes[0]?.lastUsedAt).not.toBeNull();

    await operator.data("mutation ($id: ID!) { revokeApiKey(id: $id) }", { id: createApiKey.apiKey.id });
    expect(await Promise.race([socket.closed, Bun.sleep(5000).then(() => "still open")])).toBe(4403);
    const refused = await key.request('{ kv(key: "k") { value } }');
    expect(codes(refused)).toEqual(["UNAUTHENTICATED"]);
    expect(refused.errors?.[0]?.message).toContain("revoked");
  });

  test("a key cannot get more than its creator's role, and acts with no more than its owner's current role", async () => {
    const operator = await server.userWithRole("operator");
    const p = await passwordOf(operator);
    expect(codes(await operator.request(CREATE, { n: "too much", s: ["users:manage"], p }))).toEqual(["FORBIDDEN"]);
    expect(codes(await operator.request(CREATE, { n: "bad", s: ["nonsense"], p }))).toEqual(["BAD_USER_INPUT"]);
    const { createApiKey } = await operator.data<Created>(CREATE, { n: "writer", s: ["kv:write"], p });
    const key = graphqlClient(server.url, createApiKey.secret);
    const { me } = await operator.data<{ me: { id: string } }>("{ me { id } }");
    await (await server.admin()).data("mutation ($id: ID!) { setUserRole(id: $id, role: viewer) { role } }", { id: me.id });
    const demoted = await key.request('mutation { setKv(key: "k2", value: 1) { version } }');
    expect(codes(demoted)).toEqual(["FORBIDDEN"]);
    expect(demoted.errors?.[0]?.message).toBe("API keys of role viewer may not have kv:write.");
  });

  test("a refusal names what stands in the way: the user's role, the key's scopes, or that no key may have it", async () => {
    const SET = 'mutation { setKv(key: "scoped", value: 1) { version } }';
    const messages = async (client: GraphqlClient, query: string) => {
      const result = await client.request(query);
      expect(codes(result)).toEqual(["FORBIDDEN"]);
      return result.errors?.[0]?.message;
    };
    expect(await messages(await server.userWithRole("viewer"), SET)).toBe("Your role (viewer) does not allow kv:write.");

    const operator = await server.userWithRole("operator");
    const { createApiKey } = await operator.data<Created>(CREATE, { n: "reader", s: ["kv:read"], p: await passwordOf(operator) });
    const key = graphqlClient(server.url, createApiKey.secret);
    expect(await messages(key, SET)).toBe("This API key's scopes do not allow kv:write.");
    expect(await messages(key, "{ mySessions { id } }")).toBe("API keys of role operator may not have account.");
    expect(await messages(key, "{ users { id } }")).toBe("API keys of role operator may not have users:manage.");

    // Subscriptions over a socket are refused with the same words.
    const socket = key.socket();
    const watch = socket.subscribe("subscription { auditEvents { action } }");
    await watch.ended;
    expect(watch.results.flatMap((r) => r.errors ?? []).map((e) => e.message)).toEqual([
      "API keys of role operator may not have audit:read.",
    ]);
    await socket.dispose();
  });

  test("every role may grant `read`, which gives a key the reads its owner's role has", async () => {
    const viewer = await server.userWithRole("viewer");
    expect((await viewer.data<{ apiKeyScopes: string[] }>("{ apiKeyScopes }")).apiKeyScopes).toEqual([
      "read",
      "kv:read",
      "files:read",
      "programs:read",
      "system:read",
      "metrics:read",
      "processes:read",
      "alerts:read",
    ]);
    const { createApiKey } = await viewer.data<Created>(CREATE, { n: "reader", s: ["read"], p: await passwordOf(viewer) });
    const key = graphqlClient(server.url, createApiKey.secret);
    expect((await key.request('{ kv(key: "k") { value } }')).errors).toBeUndefined();
    expect(codes(await key.request("{ auditLog { nodes { id } } }"))).toEqual(["FORBIDDEN"]);
  });

  test("an expired key is refused", async () => {
    const clock = createManualClock(Date.now());
    await using timed = await startTestApp({ clock });
    const admin = await timed.admin();
    const { createApiKey } = await admin.data<Created>(CREATE, {
      n: "short",
      s: ["read"],
      e: new Date(clock.now() + 1500).toISOString(),
      p: ADMIN_PASSWORD,
    });
    const key = graphqlClient(timed.url, createApiKey.secret);
    await clock.advance(1499);
    expect(await key.data(ME)).toEqual({ me: { username: "admin" } });
    await clock.advance(1);
    const refused = await key.request(ME);
    expect(codes(refused)).toEqual(["UNAUTHENTICATED"]);
    expect(refused.errors?.[0]?.message).toContain("expired");
  });
});

describe("browser-facing protections", () => {
  let server: TestApp;
  let cookie: string;
  beforeAll(async () => {
    server = await startTestApp();
    const login = await fetch(`${server.url}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ query: `mutation { login(username: "admin", password: "${ADMIN_PASSWORD}") { user { id } } }` }),
    });
    cookie = login.headers
      .getSetCookie()
      .map((c) => c.split(";")[0])
      .join("; ");
  });
  afterAll(() => server.stop());

  test("a cookie is honoured only on a JSON POST or with the x-outpost-csrf header", async () => {
    const url = `${server.url}/graphql?query=${encodeURIComponent(ME)}`;
    const plainGet = (await (await fetch(url, { headers: { cookie } })).json()) as { errors?: { extensions?: { code?: string } }[] };
    expect(plainGet.errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
    const withHeader = (await (await fetch(url, { headers: { cookie, "x-outpost-csrf": "1" } })).json()) as { data?: unknown };
    expect(withHeader.data).toEqual({ me: { username: "admin" } });
    const json = await graphqlClient(server.url).request(ME, undefined, { cookie });
    expect(json.data).toEqual({ me: { username: "admin" } });
  });

  test("a mangled cookie is ignored, not a server error", async () => {
    const response = await fetch(`${server.url}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json", cookie: "outpost_access=%E0%A4%A" },
      body: JSON.stringify({ query: ME }),
    });
    expect(response.status).toBe(200);
    expect(((await response.json()) as { errors: { extensions: { code: string } }[] }).errors[0]?.extensions.code).toBe("UNAUTHENTICATED");
  });

  test("subscriptions are refused over plain HTTP (server-sent events): only sockets are closed when a session ends", async () => {
    const admin = await server.admin();
    const response = await fetch(`${server.url}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "text/event-stream", authorization: `Bearer ${admin.accessToken}` },
      body: JSON.stringify({ query: "subscription { auditEvents { action } }" }),
      signal: AbortSignal.timeout(3000),
    });
    const text = await response.text();
    expect(text).toContain("Subscriptions are served over WebSocket");
    expect(text).not.toContain('"auditEvents":{');
  });

  test("no CORS headers are granted to other origins", async () => {
    const preflight = await fetch(`${server.url}/graphql`, {
      method: "OPTIONS",
      headers: {
        origin: "https://evil.example",
        "access-control-request-method": "POST",
        "access-control-request-headers": "content-type",
      },
    });
    expect(preflight.headers.get("access-control-allow-origin")).toBeNull();
    expect(preflight.headers.get("access-control-allow-credentials")).toBeNull();
  });

  /** The GraphiQL page as it comes over the wire: the body is not decompressed. */
  const graphiqlPage = (headers: Record<string, string>) =>
    // `decompress` is Bun's own fetch option, absent from the standard RequestInit type.
    fetch(`${server.url}/graphql`, { headers: { accept: "text/html", ...headers }, decompress: false } as RequestInit);

  test("GraphiQL opens for a signed-in admin (schema:read) only, with the security headers", async () => {
    const forAdmin = await graphiqlPage({ cookie });
    expect(forAdmin.status).toBe(200);
    expect(forAdmin.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(forAdmin.headers.get("content-security-policy")).toContain("frame-ancestors 'none'");
    expect(forAdmin.headers.get("x-frame-options")).toBe("DENY");
    expect(forAdmin.headers.get("x-content-type-options")).toBe("nosniff");
    expect(forAdmin.headers.get("cache-control")).toBe("private, no-cache");
    const viewer = await server.userWithRole("viewer");
    for (const headers of [{}, { authorization: `Bearer ${viewer.accessToken}` }] as Record<string, string>[]) {
      const refused = await graphiqlPage(headers);
      expect(refused.headers.get("content-type") ?? "").not.toContain("text/html");
    }
  });

  test("GraphiQL travels compressed as the browser accepts (brotli, gzip), whole for a client that accepts neither, 304 when current", async () => {
    const [br, gzip, identity] = await Promise.all(
      ["gzip, deflate, br", "gzip", "identity"].map((encoding) => graphiqlPage({ cookie, "accept-encoding": encoding })),
    );
    const page = await (identity as Response).text();
    expect(identity?.headers.get("content-encoding")).toBeNull();
    expect(page).toContain("<title>Outpost GraphiQL</title>");
    expect(page.length).toBeGreaterThan(8_000_000);
    expect(br?.headers.get("content-encoding")).toBe("br");
    const brBytes = new Uint8Array(await (br as Response).arrayBuffer());
    expect(brBytes.length).toBeLessThan(2_000_000);
    expect(brotliDecompressSync(brBytes).toString()).toBe(page);
    expect(gzip?.headers.get("content-encoding")).toBe("gzip");
    const gzBytes = new Uint8Array(await (gzip as Response).arrayBuffer());
    expect(gzBytes.length).toBeLessThan(2_600_000);
    expect(Buffer.from(Bun.gunzipSync(gzBytes)).toString()).toBe(page);
    for (const response of [br, gzip, identity]) expect(response?.headers.get("vary")).toBe("Accept-Encoding");

    const again = await graphiqlPage({ cookie, "if-none-match": br?.headers.get("etag") ?? "" });
    expect(again.status).toBe(304);
    expect(await again.text()).toBe("");
  });

  test("introspection is for signed-in admins (schema:read) only, and the refusal says which permission it needs", async () => {
    const INTROSPECT = "{ __schema { queryType { name } } }";
    expect(codes(await server.anonymous.request(INTROSPECT))).toEqual(["UNAUTHENTICATED"]);
    const refused = await (await server.userWithRole("viewer")).request(INTROSPECT);
    expect(codes(refused)).toEqual(["FORBIDDEN"]);
    expect(refused.errors?.[0]?.message).toStartWith("Your role (viewer) does not allow schema:read.");
    expect(await (await server.admin()).data(INTROSPECT)).toEqual({ __schema: { queryType: { name: "Query" } } });
  });

  test("a mistyped field gets no suggestion of real field names", async () => {
    const result = await server.anonymous.request("{ usr { id } }");
    expect(result.errors?.length).toBeGreaterThan(0);
    expect(JSON.stringify(result.errors)).not.toContain("Did you mean");
  });
});
