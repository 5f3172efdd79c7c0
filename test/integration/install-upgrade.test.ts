// `outpost install` starting the service it installed and upgrading it, with real binaries: the
// service is the installed file run as a child process (test/harness/install-root.ts) instead of
// systemd, and the "binaries" are small scripts: one that runs this checkout's Outpost, and one
// that fails to start, as a broken build would. A first install waits for /ready and shows the
// setup link; an upgrade keeps the old binary as outpost.previous; one that does not become ready
// is rolled back, and the old version serves again.
import { afterEach, describe, expect, test } from "bun:test";
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { join, resolve } from "node:path";
import { install } from "../../server/install/command";
import { askHealth } from "../../server/install/service-control";
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
  /** A build that exits at once when started as a server. */
  brokenBinary(): string;
  /** Runs `install` with `executable` as the binary being installed; what it printed, and its exit code or the error that stopped it. */
  install(executable: string, extraFlags?: string[]): Promise<{ lines: string[]; exitCode: number | null; error: Error | null }>;
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
    brokenBinary: () => script(scripts, "outpost-broken", `echo "this build is broken" >&2\nexit 1`),
    async install(executable, extraFlags = []) {
      const lines: string[] = [];
      const target = {
        root: root.path,
        executable,
        service,
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

  test("rolls back to the previous binary when the new one does not become ready, and says so", async () => {
    const box = machine();
    expect((await box.install(box.goodBinary("-old"))).exitCode).toBe(0);

    // Long enough for the previous version to start again on a busy machine: the broken one is given as long.
    const upgrade = await box.install(box.brokenBinary(), ["--ready-timeout-seconds", "15"]);
    expect(upgrade.error?.message).toBe(
      `The new version (${VERSION}) did not become ready within 15 s, so the previous binary was put back and version ${VERSION} runs again; the log says why: the logs in ${join(box.root.path, "service-logs")}`,
    );
    expect(upgrade.lines).toContain(
      `Outpost ${VERSION} did not become ready at http://127.0.0.1:${box.port} within 15 s: putting the previous binary back`,
    );
    // The broken build was started, failed, and the old one runs again.
    expect(readFileSync(join(box.root.path, "service-logs/start-2.log"), "utf8")).toContain("this build is broken");
    expect(box.installed()).toContain("# build -old");
    expect(existsSync(join(box.root.path, "usr/local/bin/outpost.previous"))).toBe(false);
    expect(box.service.starts).toBe(3);
    expect((await askHealth(`http://127.0.0.1:${box.port}`))?.version).toBe(VERSION);
  }, 90_000);
});
