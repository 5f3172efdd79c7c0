// What a stolen access token alone can no longer do to an account, and how an admin repairs one:
// two-factor setup and new API keys need the password; an admin removes a second factor (alone or
// with a password reset, which also revokes the user's keys); "sign out everywhere" may take the
// keys along; keys are capped per user and listed page by page.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { totpCode } from "../../server/auth/totp";
import { createManualClock } from "../../server/clock";
import { ADMIN_PASSWORD, startTestApp, type TestApp } from "../harness/app";
import { codes, type GraphqlClient, graphqlClient } from "../harness/client";

let server: TestApp;
let admin: GraphqlClient;
beforeAll(async () => {
  server = await startTestApp({ config: { rateLimitAuthPerMinute: 10_000 } });
  admin = await server.admin();
});
afterAll(() => server.stop());

const CREATE_KEY =
  'mutation ($n: String!, $p: String!, $e: DateTime) { createApiKey(name: $n, scopes: ["read"], password: $p, expiresAt: $e) { secret apiKey { id name } } }';
type CreatedKey = { createApiKey: { secret: string; apiKey: { id: string; name: string } } };
const ME = "{ me { username } }";

const signIn = (username: string, password: string, code?: string) => server.tryLogin(username, password, code);

/** A new user of `role` (password `<name>-password`), signed in. */
async function newUser(name: string, role: "admin" | "operator" | "viewer" = "viewer") {
  const user = await server.app.services.users.create({ username: name, password: `${name}-password`, role });
  const { client } = await signIn(name, `${name}-password`);
  if (!client) throw new Error(`${name} could not sign in`);
  return { id: user.id, client, password: `${name}-password` };
}

/** Turns two-factor sign-in on for the signed-in `client`; returns the secret. */
async function enableTotp(client: GraphqlClient, password: string): Promise<string> {
  const { beginTotpSetup } = await client.data<{ beginTotpSetup: { secret: string } }>(
    "mutation ($p: String!) { beginTotpSetup(password: $p) { secret } }",
    { p: password },
  );
  await client.data("mutation ($c: String!) { confirmTotpSetup(code: $c) { recoveryCodes } }", {
    c: totpCode(beginTotpSetup.secret, Date.now()),
  });
  return beginTotpSetup.secret;
}

async function createKey(client: GraphqlClient, password: string, name = "script") {
  return (await client.data<CreatedKey>(CREATE_KEY, { n: name, p: password })).createApiKey;
}

describe("a stolen access token alone", () => {
  test("cannot start two-factor setup: it needs the current password", async () => {
    const { client, password } = await newUser("hana");
    const wrong = await client.request('mutation { beginTotpSetup(password: "not-her-password") { secret } }');
    expect(codes(wrong)).toEqual(["BAD_USER_INPUT"]);
    expect(wrong.errors?.[0]?.message).toContain("current password");
    // Nothing was started: there is no pending secret to confirm.
    expect(codes(await client.request('mutation { confirmTotpSetup(code: "123456") { recoveryCodes } }'))).toEqual(["CONFLICT"]);
    expect((await client.request("mutation { beginTotpSetup { secret } }")).errors?.length).toBeGreaterThan(0);

    await enableTotp(client, password);
    expect(await client.data("{ me { totpEnabled } }")).toEqual({ me: { totpEnabled: true } });
  });

  test("cannot create an API key: it needs the current password", async () => {
    const { client, password } = await newUser("ivan", "operator");
    expect(codes(await client.request(CREATE_KEY, { n: "stolen", p: "not-his-password" }))).toEqual(["BAD_USER_INPUT"]);
    expect((await client.request('mutation { createApiKey(name: "stolen", scopes: ["read"]) { secret } }')).errors?.length).toBeGreaterThan(
      0,
    );
    expect((await client.data<{ apiKeys: { nodes: unknown[] } }>("{ apiKeys { nodes { id } } }")).apiKeys.nodes).toEqual([]);

    const key = await createKey(client, password);
    expect(await graphqlClient(server.url, key.secret).data(ME)).toEqual({ me: { username: "ivan" } });
  });
});

describe("an admin repairs an account", () => {
  test("removes a user's two-factor sign-in: they sign in with the password alone, and the audit log has it", async () => {
    const jade = await newUser("jade");
    const secret = await enableTotp(jade.client, jade.password);
    expect(codes((await signIn("jade", jade.password)).result)).toEqual(["UNAUTHENTICATED"]);

    const { removeUserTotp } = await admin.data<{ removeUserTotp: { username: string; totpEnabled: boolean } }>(
      "mutation ($id: ID!) { removeUserTotp(id: $id) { username totpEnabled } }",
      { id: jade.id },
    );
    expect(removeUserTotp).toEqual({ username: "jade", totpEnabled: false });
    expect((await signIn("jade", jade.password)).client).not.toBeNull();
    // The old secret is gone for good: it is not asked for, and setting up again makes a new one.
    expect(codes((await signIn("jade", jade.password, totpCode(secret, Date.now() + 30_000))).result)).toEqual([]);

    await server.app.settled();
    const entry = server.app.services.audit.list({ first: 50 }).entries.find((e) => e.action === "mutation.removeUserTotp");
    expect(entry).toMatchObject({ actorKind: "user", actorName: "admin", target: { id: jade.id }, result: "ok" });
  });

  test("only for others: an admin's own second factor and password change under Account, with the password", async () => {
    const { me } = await admin.data<{ me: { id: string } }>("{ me { id } }");
    expect(codes(await admin.request("mutation ($id: ID!) { removeUserTotp(id: $id) { id } }", { id: me.id }))).toEqual(["BAD_USER_INPUT"]);
    expect(
      codes(await admin.request('mutation ($id: ID!) { resetUserPassword(id: $id, newPassword: "taken-over-password") }', { id: me.id })),
    ).toEqual(["BAD_USER_INPUT"]);
    expect(codes(await admin.request('mutation { removeUserTotp(id: "no-such-user") { id } }'))).toEqual(["NOT_FOUND"]);
    expect((await signIn("admin", ADMIN_PASSWORD)).client).not.toBeNull();
  });

  test("a password reset revokes the user's API keys, and with removeTotp also turns two-factor off", async () => {
    const kim = await newUser("kim", "operator");
    const key = graphqlClient(server.url, (await createKey(kim.client, kim.password)).secret);
    await enableTotp(kim.client, kim.password);
    expect(await key.data(ME)).toEqual({ me: { username: "kim" } });

    await admin.data('mutation ($id: ID!) { resetUserPassword(id: $id, newPassword: "kim-new-password", removeTotp: true) }', {
      id: kim.id,
    });
    const refused = await key.request(ME);
    expect(codes(refused)).toEqual(["UNAUTHENTICATED"]);
    expect(refused.errors?.[0]?.message).toContain("revoked");
    expect(codes(await kim.client.request(ME))).toEqual(["UNAUTHENTICATED"]);
    expect((await signIn("kim", "kim-new-password")).client).not.toBeNull();

    await server.app.settled();
    const entry = server.app.services.audit.list({ first: 50 }).entries.find((e) => e.action === "mutation.resetUserPassword");
    expect(entry?.target).toEqual({ id: kim.id, removeTotp: true });
  });

  test("a password reset without removeTotp leaves two-factor on", async () => {
    const lea = await newUser("lea");
    const secret = await enableTotp(lea.client, lea.password);
    await admin.data('mutation ($id: ID!) { resetUserPassword(id: $id, newPassword: "lea-new-password") }', { id: lea.id });
    expect(codes((await signIn("lea", "lea-new-password")).result)).toEqual(["UNAUTHENTICATED"]);
    expect((await signIn("lea", "lea-new-password", totpCode(secret, Date.now() + 30_000))).client).not.toBeNull();
  });
});

describe("sign out everywhere", () => {
  test("with includeApiKeys it revokes my keys too; without, they keep working", async () => {
    const max = await newUser("max", "operator");
    const kept = graphqlClient(server.url, (await createKey(max.client, max.password, "kept")).secret);
    expect(await max.client.data("mutation { revokeAllSessions }")).toEqual({ revokeAllSessions: 1 });
    expect(await kept.data(ME)).toEqual({ me: { username: "max" } });

    const again = (await signIn("max", max.password)).client as GraphqlClient;
    const other = graphqlClient(server.url, (await createKey(again, max.password, "other")).secret);
    expect(await again.data("mutation { revokeAllSessions(includeApiKeys: true) }")).toEqual({ revokeAllSessions: 1 });
    for (const key of [kept, other]) expect(codes(await key.request(ME))).toEqual(["UNAUTHENTICATED"]);
    expect(codes(await again.request(ME))).toEqual(["UNAUTHENTICATED"]);
  });
});

describe("how many keys", () => {
  test("one user may hold only so many active keys: LIMIT_EXCEEDED names the cap; revoked and expired ones do not count", async () => {
    const clock = createManualClock(Date.now());
    await using capped = await startTestApp({ clock, config: { maxApiKeysPerUser: 3, rateLimitAuthPerMinute: 10_000 } });
    const owner = await capped.admin();
    const create = (name: string, expiresAt?: string) =>
      owner.request<CreatedKey>(CREATE_KEY, { n: name, p: ADMIN_PASSWORD, e: expiresAt ?? null });
    const first = await create("one");
    await create("two");
    await create("short-lived", new Date(clock.now() + 60_000).toISOString());
    const refused = await create("four");
    expect(codes(refused)).toEqual(["LIMIT_EXCEEDED"]);
    expect(refused.errors?.[0]?.message).toContain("3 active API keys");
    expect(refused.errors?.[0]?.extensions?.limit).toBe(3);

    await clock.advance(60_000);
    expect(codes(await create("four"))).toEqual([]);
    expect(codes(await create("five"))).toEqual(["LIMIT_EXCEEDED"]);
    await owner.data("mutation ($id: ID!) { revokeApiKey(id: $id) }", { id: first.data?.createApiKey.apiKey.id });
    expect(codes(await create("five"))).toEqual([]);
    expect(codes(await create("six"))).toEqual(["LIMIT_EXCEEDED"]);
    // Another user's keys are counted for them alone.
    const other = await capped.userWithRole("viewer");
    const { me } = await other.data<{ me: { username: string } }>("{ me { username } }");
    expect(codes(await other.request(CREATE_KEY, { n: "theirs", p: `${me.username}-password` }))).toEqual([]);
  });

  test("apiKeys and allApiKeys come a page at a time, newest first, each key once", async () => {
    const nia = await newUser("nia", "operator");
    const names = ["k1", "k2", "k3", "k4", "k5"];
    for (const name of names) await createKey(nia.client, nia.password, name);
    type Connection = { nodes: { name: string }[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } };
    const seen: string[] = [];
    let after: string | null = null;
    let pages = 0;
    do {
      const { apiKeys }: { apiKeys: Connection } = await nia.client.data(
        "query ($after: String) { apiKeys(first: 2, after: $after) { nodes { name } pageInfo { hasNextPage endCursor } } }",
        { after },
      );
      seen.push(...apiKeys.nodes.map((key) => key.name));
      after = apiKeys.pageInfo.hasNextPage ? apiKeys.pageInfo.endCursor : null;
      pages++;
    } while (after);
    expect(pages).toBe(3);
    expect(seen).toEqual([...names].reverse());

    const all = async (first: number, after: string | null) =>
      (
        await admin.data<{ allApiKeys: Connection & { edges: { cursor: string; node: { name: string; owner: { username: string } } }[] } }>(
          "query ($first: Int, $after: String) { allApiKeys(first: $first, after: $after) { nodes { name } edges { cursor node { name owner { username } } } pageInfo { hasNextPage endCursor } } }",
          { first, after },
        )
      ).allApiKeys;
    const head = await all(1, null);
    expect(head.edges[0]?.node).toEqual({ name: "k5", owner: { username: "nia" } });
    expect(head.pageInfo).toEqual({ hasNextPage: true, endCursor: head.edges[0]?.cursor ?? null });
    expect((await all(4, head.pageInfo.endCursor)).nodes.map((key) => key.name)).toEqual(["k4", "k3", "k2", "k1"]);

    expect(codes(await nia.client.request("{ apiKeys(first: 0) { nodes { id } } }"))).toEqual(["BAD_USER_INPUT"]);
    expect(codes(await nia.client.request("{ apiKeys(first: 1000) { nodes { id } } }"))).toEqual(["BAD_USER_INPUT"]);
    expect(codes(await nia.client.request('{ apiKeys(after: "bm90LWEtY3Vyc29y") { nodes { id } } }'))).toEqual(["BAD_USER_INPUT"]);
  });
});
