// The audit log: exactly one row per mutation with the right actor and outcome, sign-ins and
// denied credentials recorded, no secrets kept, filters, the live feed, and retention.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { ADMIN_PASSWORD, startTestApp, type TestApp } from "../harness/app";
import { type GraphqlClient, graphqlClient } from "../harness/client";

type Row = {
  action: string;
  actorKind: string;
  actorName: string | null;
  result: string;
  target: Record<string, unknown> | null;
  detail: string | null;
  ip: string | null;
};
const ROW_FIELDS = "action actorKind actorName result target detail ip";

let server: TestApp;
let admin: GraphqlClient;
beforeAll(async () => {
  // As behind a reverse proxy on this machine, so a test can make requests from other addresses.
  server = await startTestApp({ config: { trustedProxies: "127.0.0.1" } });
  admin = await server.admin();
});
afterAll(() => server.stop());

/** Rows written since `mark` (an id), oldest first, once the batched writes have committed. */
async function rowsSince(mark: number): Promise<Row[]> {
  await server.app.settled();
  return server.app.services.audit
    .list({ first: 500 })
    .entries.filter((e) => e.id > mark && e.action !== "query.auditLog")
    .reverse() as unknown as Row[];
}
const lastId = async () => {
  await server.app.settled();
  return server.app.services.audit.list({ first: 1 }).entries[0]?.id ?? 0;
};

describe("one row per mutation, with the right actor", () => {
  test.each([
    ["data", "operator", 'mutation { setKv(key: "audit/a", value: {secret: "s3cr3t"}) { version } }', "mutation.setKv", { key: "audit/a" }],
    ["data delete", "operator", 'mutation { deleteKv(key: "audit/a") }', "mutation.deleteKv", { key: "audit/a" }],
    [
      "users",
      "admin",
      'mutation { createUser(username: "audited", password: "audited-password", role: viewer) { id } }',
      "mutation.createUser",
      { username: "audited", role: "viewer" },
    ],
    [
      "keys",
      "admin",
      `mutation { createApiKey(name: "ci", scopes: ["kv:read"], password: "${ADMIN_PASSWORD}") { secret } }`,
      "mutation.createApiKey",
      { name: "ci", scopes: ["kv:read"] },
    ],
    [
      "account",
      "viewer",
      'mutation { changePassword(currentPassword: "wrong-password", newPassword: "another-password") }',
      "mutation.changePassword",
      null,
    ],
  ] as const)("%s", async (_class, role, mutation, action, target) => {
    const client = role === "admin" ? admin : await server.userWithRole(role);
    const { me } = await client.data<{ me: { username: string } }>("{ me { username } }");
    const mark = await lastId();
    await client.request(mutation);
    const rows = await rowsSince(mark);
    expect(rows.length).toBe(1);
    expect(rows[0]).toMatchObject({ action, actorKind: "user", actorName: me.username, target, ip: "127.0.0.1" });
    expect(JSON.stringify(rows)).not.toMatch(/s3cr3t|wrong-password|another-password|audited-password|opk_/);
    expect(JSON.stringify(rows)).not.toContain(ADMIN_PASSWORD);
  });

  test("a refused mutation is recorded with its error code", async () => {
    const viewer = await server.userWithRole("viewer");
    const mark = await lastId();
    await viewer.request('mutation { setKv(key: "audit/denied", value: 1) { version } }');
    const rows = await rowsSince(mark);
    expect(rows.map((r) => [r.action, r.result])).toEqual([["mutation.setKv", "FORBIDDEN"]]);
  });
});

describe("sign-in and credentials", () => {
  test("a successful login names the user; a failed one names the username tried; neither keeps the password", async () => {
    const mark = await lastId();
    await server.anonymous.request('mutation { login(username: "admin", password: "not-the-password") { accessToken } }');
    await server.admin();
    const rows = await rowsSince(mark);
    expect(rows.map((r) => [r.action, r.actorKind, r.actorName, r.result])).toEqual([
      ["mutation.login", "anonymous", "admin", "UNAUTHENTICATED"],
      ["mutation.login", "user", "admin", "ok"],
    ]);
    expect(JSON.stringify(rows)).not.toContain("not-the-password");
  });

  test("a denied API key use is recorded with the key as actor; a rejected token with its reason", async () => {
    const created = await admin.data<{ createApiKey: { secret: string } }>(
      `mutation { createApiKey(name: "reader", scopes: ["kv:read"], password: "${ADMIN_PASSWORD}") { secret } }`,
    );
    const key = graphqlClient(server.url, created.createApiKey.secret);
    const mark = await lastId();
    await key.request("{ users { id } }");
    await graphqlClient(server.url, "garbage-token").request("{ system { hostname } }");
    const rows = await rowsSince(mark);
    expect(rows.map((r) => [r.action, r.actorKind, r.actorName, r.result])).toEqual([
      ["query.users", "apiKey", "admin (key reader)", "FORBIDDEN"],
      ["query.system", "anonymous", null, "UNAUTHENTICATED"],
    ]);
    expect(rows[1]?.detail).toContain("Invalid session token");
  });

  test("a refused request is one row, however many fields it asked for, and refusals per IP are capped", async () => {
    const mark = await lastId();
    const many = `{ ${Array.from({ length: 10 }, (_, i) => `a${i}: users { id }`).join(" ")} }`;
    await graphqlClient(server.url, "garbage-token").request(many);
    expect((await rowsSince(mark)).length).toBe(1);
    for (let i = 0; i < 80; i++)
      await graphqlClient(server.url, "garbage-token").request("{ users { id } }", undefined, { "x-forwarded-for": "198.51.100.77" });
    const flood = (await rowsSince(mark)).filter((r) => r.ip === "198.51.100.77");
    expect(flood.length).toBeLessThanOrEqual(61);
    expect(flood.length).toBeGreaterThan(20);
  });

  test("a sign-in made while carrying someone else's token is recorded as the user who signed in", async () => {
    const viewer = await server.userWithRole("viewer");
    const { me } = await viewer.data<{ me: { username: string } }>("{ me { username } }");
    const mark = await lastId();
    await admin.request(`mutation { login(username: "${me.username}", password: "${me.username}-password") { accessToken } }`);
    const rows = await rowsSince(mark);
    expect(rows.map((r) => [r.action, r.actorName, r.result])).toEqual([["mutation.login", me.username, "ok"]]);
  });

  test("plain reads by permitted callers are not recorded", async () => {
    const mark = await lastId();
    await admin.data('{ kv(key: "x") { value } system { hostname } }');
    expect(await rowsSince(mark)).toEqual([]);
  });
});

describe("reading the log", () => {
  test("admins filter it by actor, action and result, newest first, in pages", async () => {
    const operator = await server.userWithRole("operator");
    const { me } = await operator.data<{ me: { username: string } }>("{ me { username } }");
    for (let i = 0; i < 3; i++) await operator.data(`mutation { setKv(key: "page/${i}", value: ${i}) { version } }`);
    await server.app.settled();
    const QUERY = `query ($f: AuditFilter, $after: ID) { auditLog(filter: $f, first: 2, after: $after) { nodes { ${ROW_FIELDS} } pageInfo { hasNextPage endCursor } } }`;
    type Page = { auditLog: { nodes: Row[]; pageInfo: { hasNextPage: boolean; endCursor: string } } };
    const first = await admin.data<Page>(QUERY, { f: { actor: me.username, action: "mutation.setKv" } });
    expect(first.auditLog.nodes.map((n) => n.target?.key)).toEqual(["page/2", "page/1"]);
    expect(first.auditLog.pageInfo.hasNextPage).toBe(true);
    const second = await admin.data<Page>(QUERY, {
      f: { actor: me.username, action: "mutation.setKv" },
      after: first.auditLog.pageInfo.endCursor,
    });
    expect(second.auditLog.nodes.map((n) => n.target?.key)).toEqual(["page/0"]);
    const errors = await admin.data<Page>(QUERY, { f: { result: "error" } });
    expect(errors.auditLog.nodes.every((n) => n.result !== "ok")).toBe(true);
  });

  test("auditEvents delivers new rows live to admins", async () => {
    const socket = admin.socket();
    const live = await server.listening("audit.recorded", () =>
      socket.subscribe<{ auditEvents: Row }>(`subscription { auditEvents { ${ROW_FIELDS} } }`),
    );
    await admin.data('mutation { setKv(key: "live/audit", value: 1) { version } }');
    await live.waitFor(1);
    expect(live.results[0]?.data?.auditEvents).toMatchObject({
      action: "mutation.setKv",
      actorName: "admin",
      target: { key: "live/audit" },
    });
    await socket.dispose();
  });

  test("entries older than the retention are purged", async () => {
    await using short = await startTestApp({ config: { auditRetentionDays: 1 } });
    const client = await short.admin();
    await client.data('mutation { setKv(key: "old", value: 1) { version } }');
    await short.app.settled();
    short.app.db.query("UPDATE audit_log SET at = at - 2 * 86400000").run();
    await short.app.stop();
    const { createApp } = await import("../../server/app");
    const again = await createApp({ ...short.app.config, port: 0 }, { log: short.app.log, announce: () => {} });
    await again.start();
    expect(again.services.audit.list({ first: 10 }).entries).toEqual([]);
    await again.stop();
  });
});
