// User management by an admin, and each user's own account: password, sessions, two-factor.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { totpCode } from "../../server/auth/totp";
import { ADMIN_PASSWORD, startTestApp, type TestApp } from "../harness/app";
import { codes, type graphqlClient } from "../harness/client";

let server: TestApp;
beforeAll(async () => {
  server = await startTestApp({ config: { rateLimitAuthPerMinute: 10_000 } });
});
afterAll(() => server.stop());

type User = { id: string; username: string; role: string; disabled: boolean; totpEnabled: boolean };
const USER_FIELDS = "id username role disabled totpEnabled";

const signIn = (username: string, password: string, code?: string) => server.tryLogin(username, password, code);

describe("user management", () => {
  test("an admin creates, lists, promotes, disables, re-enables and deletes a user", async () => {
    const admin = await server.admin();
    const { createUser } = await admin.data<{ createUser: User }>(
      `mutation { createUser(username: "carol", password: "carol-password", role: viewer) { ${USER_FIELDS} } }`,
    );
    expect(createUser).toMatchObject({ username: "carol", role: "viewer", disabled: false, totpEnabled: false });
    expect((await admin.data<{ users: User[] }>(`{ users { ${USER_FIELDS} } }`)).users.map((u) => u.username)).toContain("carol");
    expect(
      codes(await admin.request('mutation { createUser(username: "carol", password: "carol-password", role: viewer) { id } }')),
    ).toEqual(["CONFLICT"]);

    const carol = (await signIn("carol", "carol-password")).client as ReturnType<typeof graphqlClient>;
    expect(codes(await carol.request('mutation { setKv(key: "c", value: 1) { version } }'))).toEqual(["FORBIDDEN"]);
    await admin.data("mutation ($id: ID!) { setUserRole(id: $id, role: operator) { role } }", { id: createUser.id });
    // The new role applies to the next request, no new sign-in needed.
    expect(await carol.data('mutation { setKv(key: "c", value: 1) { version } }')).toEqual({ setKv: { version: 1 } });

    await admin.data("mutation ($id: ID!) { setUserDisabled(id: $id, disabled: true) { disabled } }", { id: createUser.id });
    expect(codes(await carol.request("{ me { username } }"))).toEqual(["UNAUTHENTICATED"]);
    expect(codes((await signIn("carol", "carol-password")).result)).toEqual(["UNAUTHENTICATED"]);
    await admin.data("mutation ($id: ID!) { setUserDisabled(id: $id, disabled: false) { disabled } }", { id: createUser.id });
    expect((await signIn("carol", "carol-password")).client).not.toBeNull();

    expect(await admin.data("mutation ($id: ID!) { deleteUser(id: $id) }", { id: createUser.id })).toEqual({ deleteUser: true });
    expect(codes((await signIn("carol", "carol-password")).result)).toEqual(["UNAUTHENTICATED"]);
    expect(codes(await admin.request("mutation ($id: ID!) { deleteUser(id: $id) }", { id: createUser.id }))).toEqual(["NOT_FOUND"]);
  });

  test("the last enabled admin cannot be deleted, disabled or demoted", async () => {
    const admin = await server.admin();
    const { me } = await admin.data<{ me: { id: string } }>("{ me { id } }");
    for (const mutation of [
      "mutation ($id: ID!) { deleteUser(id: $id) }",
      "mutation ($id: ID!) { setUserDisabled(id: $id, disabled: true) { id } }",
      "mutation ($id: ID!) { setUserRole(id: $id, role: viewer) { id } }",
    ]) {
      const result = await admin.request(mutation, { id: me.id });
      expect(codes(result)).toEqual(["CONFLICT"]);
      expect(result.errors?.[0]?.message).toContain("last enabled admin");
    }
  });

  test("resetting a password ends the user's sessions; the new password works", async () => {
    const admin = await server.admin();
    const { createUser } = await admin.data<{ createUser: User }>(
      'mutation { createUser(username: "dave", password: "dave-password", role: viewer) { id } }',
    );
    const dave = (await signIn("dave", "dave-password")).client as ReturnType<typeof graphqlClient>;
    await admin.data('mutation ($id: ID!) { resetUserPassword(id: $id, newPassword: "dave-new-password") }', { id: createUser.id });
    expect(codes(await dave.request("{ me { username } }"))).toEqual(["UNAUTHENTICATED"]);
    expect(codes((await signIn("dave", "dave-password")).result)).toEqual(["UNAUTHENTICATED"]);
    expect((await signIn("dave", "dave-new-password")).client).not.toBeNull();
  });
});

describe("my account", () => {
  test("changing my password needs the current one and ends my other sessions but not this one", async () => {
    await server.app.services.users.create({ username: "erin", password: "erin-password", role: "viewer" });
    const here = (await signIn("erin", "erin-password")).client as ReturnType<typeof graphqlClient>;
    const elsewhere = (await signIn("erin", "erin-password")).client as ReturnType<typeof graphqlClient>;
    const wrong = await here.request('mutation { changePassword(currentPassword: "nope-nope", newPassword: "erin-password-2") }');
    expect(codes(wrong)).toEqual(["BAD_USER_INPUT"]);
    expect(await here.data('mutation { changePassword(currentPassword: "erin-password", newPassword: "erin-password-2") }')).toEqual({
      changePassword: true,
    });
    expect(await here.data("{ me { username } }")).toEqual({ me: { username: "erin" } });
    expect(codes(await elsewhere.request("{ me { username } }"))).toEqual(["UNAUTHENTICATED"]);
    expect((await signIn("erin", "erin-password-2")).client).not.toBeNull();
  });

  test("I see my sessions, can end one, and can sign out everywhere", async () => {
    await server.app.services.users.create({ username: "fay", password: "fay-password", role: "viewer" });
    const first = (await signIn("fay", "fay-password")).client as ReturnType<typeof graphqlClient>;
    const second = (await signIn("fay", "fay-password")).client as ReturnType<typeof graphqlClient>;
    const { mySessions } = await first.data<{ mySessions: { id: string; current: boolean }[] }>(
      "{ mySessions { id current ip userAgent } }",
    );
    expect(mySessions.length).toBe(2);
    expect(mySessions.filter((s) => s.current).length).toBe(1);
    const other = mySessions.find((s) => !s.current) as { id: string };
    expect(await first.data("mutation ($id: ID!) { revokeSession(id: $id) }", { id: other.id })).toEqual({ revokeSession: true });
    expect(codes(await second.request("{ me { username } }"))).toEqual(["UNAUTHENTICATED"]);
    const admin = await server.admin();
    const adminSessions = await admin.data<{ mySessions: { id: string }[] }>("{ mySessions { id } }");
    expect(codes(await first.request("mutation ($id: ID!) { revokeSession(id: $id) }", { id: adminSessions.mySessions[0]?.id }))).toEqual([
      "NOT_FOUND",
    ]);
    await signIn("fay", "fay-password");
    expect((await first.data<{ revokeAllSessions: number }>("mutation { revokeAllSessions }")).revokeAllSessions).toBe(2);
    expect(codes(await first.request("{ me { username } }"))).toEqual(["UNAUTHENTICATED"]);
  });

  test("two-factor: set up with a code, then sign-in needs a code; a recovery code works once; turning it off needs the password", async () => {
    await server.app.services.users.create({ username: "gus", password: "gus-password", role: "viewer" });
    const gus = (await signIn("gus", "gus-password")).client as ReturnType<typeof graphqlClient>;
    const { beginTotpSetup } = await gus.data<{ beginTotpSetup: { secret: string; otpauthUri: string; qrSvg: string } }>(
      'mutation { beginTotpSetup(password: "gus-password") { secret otpauthUri qrSvg } }',
    );
    expect(beginTotpSetup.otpauthUri).toContain(`secret=${beginTotpSetup.secret}`);
    expect(beginTotpSetup.qrSvg.startsWith("<svg")).toBe(true);
    expect(codes(await gus.request('mutation { confirmTotpSetup(code: "000000") { recoveryCodes } }'))).toEqual(["BAD_USER_INPUT"]);
    const { confirmTotpSetup } = await gus.data<{ confirmTotpSetup: { recoveryCodes: string[] } }>(
      "mutation ($c: String!) { confirmTotpSetup(code: $c) { recoveryCodes } }",
      { c: totpCode(beginTotpSetup.secret, Date.now()) },
    );
    expect(confirmTotpSetup.recoveryCodes.length).toBe(10);
    expect(await gus.data("{ me { totpEnabled } }")).toEqual({ me: { totpEnabled: true } });

    const noCode = await signIn("gus", "gus-password");
    expect(codes(noCode.result)).toEqual(["UNAUTHENTICATED"]);
    expect(noCode.result.errors?.[0]?.extensions?.totpRequired).toBe(true);
    expect(codes((await signIn("gus", "gus-password", "123456")).result)).toEqual(["UNAUTHENTICATED"]);
    // The code used to confirm cannot be replayed; the next step's code works.
    expect((await signIn("gus", "gus-password", totpCode(beginTotpSetup.secret, Date.now() + 30_000))).client).not.toBeNull();
    const recovery = confirmTotpSetup.recoveryCodes[0] as string;
    expect((await signIn("gus", "gus-password", recovery.toUpperCase())).client).not.toBeNull();
    expect(codes((await signIn("gus", "gus-password", recovery)).result)).toEqual(["UNAUTHENTICATED"]);

    expect(codes(await gus.request('mutation { disableTotp(password: "wrong-password") }'))).toEqual(["BAD_USER_INPUT"]);
    expect(await gus.data('mutation { disableTotp(password: "gus-password") }')).toEqual({ disableTotp: true });
    expect((await signIn("gus", "gus-password")).client).not.toBeNull();
  });
});

test("the seeded admin can still sign in after all of the above", async () => {
  expect((await signIn("admin", ADMIN_PASSWORD)).client).not.toBeNull();
});
