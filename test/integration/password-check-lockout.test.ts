// Whom wrong current passwords lock out: only the session (or API key) that sent them, never the
// user's other sessions, not even by using up the user's rate of checks; and failed sign-ins,
// whatever username they type, never count against a user's current-password checks.
import { describe, expect, test } from "bun:test";
import type { Viewer } from "../../server/auth/viewer";
import { startTestApp } from "../harness/app";
import { codes } from "../harness/client";

const LOGIN = "mutation ($u: String!, $p: String!) { login(username: $u, password: $p) { accessToken } }";
const CHANGE_PASSWORD = "mutation ($c: String!, $n: String!) { changePassword(currentPassword: $c, newPassword: $n) }";
const from = (address: string) => ({ "x-forwarded-for": address });

describe("current-password checks", () => {
  test("sign-ins failing from 20 addresses with a user's id as the username (bare or as the guard spells it) leave that user's checks alone", async () => {
    await using server = await startTestApp({ config: { trustedProxies: "127.0.0.1", rateLimitAuthPerMinute: 10_000 } });
    const user = await server.app.services.users.create({ username: "vera", password: "vera-password", role: "viewer" });
    const vera = await server.signIn("vera", "vera-password");
    for (const typed of [user.id, `uid:${user.id}`])
      for (let i = 0; i < 20; i++)
        expect(codes(await server.anonymous.request(LOGIN, { u: typed, p: `guess-${i}-password` }, from(`198.51.100.${i}`)))).toEqual([
          "UNAUTHENTICATED",
        ]);

    expect(codes(await vera.request(CHANGE_PASSWORD, { c: "not-the-password", n: "vera-password-2" }))).toEqual(["BAD_USER_INPUT"]);
    expect(await vera.data(CHANGE_PASSWORD, { c: "vera-password", n: "vera-password-2" })).toEqual({ changePassword: true });
  });

  test("5 wrong ones from a stolen token block that session, while the user's other session still changes the password", async () => {
    await using server = await startTestApp({ config: { rateLimitAuthPerMinute: 10_000 } });
    await server.app.services.users.create({ username: "wes", password: "wes-password", role: "viewer" });
    const stolen = await server.signIn("wes", "wes-password");
    const wes = await server.signIn("wes", "wes-password");

    for (let i = 0; i < 5; i++)
      expect(codes(await stolen.request(CHANGE_PASSWORD, { c: `guess-${i}-password`, n: "taken-over-password" }))).toEqual([
        "BAD_USER_INPUT",
      ]);
    expect(codes(await stolen.request(CHANGE_PASSWORD, { c: "guess-5-password", n: "taken-over-password" }))).toEqual(["LIMIT_EXCEEDED"]);

    expect(await wes.data(CHANGE_PASSWORD, { c: "wes-password", n: "wes-password-2" })).toEqual({ changePassword: true });
    // Changing the password ended the other session.
    expect(codes(await stolen.request("{ me { username } }"))).toEqual(["UNAUTHENTICATED"]);
  });

  test("a stolen token that keeps asking after its lockout does not use up the user's rate of checks", async () => {
    // The default rate: 30 a minute, a burst of 15.
    await using server = await startTestApp();
    await server.app.services.users.create({ username: "yan", password: "yan-password", role: "viewer" });
    const stolen = await server.signIn("yan", "yan-password");
    const yan = await server.signIn("yan", "yan-password");

    const answers: unknown[] = [];
    for (let i = 0; i < 30; i++)
      answers.push(codes(await stolen.request(CHANGE_PASSWORD, { c: `guess-${i}-password`, n: "taken-over-password" }))[0]);
    expect(answers.filter((code) => code === "BAD_USER_INPUT").length).toBe(5);
    expect(answers.slice(5).every((code) => code === "LIMIT_EXCEEDED")).toBe(true);

    expect(await yan.data(CHANGE_PASSWORD, { c: "yan-password", n: "yan-password-2" })).toEqual({ changePassword: true });
  });

  test("through an API key they count against that key", async () => {
    // No key can reach these checks through the API today (`account` is never granted to a key);
    // the service counts them per key all the same.
    await using server = await startTestApp();
    const user = await server.app.services.users.create({ username: "xia", password: "xia-password", role: "viewer" });
    const asKey = (keyId: string): Extract<Viewer, { kind: "apiKey" }> => ({
      kind: "apiKey",
      userId: user.id,
      username: "xia",
      role: "viewer",
      permissions: new Set(),
      grantablePermissions: new Set(),
      keyId,
      keyName: keyId,
      expiresAtMs: null,
    });
    const check = (keyId: string, password: string) =>
      server.app.services.account.confirmPassword(asKey(keyId), password).then(
        () => "ok",
        (err: Error) => err.name,
      );

    for (let i = 0; i < 5; i++) expect(await check("key-1", `guess-${i}-password`)).toBe("InvalidInputError");
    expect(await check("key-1", "xia-password")).toBe("LimitExceededError");
    expect(await check("key-2", "xia-password")).toBe("ok");
  });
});
