// Password checks under pressure: every hash goes through one bounded queue, so a flood of wrong
// current passwords from signed-in users is answered quickly and cannot starve a real sign-in or
// grow memory; current-password checks are rate-limited and locked out per user like sign-ins;
// hashes made with the old argon2 parameters still work and are upgraded at sign-in.
import { describe, expect, test } from "bun:test";
import { passwordHashing } from "../../server/auth/passwords";
import { createManualClock } from "../../server/clock";
import { ADMIN_PASSWORD, startTestApp } from "../harness/app";
import { codes, type GraphqlClient, waitUntil } from "../harness/client";

const CHANGE_PASSWORD = "mutation ($c: String!, $n: String!) { changePassword(currentPassword: $c, newPassword: $n) }";
const DISABLE_TOTP = "mutation ($p: String!) { disableTotp(password: $p) }";
const MiB = 2 ** 20;

describe("a flood of wrong current passwords", () => {
  test("300 parallel wrong changePassword calls are answered quickly, at most 2 hashes run at once, memory stays bounded, and a sign-in during them succeeds", async () => {
    // Limits raised so the flood reaches the hashing queue instead of stopping at the rate limits.
    await using server = await startTestApp({ config: { rateLimitAuthPerMinute: 100_000, rateLimitApiPerMinute: 100_000 } });
    const users: GraphqlClient[] = [];
    for (let i = 0; i < 10; i++) {
      await server.app.services.users.create({ username: `flood${i}`, password: `flood${i}-password`, role: "viewer" });
      users.push(await server.signIn(`flood${i}`, `flood${i}-password`));
    }
    Bun.gc(true);
    const rssBefore = process.memoryUsage().rss;
    let rssPeak = rssBefore;
    let mostRunning = 0;
    let mostWaiting = 0;
    const sampler = setInterval(() => {
      rssPeak = Math.max(rssPeak, process.memoryUsage().rss);
      const load = passwordHashing.load();
      mostRunning = Math.max(mostRunning, load.running);
      mostWaiting = Math.max(mostWaiting, load.waiting);
    }, 2);
    try {
      const started = performance.now();
      const flood = Array.from({ length: 300 }, (_, i) =>
        (users[i % users.length] as GraphqlClient).request(CHANGE_PASSWORD, { c: `wrong-password-${i}`, n: "a-new-password" }),
      );
      const signInStarted = performance.now();
      const admin = await server.signIn("admin", ADMIN_PASSWORD);
      const signInMs = performance.now() - signInStarted;
      const answers = (await Promise.all(flood)).map((result) => codes(result)[0]);
      const floodMs = performance.now() - started;

      expect(await admin.data("{ me { username } }")).toEqual({ me: { username: "admin" } });
      expect(signInMs).toBeLessThan(2_500); // 8.4 s before the queue, on a 2-core test machine
      expect(floodMs).toBeLessThan(8_000); // 33 s before
      expect(new Set(answers)).toEqual(new Set(["BAD_USER_INPUT", "LIMIT_EXCEEDED"]));
      // Each user gets at most 5 wrong answers checked before the lockout; the rest are refused unchecked.
      expect(answers.filter((code) => code === "BAD_USER_INPUT").length).toBeLessThanOrEqual(50);
      expect(mostRunning).toBeLessThanOrEqual(2);
      expect(mostWaiting).toBeLessThanOrEqual(32);
      // Two 19 MiB hashes at a time plus 300 requests in flight; unbounded, Bun's default 64 MiB each adds up.
      expect(rssPeak - rssBefore).toBeLessThan(120 * MiB);
    } finally {
      clearInterval(sampler);
    }
  });
});

describe("current-password checks", () => {
  test("after 5 wrong current passwords within 5 minutes further checks are refused for a while, even with the right one; other users and sign-in are unaffected", async () => {
    const clock = createManualClock();
    await using server = await startTestApp({ clock, config: { rateLimitAuthPerMinute: 10_000 } });
    await server.app.services.users.create({ username: "quinn", password: "quinn-password", role: "viewer" });
    await server.app.services.users.create({ username: "rosa", password: "rosa-password", role: "viewer" });
    const quinn = await server.signIn("quinn", "quinn-password");
    const rosa = await server.signIn("rosa", "rosa-password");

    for (let i = 0; i < 5; i++)
      expect(codes(await quinn.request(CHANGE_PASSWORD, { c: `wrong-password-${i}`, n: "quinn-password-2" }))).toEqual(["BAD_USER_INPUT"]);
    const refused = await quinn.request(CHANGE_PASSWORD, { c: "quinn-password", n: "quinn-password-2" });
    expect(codes(refused)).toEqual(["LIMIT_EXCEEDED"]);
    expect(refused.status).toBe(429);
    expect(refused.errors?.[0]?.extensions?.retryAfterSeconds).toBeGreaterThan(200);
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThan(200);
    // One counter for every check of the current password.
    expect(codes(await quinn.request(DISABLE_TOTP, { p: "quinn-password" }))).toEqual(["LIMIT_EXCEEDED"]);

    expect(await rosa.data(DISABLE_TOTP, { p: "rosa-password" })).toEqual({ disableTotp: false });
    expect(await (await server.signIn("quinn", "quinn-password")).data("{ me { username } }")).toEqual({ me: { username: "quinn" } });

    await clock.advance(5 * 60_000 + 1_000);
    expect(await quinn.data(CHANGE_PASSWORD, { c: "quinn-password", n: "quinn-password-2" })).toEqual({ changePassword: true });
  });

  test("they draw on the auth rate class, per user", async () => {
    await using server = await startTestApp({ config: { rateLimitAuthPerMinute: 12 } });
    await server.app.services.users.create({ username: "sol", password: "sol-password", role: "viewer" });
    await server.app.services.users.create({ username: "tam", password: "tam-password", role: "viewer" });
    const sol = await server.signIn("sol", "sol-password");
    const tam = await server.signIn("tam", "tam-password");
    // 12 a minute gives a burst of 6; right answers do not count toward the lockout.
    for (let i = 0; i < 6; i++) expect(await sol.data(DISABLE_TOTP, { p: "sol-password" })).toEqual({ disableTotp: false });
    const limited = await sol.request(DISABLE_TOTP, { p: "sol-password" });
    expect(codes(limited)).toEqual(["LIMIT_EXCEEDED"]);
    expect(limited.errors?.[0]?.extensions?.retryAfterSeconds).toBeGreaterThanOrEqual(1);
    expect(await tam.data(DISABLE_TOTP, { p: "tam-password" })).toEqual({ disableTotp: false });
  });
});

test("a password hashed with the old parameters (64 MiB) still signs in, and is rehashed with the new ones", async () => {
  await using server = await startTestApp();
  await server.app.services.users.create({ username: "uma", password: "uma-password", role: "viewer" });
  const oldHash = await Bun.password.hash("uma-password", { algorithm: "argon2id" });
  server.app.db.query("UPDATE users SET password_hash = ? WHERE username = 'uma'").run(oldHash);
  const storedHash = () =>
    (server.app.db.query("SELECT password_hash FROM users WHERE username = 'uma'").get() as { password_hash: string }).password_hash;

  expect(await (await server.signIn("uma", "uma-password")).data("{ me { username } }")).toEqual({ me: { username: "uma" } });
  await waitUntil(() => storedHash() !== oldHash, 5_000, "the hash to be upgraded");
  expect(storedHash()).toStartWith("$argon2id$v=19$m=19456,t=2,p=1$");
  expect(await (await server.signIn("uma", "uma-password")).data("{ me { username } }")).toEqual({ me: { username: "uma" } });
  expect(codes(await server.anonymous.request('mutation { login(username: "uma", password: "wrong-password") { accessToken } }'))).toEqual([
    "UNAUTHENTICATED",
  ]);
});
