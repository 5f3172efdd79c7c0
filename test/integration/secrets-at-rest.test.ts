// Secrets at rest: the data directory and every file in it are private to the server's user from
// the first start, and an older install's looser modes are tightened at start; TOTP secrets are
// stored encrypted, and secrets an older version stored in clear are encrypted at start and keep
// working.
import { Database } from "bun:sqlite";
import { expect, test } from "bun:test";
import { chmodSync, existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generateTotpSecret, totpCode } from "../../server/auth/totp";
import { startTestApp } from "../harness/app";
import { codes, graphqlClient } from "../harness/client";

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
