// Why a credential ended reaches its client: a socket is closed with 4403 and the reason as its
// close reason (so the UI can say "Your account was disabled" or, on a role change, reconnect), and
// a refused refresh names it in extensions.endedBecause. One row per way a credential ends.
import { Database } from "bun:sqlite";
import { afterAll, beforeAll, expect, test } from "bun:test";
import { join } from "node:path";
import { createManualClock } from "../../server/clock";
import { ADMIN_PASSWORD, startTestApp, type TestApp } from "../harness/app";
import { codes, type GraphqlClient, graphqlClient } from "../harness/client";

let server: TestApp;
beforeAll(async () => {
  server = await startTestApp({ config: { rateLimitAuthPerMinute: 10_000 } });
});
afterAll(() => server.stop());

const REFRESH = "mutation ($t: String!) { refresh(refreshToken: $t) { accessToken } }";

/** Opens `client`'s socket and waits until the server accepted its credential; `ended` is how it closes. */
async function connectedSocket(client: GraphqlClient) {
  const socket = client.socket();
  const ended = new Promise<{ code: number; reason: string }>((resolve) =>
    socket.client.on("closed", (event) => {
      const { code, reason } = event as CloseEvent;
      resolve({ code, reason });
    }),
  );
  await new Promise<void>((resolve) => socket.client.on("connected", () => resolve()));
  return { ended, dispose: () => socket.dispose() };
}

let users = 0;
/** A new user of `role` signed in twice (two sessions), with their id. */
async function userWithTwoSessions(role: "admin" | "operator" | "viewer" = "operator") {
  const username = `ending${++users}`;
  const password = `${username}-password`;
  const { id } = await server.app.services.users.create({ username, password, role });
  return { id, password, first: await server.signIn(username, password), second: await server.signIn(username, password) };
}

const byAdmin = async (query: string, variables: Record<string, unknown>) => (await server.admin()).data(query, variables);

const rows: { what: string; reason: string; end(user: Awaited<ReturnType<typeof userWithTwoSessions>>): Promise<unknown> }[] = [
  {
    what: "an admin changes the user's role",
    reason: "role-changed",
    end: ({ id }) => byAdmin("mutation ($id: ID!) { setUserRole(id: $id, role: viewer) { role } }", { id }),
  },
  {
    what: "an admin disables the user",
    reason: "account-disabled",
    end: ({ id }) => byAdmin("mutation ($id: ID!) { setUserDisabled(id: $id, disabled: true) { disabled } }", { id }),
  },
  {
    what: "an admin deletes the user",
    reason: "account-deleted",
    end: ({ id }) => byAdmin("mutation ($id: ID!) { deleteUser(id: $id) }", { id }),
  },
  {
    what: "an admin sets a new password for the user",
    reason: "password-reset",
    end: ({ id }) => byAdmin('mutation ($id: ID!) { resetUserPassword(id: $id, newPassword: "brand-new-password") }', { id }),
  },
  {
    what: "the session signs out",
    reason: "signed-out",
    end: ({ first }) => first.data("mutation { logout }"),
  },
  {
    what: "another session of the user ends it",
    reason: "revoked",
    end: async ({ second }) => {
      const { mySessions } = await second.data<{ mySessions: { id: string; current: boolean }[] }>("{ mySessions { id current } }");
      const [firstSession] = mySessions.filter((session) => !session.current);
      return second.data("mutation ($id: ID!) { revokeSession(id: $id) }", { id: firstSession?.id });
    },
  },
  {
    what: "another session of the user signs out everywhere",
    reason: "signed-out-everywhere",
    end: ({ second }) => second.data("mutation { revokeAllSessions }"),
  },
  {
    what: "another session of the user changes the password",
    reason: "password-changed",
    end: ({ second, password }) =>
      second.data('mutation ($p: String!) { changePassword(currentPassword: $p, newPassword: "changed-password-1") }', { p: password }),
  },
  {
    what: "the session's refresh token is used twice",
    reason: "token-reused",
    end: async ({ first }) => {
      await server.anonymous.data(REFRESH, { t: first.refreshToken });
      return server.anonymous.request(REFRESH, { t: first.refreshToken });
    },
  },
];

for (const row of rows)
  test(`when ${row.what}, the session's socket closes with 4403 "${row.reason}"`, async () => {
    const user = await userWithTwoSessions();
    const socket = await connectedSocket(user.first);
    await row.end(user);
    expect(await socket.ended).toEqual({ code: 4403, reason: row.reason });
    await socket.dispose();
  });

test("a refused refresh says why the session ended; an unknown token says nothing more", async () => {
  const user = await userWithTwoSessions();
  await byAdmin("mutation ($id: ID!) { setUserDisabled(id: $id, disabled: true) { disabled } }", { id: user.id });
  const disabled = await server.anonymous.request(REFRESH, { t: user.first.refreshToken });
  expect(disabled.errors?.[0]?.extensions).toEqual({ code: "UNAUTHENTICATED", endedBecause: "account-disabled" });

  const other = await userWithTwoSessions();
  await other.second.data("mutation { revokeAllSessions }");
  const revoked = await server.anonymous.request(REFRESH, { t: other.first.refreshToken });
  expect(revoked.errors?.[0]?.extensions?.endedBecause).toBe("signed-out-everywhere");

  const unknown = await server.anonymous.request(REFRESH, { t: "not-a-refresh-token" });
  expect(codes(unknown)).toEqual(["UNAUTHENTICATED"]);
  expect(unknown.errors?.[0]?.extensions?.endedBecause).toBeUndefined();
});

test("a refresh that fails before its new token is stored leaves the old one unused: trying again is no reuse", async () => {
  const user = await userWithTwoSessions();
  const db = new Database(join(server.dataDir, "outpost.db"));
  try {
    // Stands in for a disk that fills between marking the token used and storing its successor.
    db.exec("CREATE TRIGGER refresh_finds_no_room BEFORE INSERT ON refresh_tokens BEGIN SELECT RAISE(ABORT, 'no room'); END");
    const failed = await server.anonymous.request(REFRESH, { t: user.first.refreshToken });
    expect(codes(failed)).toEqual(["INTERNAL"]);
    db.exec("DROP TRIGGER refresh_finds_no_room");
  } finally {
    db.close();
  }
  const again = await server.anonymous.request(REFRESH, { t: user.first.refreshToken });
  expect(again.errors).toBeUndefined();
  expect(await user.first.data("{ me { username } }")).toEqual({ me: { username: expect.any(String) } });
});

test("a session that stays open is not closed when the user's other session ends or an API key of theirs is revoked", async () => {
  const user = await userWithTwoSessions();
  const kept = await connectedSocket(user.second);
  let closedEarly = false;
  void kept.ended.then(() => {
    closedEarly = true;
  });
  const ended = await connectedSocket(user.first);
  const { createApiKey } = await user.second.data<{ createApiKey: { apiKey: { id: string } } }>(
    'mutation ($p: String!) { createApiKey(name: "k", scopes: ["read"], password: $p) { apiKey { id } } }',
    { p: user.password },
  );
  await user.second.data("mutation ($id: ID!) { revokeApiKey(id: $id) }", { id: createApiKey.apiKey.id });
  await user.first.data("mutation { logout }");
  expect((await ended.ended).reason).toBe("signed-out");
  // The same event reached both sockets: the one still valid is still open after the other closed.
  expect(closedEarly).toBe(false);
  expect(await user.second.data("{ me { id } }")).toEqual({ me: { id: user.id } });
  await kept.dispose();
  await ended.dispose();
});

test("an API key's socket closes with the reason its key ended", async () => {
  const admin = await server.admin();
  const { createApiKey } = await admin.data<{ createApiKey: { secret: string; apiKey: { id: string } } }>(
    'mutation ($p: String!) { createApiKey(name: "socket", scopes: ["read"], password: $p) { secret apiKey { id } } }',
    { p: ADMIN_PASSWORD },
  );
  const socket = await connectedSocket(graphqlClient(server.url, createApiKey.secret));
  await admin.data("mutation ($id: ID!) { revokeApiKey(id: $id) }", { id: createApiKey.apiKey.id });
  expect(await socket.ended).toEqual({ code: 4403, reason: "key-revoked" });
  await socket.dispose();
});

test("a socket whose access token runs out is closed as expired by the periodic check", async () => {
  const clock = createManualClock(Date.now());
  await using timed = await startTestApp({ clock, config: { accessTokenTtlSeconds: 60 } });
  const socket = await connectedSocket(await timed.admin());
  await clock.advance(65_000);
  expect(await socket.ended).toEqual({ code: 4403, reason: "expired" });
  await socket.dispose();
});
