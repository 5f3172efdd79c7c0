// Secrets at rest: the data directory and every file in it are private to the server's user from
// the first start, and an older install's looser modes are tightened at start; TOTP secrets and alert
// webhook secrets are stored encrypted, and secrets an older version stored in clear are encrypted
// at start and keep working; a webhook secret that no longer opens stops only its deliveries.
import { Database } from "bun:sqlite";
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { randomBytes } from "node:crypto";
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generateTotpSecret, totpCode } from "../../server/auth/totp";
import { createManualClock } from "../../server/clock";
import { startTestApp, type TestApp } from "../harness/app";
import { codes, type GraphqlClient, graphqlClient, waitUntil } from "../harness/client";

const LOGIN =
  "mutation ($u: String!, $p: String!, $c: String) { login(username: $u, password: $p, totpCode: $c) { accessToken refreshToken } }";
const DATA_FILES = ["outpost.db", "outpost.db-wal", "outpost.db-shm", "secret", "outpost.toml"];

/** The permission bits of the data directory and of each data file present, in octal. */
function modes(dataDir: string): Record<string, string> {
  const octal = (path: string) => (statSync(path).mode & 0o777).toString(8);
  const found: Record<string, string> = { ".": octal(dataDir) };
  for (const name of DATA_FILES) if (existsSync(join(dataDir, name))) found[name] = octal(join(dataDir, name));
  return found;
}

const ALL_PRIVATE = {
  ".": "700",
  "outpost.db": "600",
  "outpost.db-wal": "600",
  "outpost.db-shm": "600",
  secret: "600",
  "outpost.toml": "600",
};

/** Every file in the data directory, the database and its write-ahead log included, that holds `text`. */
function filesHolding(dataDir: string, text: string): string[] {
  const needle = Buffer.from(text);
  return (readdirSync(dataDir, { recursive: true }) as string[]).filter((name) => {
    const path = join(dataDir, name);
    return statSync(path).isFile() && readFileSync(path).includes(needle);
  });
}

async function withDataDir(run: (dataDir: string) => Promise<void>) {
  const dataDir = mkdtempSync(join(tmpdir(), "outpost-at-rest-"));
  try {
    await run(dataDir);
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

test("a data directory that exists with mode 0755 becomes 0700 at start, and every file in it 0600", () =>
  withDataDir(async (dataDir) => {
    chmodSync(dataDir, 0o755);
    writeFileSync(join(dataDir, "outpost.toml"), "# settings\n", { mode: 0o644 });
    await using server = await startTestApp({ config: { dataDir } });
    expect(modes(dataDir)).toEqual(ALL_PRIVATE);
    expect(await (await server.admin()).data("{ me { username } }")).toEqual({ me: { username: "admin" } });
  }));

test("TOTP secrets are stored encrypted; an older install's clear-text secrets and loose modes are fixed at start, and two-factor sign-in keeps working", () =>
  withDataDir(async (dataDir) => {
    const dbPath = join(dataDir, "outpost.db");
    const storedSecret = (db: Database, username: string) =>
      (db.query("SELECT totp_secret FROM users WHERE username = ?").get(username) as { totp_secret: string | null }).totp_secret;

    // A user turns two-factor on: what is stored is not the secret they scanned.
    let veraSecret: string;
    {
      await using server = await startTestApp({ config: { dataDir } });
      await server.app.services.users.create({ username: "vera", password: "vera-password", role: "viewer" });
      await server.app.services.users.create({ username: "walt", password: "walt-password", role: "viewer" });
      const vera = await server.signIn("vera", "vera-password");
      const { beginTotpSetup } = await vera.data<{ beginTotpSetup: { secret: string } }>(
        "mutation ($p: String!) { beginTotpSetup(password: $p) { secret } }",
        { p: "vera-password" },
      );
      veraSecret = beginTotpSetup.secret;
      const pending = (
        server.app.db.query("SELECT totp_pending_secret FROM users WHERE username = 'vera'").get() as { totp_pending_secret: string }
      ).totp_pending_secret;
      expect(pending).toStartWith("v1:");
      expect(pending).not.toContain(veraSecret);
      await vera.data("mutation ($c: String!) { confirmTotpSetup(code: $c) { recoveryCodes } }", { c: totpCode(veraSecret, Date.now()) });
      const stored = storedSecret(server.app.db, "vera") as string;
      expect(stored).toStartWith("v1:");
      expect(stored).not.toContain(veraSecret);
    }

    // What an older version left behind: walt's secret in clear, the directory 0755, files 0644.
    const waltSecret = generateTotpSecret();
    const older = new Database(dbPath);
    try {
      older.exec("PRAGMA journal_mode = WAL");
      older.query("UPDATE users SET totp_secret = ?, totp_last_step = -1 WHERE username = 'walt'").run(waltSecret);
      writeFileSync(join(dataDir, "outpost.toml"), "# settings\n");
      for (const name of DATA_FILES) chmodSync(join(dataDir, name), 0o644);
      chmodSync(dataDir, 0o755);
      expect(Object.values(modes(dataDir))).toEqual(["755", "644", "644", "644", "644", "644"]);

      await using server = await startTestApp({ config: { dataDir } });
      expect(modes(dataDir)).toEqual(ALL_PRIVATE);
      const stored = storedSecret(server.app.db, "walt") as string;
      expect(stored).toStartWith("v1:");
      expect(stored).not.toContain(waltSecret);
      expect(filesHolding(dataDir, waltSecret)).toEqual([]);

      const signIn = async (username: string, code: string | null) => {
        const result = await server.anonymous.request<{ login: { accessToken: string } }>(LOGIN, {
          u: username,
          p: `${username}-password`,
          c: code,
        });
        return result;
      };
      expect(codes(await signIn("walt", null))).toEqual(["UNAUTHENTICATED"]);
      const walt = await signIn("walt", totpCode(waltSecret, Date.now()));
      expect(walt.errors).toBeUndefined();
      expect(await graphqlClient(server.url, walt.data?.login.accessToken as string).data("{ me { username } }")).toEqual({
        me: { username: "walt" },
      });
      // Vera's code from the step after the one that confirmed it.
      expect((await signIn("vera", totpCode(veraSecret, Date.now() + 30_000))).errors).toBeUndefined();
      expect(codes(await signIn("vera", "000000"))).toEqual(["UNAUTHENTICATED"]);
    } finally {
      older.close();
    }
  }));

describe("alert webhook secrets", () => {
  const received: Headers[] = [];
  let receiver: ReturnType<typeof Bun.serve>;
  beforeAll(() => {
    receiver = Bun.serve({
      port: 0,
      hostname: "127.0.0.1",
      fetch(request) {
        received.push(request.headers);
        return new Response(null, { status: 204 });
      },
    });
  });
  afterAll(() => receiver.stop(true));

  const clock = createManualClock(Date.UTC(2026, 5, 1));
  /** A secret no other byte sequence in the data directory could contain by chance. */
  const uniqueSecret = (prefix = "") => `${prefix}hook-secret-${randomBytes(12).toString("hex")}`;
  const WEBHOOK = "id hasSecret";
  const DELIVERY = "id state attempts lastError";
  type Delivery = { id: string; state: string; attempts: number; lastError: string | null };

  const storedSecret = (server: TestApp, id: string) =>
    (server.app.db.query("SELECT secret FROM alert_webhooks WHERE id = ?").get(Number(id)) as { secret: string | null }).secret;

  const createWebhook = async (client: GraphqlClient, secret: string) =>
    (
      await client.data<{ createAlertWebhook: { id: string; hasSecret: boolean } }>(
        `mutation ($url: String!, $s: String) { createAlertWebhook(name: "ops", url: $url, secret: $s) { ${WEBHOOK} } }`,
        { url: `http://127.0.0.1:${receiver.port}/hook`, s: secret },
      )
    ).createAlertWebhook;

  const setSecret = (client: GraphqlClient, id: string, secret: string) =>
    client.data(
      `mutation ($id: ID!, $url: String!, $s: String) { updateAlertWebhook(id: $id, name: "ops", url: $url, secret: $s) { id } }`,
      {
        id,
        url: `http://127.0.0.1:${receiver.port}/hook`,
        s: secret,
      },
    );

  /** Sends a test message to webhook `id` and waits for its first attempt; returns the delivery. */
  async function sendTest(client: GraphqlClient, id: string): Promise<Delivery> {
    const TEST = `mutation ($id: ID!) { testAlertWebhook(id: $id) { ${DELIVERY} } }`;
    const { testAlertWebhook } = await client.data<{ testAlertWebhook: Delivery }>(TEST, { id });
    return await attemptedAgain(client, id, testAlertWebhook.id, 0);
  }

  /** Lets due deliveries go and waits until delivery `deliveryId` has more than `attempts` attempts. */
  async function attemptedAgain(client: GraphqlClient, webhookId: string, deliveryId: string, attempts: number): Promise<Delivery> {
    const mine = async () =>
      (
        await client.data<{ alertDeliveries: Delivery[] }>(`query ($w: ID) { alertDeliveries(webhookId: $w) { ${DELIVERY} } }`, {
          w: webhookId,
        })
      ).alertDeliveries.find((d) => d.id === deliveryId);
    await clock.advance(0);
    await waitUntil(async () => ((await mine())?.attempts ?? 0) > attempts, 10_000, "the delivery to be attempted");
    return (await mine()) as Delivery;
  }

  test("a secret set through the API is nowhere in the data directory, and deliveries carry it", () =>
    withDataDir(async (dataDir) => {
      await using server = await startTestApp({ clock, config: { dataDir } });
      const admin = await server.admin();
      const secret = uniqueSecret();
      const webhook = await createWebhook(admin, secret);
      expect(webhook.hasSecret).toBe(true);
      await server.app.settled();
      expect(storedSecret(server, webhook.id)).toStartWith("v1:");
      expect(filesHolding(dataDir, secret)).toEqual([]);
      expect(await sendTest(admin, webhook.id)).toMatchObject({ state: "DELIVERED", lastError: null });
      expect(received.at(-1)?.get("x-outpost-secret")).toBe(secret);

      // A secret changed later is sealed the same way.
      const changed = uniqueSecret();
      await setSecret(admin, webhook.id, changed);
      await server.app.settled();
      expect(filesHolding(dataDir, changed)).toEqual([]);
      expect(await sendTest(admin, webhook.id)).toMatchObject({ state: "DELIVERED" });
      expect(received.at(-1)?.get("x-outpost-secret")).toBe(changed);
      expect(server.logs.filter((line) => line.includes(secret) || line.includes(changed))).toEqual([]);

      // Bound to its webhook: copied onto another webhook's row, it does not open there.
      const other = await createWebhook(admin, uniqueSecret());
      await server.app.settled();
      server.app.db.query("UPDATE alert_webhooks SET secret = ? WHERE id = ?").run(storedSecret(server, webhook.id), Number(other.id));
      const before = received.length;
      expect((await sendTest(admin, other.id)).lastError).toContain("cannot be decrypted");
      expect(received.length).toBe(before);
    }));

  test("a secret an older version stored in clear is sealed at start, once, and still delivered", () =>
    withDataDir(async (dataDir) => {
      await (await startTestApp({ clock, config: { dataDir } })).stop();
      // The database as the version before sealing left it: no record of which secrets are sealed,
      // and the secret in clear. It looks like a sealed value, which it must not be taken for.
      const clearSecret = uniqueSecret("v1:");
      const older = new Database(join(dataDir, "outpost.db"));
      older.exec("ALTER TABLE alert_webhooks DROP COLUMN secret_sealed");
      older.exec("DELETE FROM schema_migrations WHERE id = 'alerts-002-sealed-webhook-secrets'");
      const { id } = older
        .query(
          "INSERT INTO alert_webhooks (name, url, secret_header, secret, enabled, created_at) VALUES ('old', ?, 'X-Token', ?, 1, 0) RETURNING id",
        )
        .get(`http://127.0.0.1:${receiver.port}/old`, clearSecret) as { id: number };
      older.close();
      expect(filesHolding(dataDir, clearSecret)).toEqual(["outpost.db"]);

      let sealed: string;
      {
        await using server = await startTestApp({ clock, config: { dataDir } });
        sealed = storedSecret(server, String(id)) as string;
        expect(sealed).toStartWith("v1:");
        expect(sealed).not.toContain(clearSecret);
        expect(filesHolding(dataDir, clearSecret)).toEqual([]);
        const admin = await server.admin();
        expect(await sendTest(admin, String(id))).toMatchObject({ state: "DELIVERED" });
        expect(received.at(-1)?.get("x-token")).toBe(clearSecret);
      }
      // Sealed once: the next start leaves it as it is.
      await using again = await startTestApp({ clock, config: { dataDir } });
      expect(storedSecret(again, String(id))).toBe(sealed);
      expect(await sendTest(await again.admin(), String(id))).toMatchObject({ state: "DELIVERED" });
      expect(received.at(-1)?.get("x-token")).toBe(clearSecret);
    }));

  test("after <data>/secret is replaced a webhook's deliveries are held back, saying why, until its secret is set again", () =>
    withDataDir(async (dataDir) => {
      const secret = uniqueSecret();
      let webhookId: string;
      {
        await using server = await startTestApp({ clock, config: { dataDir } });
        webhookId = (await createWebhook(await server.admin(), secret)).id;
      }
      writeFileSync(join(dataDir, "secret"), randomBytes(32).toString("base64url"));

      await using server = await startTestApp({ clock, config: { dataDir } });
      const admin = await server.admin();
      const before = received.length;
      const held = await sendTest(admin, webhookId);
      expect(held).toMatchObject({ state: "PENDING", attempts: 1 });
      expect(held.lastError).toBe("not sent: the webhook's secret cannot be decrypted (was <data>/secret replaced?); set its secret again");
      expect(received.length).toBe(before);
      const logged = server.logs.map((line) => JSON.parse(line)).filter((entry) => entry.msg === "alert webhook secret does not open");
      expect(logged).toMatchObject([{ level: "error", webhook: Number(webhookId) }]);
      expect(server.logs.filter((line) => line.includes(secret))).toEqual([]);
      // The server goes on as before: the webhook is listed, other requests are answered.
      expect(await admin.data("{ alertWebhooks { id hasSecret } }")).toEqual({ alertWebhooks: [{ id: webhookId, hasSecret: true }] });

      const newSecret = uniqueSecret();
      await setSecret(admin, webhookId, newSecret);
      await clock.advance(10_000);
      expect(await attemptedAgain(admin, webhookId, held.id, 1)).toMatchObject({ state: "DELIVERED", attempts: 2, lastError: null });
      expect(received.at(-1)?.get("x-outpost-secret")).toBe(newSecret);
    }));
});
