// `outpost install` starting the service it installed and upgrading it, with real binaries: the
// service is the installed file run as a child process (test/harness/install-root.ts) instead of
// systemd, and the "binaries" are small scripts: one that runs this checkout's Outpost, one that
// runs a copy of it numbered as an older version, one that never answers where install waits for
// it, and one that fails to start, as a broken build would. A first install waits for /ready and
// shows the setup link; an upgrade keeps the old binary as outpost.previous; one that does not
// become ready, or exits, is rolled back (with the database, when the new version had changed it),
// and the old version serves again.

import { Database } from "bun:sqlite";
import { afterEach, describe, expect, test } from "bun:test";
import { chmodSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { join, resolve } from "node:path";
import { install } from "../../server/install/command";
import { askHealth, waitForReady } from "../../server/install/service-control";
import { VERSION } from "../../server/version";
import { graphqlClient } from "../harness/client";
import { type ProcessService, processService, type StagingRoot, stagingRoot } from "../harness/install-root";

const CHECKOUT = resolve(import.meta.dir, "../..");
const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A free port, for a service that needs a fixed one. */
function freePort(): number {
  const server = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response() });
  const port = server.port as number;
  server.stop(true);
  return port;
}

/** An executable script in `dir`: `body` after the shebang. */
function script(dir: string, name: string, body: string): string {
  const path = join(dir, name);
  writeFileSync(path, `#!/bin/sh\n${body}\n`);
  chmodSync(path, 0o755);
  return path;
}

interface Machine {
  root: StagingRoot;
  service: ProcessService;
  port: number;
  /** Outpost from this checkout; `variant` makes a different file (a new build of the same version). */
  goodBinary(variant?: string): string;
  /** Outpost from a copy of this checkout numbered `version`: an older release. */
  olderBinary(version: string): string;
  /** Outpost from this checkout, but listening on another port: it opens (and upgrades) the database, yet never answers where install waits for it, as a server stuck in its start would. */
  unreachableBinary(): string;
  /** A build that exits at once when started as a server. */
  brokenBinary(): string;
  /** Runs `install` with `executable` as the binary being installed (starting the service unless `startService` is false); what it printed, and its exit code or the error that stopped it. */
  install(
    executable: string,
    extraFlags?: string[],
    startService?: boolean,
  ): Promise<{ lines: string[]; exitCode: number | null; error: Error | null }>;
  installed(): string;
  /** What `outpost status` prints about the staging root. */
  status(): string;
}

function machine(): Machine {
  const root = stagingRoot({ serviceIsMe: true });
  const port = freePort();
  const scripts = join(root.path, "build");
  const logs = join(root.path, "service-logs");
  mkdirSync(scripts);
  mkdirSync(logs);
  // What the unit's ExecStart runs, with every path under the staging root.
  const service = processService(
    [
      join(root.path, "usr/local/bin/outpost"),
      "serve",
      "--data",
      join(root.path, "srv/outpost"),
      "--config",
      join(root.path, "etc/outpost/outpost.toml"),
    ],
    logs,
  );
  cleanups.push(
    () => root[Symbol.dispose](),
    () => service[Symbol.asyncDispose](),
  );
  return {
    root,
    service,
    port,
    goodBinary: (variant = "") =>
      script(scripts, `outpost-good${variant}`, `# build ${variant}\nexec '${process.execPath}' '${CHECKOUT}/server/main.ts' "$@"`),
    olderBinary(version) {
      const copy = join(scripts, `checkout-${version}`);
      for (const dir of ["server", "schema"]) cpSync(join(CHECKOUT, dir), join(copy, dir), { recursive: true });
      for (const shared of ["node_modules", "web", "tsconfig.json"]) symlinkSync(join(CHECKOUT, shared), join(copy, shared));
      const pkg = JSON.parse(readFileSync(join(CHECKOUT, "package.json"), "utf8"));
      writeFileSync(join(copy, "package.json"), JSON.stringify({ ...pkg, version }));
      return script(scripts, `outpost-${version}`, `exec '${process.execPath}' '${copy}/server/main.ts' "$@"`);
    },
    unreachableBinary: () =>
      script(scripts, "outpost-unreachable", `OUTPOST_PORT=${freePort()} exec '${process.execPath}' '${CHECKOUT}/server/main.ts' "$@"`),
    brokenBinary: () => script(scripts, "outpost-broken", `echo "this build is broken" >&2\nexit 1`),
    async install(executable, extraFlags = [], startService = true) {
      const lines: string[] = [];
      const target = {
        root: root.path,
        executable,
        service: startService ? service : null,
        skipCommandsBecause: "the root is a staging directory",
        report: (line: string) => lines.push(line),
      };
      try {
        const exitCode = await install(["--port", String(port), "--data", "/srv/outpost", ...extraFlags], target);
        return { lines, exitCode, error: null };
      } catch (error) {
        return { lines, exitCode: null, error: error as Error };
      }
    },
    installed: () => readFileSync(join(root.path, "usr/local/bin/outpost"), "utf8"),
    status: () =>
      Bun.spawnSync([process.execPath, "server/main.ts", "status"], {
        cwd: CHECKOUT,
        env: { PATH: process.env.PATH ?? "/usr/bin:/bin", OUTPOST_INSTALL_ROOT: root.path },
      }).stdout.toString(),
  };
}

describe("outpost install starts the service", () => {
  test("waits until it is ready, then shows where it answers and the setup link", async () => {
    const box = machine();
    const { lines, exitCode, error } = await box.install(box.goodBinary());
    expect(error).toBeNull();
    expect(exitCode).toBe(0);
    expect(lines).toContain(`ready: Outpost ${VERSION} answers at http://127.0.0.1:${box.port}`);
    expect(lines.some((line) => line.startsWith(`Outpost ${VERSION} runs as the service outpost.service at http://`))).toBe(true);
    const link = lines.at(-1)?.match(/^Create the first admin by opening this link \(it works once\): (\S+)$/)?.[1];
    // On the machine's name, for another computer to open; the server's own token.
    expect(link).toMatch(new RegExp(`^http://${hostname()}:${box.port}/setup\\?token=[\\w-]+$`));
    const linkFile = join(box.root.path, "srv/outpost/setup-link");
    const token = new URL(link as string).searchParams.get("token");
    expect(readFileSync(linkFile, "utf8")).toBe(`http://localhost:${box.port}/setup?token=${token}\n`);
    // Readable by the service's user (and root) only.
    expect((statSync(linkFile).mode & 0o777).toString(8)).toBe("600");
    expect((await askHealth(`http://127.0.0.1:${box.port}`))?.version).toBe(VERSION);

    // outpost status finds the service, asks it its version, and shows the link while no admin exists.
    const status = box.status();
    expect(status).toContain(`running:  yes (pid ${box.service.pid()}, at http://localhost:${box.port})\n`);
    expect(status).toContain(`version:  ${VERSION} (running, and this executable)\n`);
    expect(status).toContain("data dir: /srv/outpost\n");
    expect(status).toContain(`setup:    no admin yet: open http://localhost:${box.port}/setup?token=${token}\n`);

    // The link works; once used, neither status nor another install shows it.
    const setup = await graphqlClient(`http://127.0.0.1:${box.port}`).request(
      'mutation ($t: String!) { setup(token: $t, username: "pi", password: "a-long-pass-phrase") { user { role } } }',
      { t: token },
    );
    expect(setup.data).toEqual({ setup: { user: { role: "admin" } } });
    expect(box.status()).not.toContain("setup:");
    expect((await box.install(box.goodBinary())).lines.at(-1)).toBe(`Sign in at http://${hostname()}:${box.port}/`);
  }, 60_000);

  test("run again with the same binary, neither restarts the service nor changes a file", async () => {
    const box = machine();
    const binary = box.goodBinary();
    expect((await box.install(binary)).exitCode).toBe(0);
    const pid = box.service.pid();
    const again = await box.install(binary);
    expect(again.exitCode).toBe(0);
    expect(again.lines).toContain("unchanged: /usr/local/bin/outpost");
    expect(box.service.starts).toBe(1);
    expect(box.service.pid()).toBe(pid);
  }, 90_000);
});

describe("outpost install over an installed version", () => {
  test("replaces the binary, keeps the old one as outpost.previous and restarts onto the new one", async () => {
    const box = machine();
    const old = box.goodBinary("-old");
    expect((await box.install(old)).exitCode).toBe(0);
    const oldPid = box.service.pid();

    const upgrade = await box.install(box.goodBinary("-new"));
    expect(upgrade.error).toBeNull();
    expect(upgrade.lines).toContain(
      `replaced /usr/local/bin/outpost with ${join(box.root.path, "build/outpost-good-new")}; the one replaced is kept as /usr/local/bin/outpost.previous`,
    );
    expect(box.installed()).toContain("# build -new");
    expect(readFileSync(join(box.root.path, "usr/local/bin/outpost.previous"), "utf8")).toContain("# build -old");
    expect(box.service.starts).toBe(2);
    expect(box.service.pid()).not.toBe(oldPid);
    expect(upgrade.lines).toContain(`ready: Outpost ${VERSION} answers at http://127.0.0.1:${box.port}`);
  }, 60_000);

  test("rolls back at once when the new binary exits, and says so", async () => {
    const box = machine();
    expect((await box.install(box.goodBinary("-old"))).exitCode).toBe(0);

    // The timeout is twice this test's own: the rollback must not wait for it.
    const upgrade = await box.install(box.brokenBinary(), ["--ready-timeout-seconds", "60"]);
    expect(upgrade.error?.message).toBe(
      `The new version (${VERSION}) exited before it became ready, so the previous binary was put back and version ${VERSION} runs again; the log says why: the logs in ${join(box.root.path, "service-logs")}`,
    );
    expect(upgrade.lines).toContain(
      `Outpost ${VERSION} exited before it became ready at http://127.0.0.1:${box.port}: stopping it and putting the previous binary back`,
    );
    // The broken build was started, failed, and the old one runs again.
    expect(readFileSync(join(box.root.path, "service-logs/start-2.log"), "utf8")).toContain("this build is broken");
    expect(box.installed()).toContain("# build -old");
    expect(existsSync(join(box.root.path, "usr/local/bin/outpost.previous"))).toBe(false);
    expect(box.service.starts).toBe(3);
    expect((await askHealth(`http://127.0.0.1:${box.port}`))?.version).toBe(VERSION);
  }, 30_000);

  test("rolls back the database too when the new version changed it but never became ready, and the old version serves the data again", async () => {
    const box = machine();
    const url = `http://127.0.0.1:${box.port}`;
    // Installed as an older release installed itself: that install waited for its own version.
    expect((await box.install(box.olderBinary("0.0.1"), [], false)).exitCode).toBe(0);
    await box.service.start();
    expect((await waitForReady(url, 30_000, { version: "0.0.1" }))?.setupRequired).toBe(true);
    const token = new URL(box.status().match(/open (\S+)\n/)?.[1] as string).searchParams.get("token");
    const admin = graphqlClient(url);
    const { setup } = await admin.data<{ setup: { accessToken: string } }>(
      'mutation ($t: String!) { setup(token: $t, username: "pi", password: "a-long-pass-phrase") { accessToken } }',
      { t: token },
    );
    admin.accessToken = setup.accessToken;
    await admin.data('mutation { setKv(key: "written-before", value: "by 0.0.1") { key } }');

    const upgrade = await box.install(box.unreachableBinary(), ["--ready-timeout-seconds", "20"]);
    const dataDir = join(box.root.path, "srv/outpost");
    const setAside = readdirSync(join(dataDir, "backups")).filter((name) => name.startsWith(`outpost-failed-${VERSION}-`));
    expect(setAside).toHaveLength(1);
    expect(setAside[0]).toMatch(/^outpost-failed-[\w.+-]+-\d{4}-\d\d-\d\dT\d\d-\d\d-\d\dZ\.db$/);
    expect(upgrade.lines).toContain(
      `the new version had changed the database: moved it aside to /srv/outpost/backups/${setAside[0]} and put back the copy made before the upgrade (/srv/outpost/backups/outpost-before-${VERSION}.db)`,
    );
    expect(upgrade.error?.message).toBe(
      `The new version (${VERSION}) did not become ready within 20 s, so the previous binary and the database from before the upgrade were put back and version 0.0.1 runs again; the log says why: the logs in ${join(box.root.path, "service-logs")}`,
    );
    // The new version had recorded itself; its database is kept whole (log merged) beside the copies.
    const failed = join(dataDir, "backups", setAside[0] as string);
    expect(existsSync(`${failed}-wal`)).toBe(false);
    const failedDb = new Database(failed, { readonly: true });
    expect(failedDb.query<{ version: string }, []>("SELECT version FROM outpost_version").get()?.version).toBe(VERSION);
    failedDb.close();
    expect(existsSync(join(dataDir, `backups/outpost-before-${VERSION}.db`))).toBe(false);

    // The old version serves again, with the data it had.
    expect((await askHealth(url))?.version).toBe("0.0.1");
    const again = graphqlClient(url);
    const { login } = await again.data<{ login: { accessToken: string } }>(
      'mutation { login(username: "pi", password: "a-long-pass-phrase") { accessToken } }',
    );
    again.accessToken = login.accessToken;
    expect(await again.data('{ kv(key: "written-before") { value } }')).toEqual({ kv: { value: "by 0.0.1" } });
  }, 90_000);
});
