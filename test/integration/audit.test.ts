// The audit log: exactly one row per mutation with the right actor and outcome, sign-ins and
// denied credentials recorded, no secrets kept, targets named, filters, the live feed, exports,
// and retention.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { totpCode } from "../../server/auth/totp";
import { ADMIN_PASSWORD, startTestApp, type TestApp } from "../harness/app";
import { codes, type GraphqlClient, graphqlClient } from "../harness/client";

type Row = {
  action: string;
  actorKind: string;
  actorName: string | null;
  result: string;
  target: Record<string, unknown> | null;
  targetLabel: string | null;
  detail: string | null;
  ip: string | null;
};
const ROW_FIELDS = "action actorKind actorName result target targetLabel detail ip";

let server: TestApp;
let admin: GraphqlClient;
beforeAll(async () => {
  // As behind a reverse proxy on this machine, so a test can make requests from other addresses.
  // Many sign-ins from one address: the per-IP sign-in rate is not under test here.
  server = await startTestApp({ config: { trustedProxies: "127.0.0.1", rateLimitAuthPerMinute: 10_000 } });
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

describe("targets by name", () => {
  test("users, API keys and entries are named, the raw target kept; a deleted user keeps their name", async () => {
    const mark = await lastId();
    const { createUser } = await admin.data<{ createUser: { id: string } }>(
      'mutation { createUser(username: "labelled", password: "labelled-password", role: viewer) { id } }',
    );
    const { id } = createUser;
    await admin.data(`mutation { setUserRole(id: "${id}", role: operator) { id } }`);
    const { createApiKey } = await admin.data<{ createApiKey: { apiKey: { id: string; prefix: string } } }>(
      `mutation { createApiKey(name: "labels", scopes: ["kv:read"], password: "${ADMIN_PASSWORD}") { apiKey { id prefix } } }`,
    );
    await admin.data(`mutation { revokeApiKey(id: "${createApiKey.apiKey.id}") }`);
    await admin.data('mutation { setKv(key: "labels/entry", value: 1) { version } }');
    await admin.data(`mutation { deleteUser(id: "${id}") }`);
    await admin.request('mutation { deleteUser(id: "no-such-user") }');
    const rows = await rowsSince(mark);
    expect(rows.map((r) => [r.action, r.targetLabel])).toEqual([
      ["mutation.createUser", "labelled"],
      ["mutation.setUserRole", "labelled"],
      ["mutation.createApiKey", "labels"],
      ["mutation.revokeApiKey", `labels (${createApiKey.apiKey.prefix}…)`],
      ["mutation.setKv", "labels/entry"],
      ["mutation.deleteUser", "labelled"],
      ["mutation.deleteUser", "no-such-user"],
    ]);
    expect(rows[1]?.target).toEqual({ id, role: "operator" });
  });

  test("the label reaches readers of auditLog", async () => {
    const operator = await server.userWithRole("operator");
    const { me } = await operator.data<{ me: { id: string; username: string } }>("{ me { id username } }");
    await admin.data(`mutation { setUserDisabled(id: "${me.id}", disabled: true) { id } }`);
    await server.app.settled();
    const { auditLog } = await admin.data<{ auditLog: { nodes: Row[] } }>(
      `{ auditLog(filter: { action: "setUserDisabled" }, first: 1) { nodes { ${ROW_FIELDS} } } }`,
    );
    expect(auditLog.nodes[0]).toMatchObject({ targetLabel: me.username, target: { id: me.id, disabled: true } });
  });
});

describe("the action filter", () => {
  const QUERY = `query ($f: AuditFilter) { auditLog(filter: $f, first: 500) { nodes { ${ROW_FIELDS} } } }`;
  type Page = { auditLog: { nodes: Row[] } };

  test("matches any part of the action, in any case", async () => {
    await admin.data('mutation { setKv(key: "filter/part", value: 1) { version } }');
    await server.app.settled();
    const { auditLog } = await admin.data<Page>(QUERY, { f: { action: "SETkv" } });
    expect(auditLog.nodes.length).toBeGreaterThan(0);
    expect(auditLog.nodes.every((n) => n.action === "mutation.setKv")).toBe(true);
  });

  test("takes % and _ as themselves, and refuses text past 100 characters", async () => {
    for (const wildcard of ["%", "_", "mutation._etKv"])
      expect((await admin.data<Page>(QUERY, { f: { action: wildcard } })).auditLog.nodes).toEqual([]);
    const tooLong = await admin.request(QUERY, { f: { action: "a".repeat(101) } });
    expect(codes(tooLong)).toEqual(["BAD_USER_INPUT"]);
  });
});

describe("two-factor sign-in", () => {
  test("a sign-in asked for its second factor is recorded as challenged, not as a failure", async () => {
    await server.app.services.users.create({ username: "twofactor", password: "twofactor-password", role: "viewer" });
    const user = await server.signIn("twofactor", "twofactor-password");
    const { beginTotpSetup } = await user.data<{ beginTotpSetup: { secret: string } }>(
      'mutation { beginTotpSetup(password: "twofactor-password") { secret } }',
    );
    await user.data("mutation ($c: String!) { confirmTotpSetup(code: $c) { recoveryCodes } }", {
      c: totpCode(beginTotpSetup.secret, Date.now()),
    });

    const mark = await lastId();
    const challenged = await server.tryLogin("twofactor", "twofactor-password");
    expect(challenged.result.errors?.[0]?.extensions).toMatchObject({ code: "UNAUTHENTICATED", totpRequired: true });
    await server.tryLogin("twofactor", "twofactor-password", "000000");
    const rows = await rowsSince(mark);
    expect(rows.map((r) => [r.action, r.actorName, r.result])).toEqual([
      ["mutation.login", "twofactor", "challenged"],
      ["mutation.login", "twofactor", "UNAUTHENTICATED"],
    ]);

    const QUERY = `query ($f: AuditFilter) { auditLog(filter: $f, first: 500) { nodes { ${ROW_FIELDS} } } }`;
    const failures = await admin.data<{ auditLog: { nodes: Row[] } }>(QUERY, { f: { actor: "twofactor", result: "error" } });
    expect(failures.auditLog.nodes.map((n) => n.result)).toEqual(["UNAUTHENTICATED"]);
    const challenges = await admin.data<{ auditLog: { nodes: Row[] } }>(QUERY, { f: { actor: "twofactor", result: "challenged" } });
    expect(challenges.auditLog.nodes.length).toBe(1);
  });
});

/** Rows of an RFC 4180 CSV text (quoted cells, "" for a quote, CRLF between rows). */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ",") {
      row.push(cell);
      cell = "";
    } else if (c === "\n") {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = "";
    } else if (c !== "\r") cell += c;
  }
  return rows;
}

describe("export", () => {
  const exportOf = (client: GraphqlClient, path: string) =>
    fetch(`${server.url}/audit/export/${path}`, { headers: client.accessToken ? { authorization: `Bearer ${client.accessToken}` } : {} });

  test("CSV holds the rows the filter matches, newest first, with formulas defused and quotes escaped; JSON the same rows", async () => {
    const operator = await server.userWithRole("operator");
    const { me } = await operator.data<{ me: { username: string } }>("{ me { username } }");
    const keys = ['=HYPERLINK("http://x")', "+1", "-2", "@sum", 'plain, "quoted"'];
    for (const key of keys) await operator.data("mutation ($k: String!) { setKv(key: $k, value: 1) { version } }", { k: key });
    await operator.request('mutation { deleteKv(key: "not-exported") }');
    await server.app.settled();

    const response = await exportOf(admin, `csv?actor=${me.username}&action=setKv`);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("text/csv; charset=utf-8");
    expect(response.headers.get("content-disposition")).toMatch(/^attachment; filename="outpost-audit-[\dT-]+\.csv"$/);
    const [header, ...rows] = parseCsv((await response.text()).replace(/^\uFEFF/, ""));
    expect(header).toEqual([
      "id",
      "at",
      "actorKind",
      "actorId",
      "actorName",
      "ip",
      "userAgent",
      "action",
      "targetLabel",
      "target",
      "result",
      "detail",
    ]);
    const column = (name: string) => (header as string[]).indexOf(name);
    expect(rows.map((r) => r[column("targetLabel")])).toEqual(['plain, "quoted"', "'@sum", "'-2", "'+1", '\'=HYPERLINK("http://x")']);
    expect(rows.every((r) => r[column("action")] === "mutation.setKv" && r[column("actorName")] === me.username)).toBe(true);
    expect(JSON.parse(rows[0]?.[column("target")] as string)).toEqual({ key: 'plain, "quoted"' });

    const json = await exportOf(admin, `json?actor=${me.username}&action=setKv`);
    expect(json.headers.get("content-type")).toBe("application/json; charset=utf-8");
    const entries = (await json.json()) as (Row & { id: number; at: string })[];
    expect(entries.map((e) => e.targetLabel)).toEqual([...keys].reverse());
    expect(entries[0]).toMatchObject({ action: "mutation.setKv", actorName: me.username, target: { key: keys.at(-1) } });
  });

  test("an export holds the newest 10 000 matching rows at most", async () => {
    await using own = await startTestApp();
    const insert = own.app.db.query("INSERT INTO audit_log (at, actor_kind, action, result) VALUES (?, 'anonymous', 'bulk.row', 'ok')");
    own.app.db.transaction(() => {
      for (let i = 0; i < 10_005; i++) insert.run(Date.now());
    })();
    const ownAdmin = await own.admin();
    const response = await fetch(`${own.url}/audit/export/json?action=bulk.row`, {
      headers: { authorization: `Bearer ${ownAdmin.accessToken}` },
    });
    const entries = (await response.json()) as { id: number }[];
    expect(entries.length).toBe(10_000);
    const ids = entries.map((e) => e.id);
    expect(ids).toEqual([...ids].sort((a, b) => b - a));
    expect(ids.at(-1)).toBe((ids[0] as number) - 9_999);
  });

  test("needs audit:read, refuses an unknown format or a bad filter, and is itself recorded", async () => {
    const operator = await server.userWithRole("operator");
    const refused = await exportOf(operator, "csv");
    expect(refused.status).toBe(403);
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe("FORBIDDEN");
    expect((await exportOf(server.anonymous, "csv")).status).toBe(401);
    for (const bad of ["xml", "csv?from=yesterday", `csv?action=${"a".repeat(101)}`]) {
      const response = await exportOf(admin, bad);
      expect({ bad, status: response.status }).toEqual({ bad, status: 400 });
      await response.body?.cancel();
    }
    const mark = await lastId();
    await (await exportOf(admin, "json?action=nothing-matches")).json();
    expect((await rowsSince(mark)).map((r) => [r.action, r.actorName, r.targetLabel, r.result])).toEqual([
      ["http.auditExport", "admin", "json", "ok"],
    ]);
  });
});
