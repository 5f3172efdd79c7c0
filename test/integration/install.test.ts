// `outpost install` and `outpost uninstall` run as a person runs them (`bun server/main.ts install
// ...`), against a staging root (OUTPOST_INSTALL_ROOT, test-only) instead of "/": the dry run writes
// nothing, a machine without systemd gets the command to run by hand, a real install writes every
// file with its mode and owner, a second install changes nothing, and uninstall keeps the data
// unless purged after a confirmation.
import { afterEach, describe, expect, test } from "bun:test";
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { VERSION } from "../../server/version";
import { startTestApp } from "../harness/app";
import { stagingRoot as makeStagingRoot, type StagingRoot } from "../harness/install-root";

const ROOT = resolve(import.meta.dir, "../..");
const roots: StagingRoot[] = [];
afterEach(() => {
  for (const root of roots.splice(0)) root[Symbol.dispose]();
});
const myUid = process.getuid?.() ?? 0;

/** A staging root (test/harness/install-root.ts), removed after the test. */
function staged(options?: Parameters<typeof makeStagingRoot>[0]): StagingRoot {
  const root = makeStagingRoot(options);
  roots.push(root);
  return root;
}

/** The path of a staging root removed after the test. */
function stagingRoot(options?: Parameters<typeof makeStagingRoot>[0]): string {
  return staged(options).path;
}

/** Every path under `root` with what a change would alter: type, mode, owner, size, modification time, inode. */
function snapshot(root: string): Record<string, string> {
  const entries: Record<string, string> = {};
  for (const name of readdirSync(root, { recursive: true }) as string[]) {
    const stat = lstatSync(join(root, name));
    entries[name] = `${stat.mode.toString(8)} ${stat.uid}:${stat.gid} ${stat.isDirectory() ? "" : stat.size} ${stat.mtimeMs} ${stat.ino}`;
  }
  return entries;
}

/** Runs `bun server/main.ts <args>` with every path under `root` (`null`: the real "/"). */
async function outpost(args: string[], root: string | null, stdin?: string) {
  const proc = Bun.spawn([process.execPath, "server/main.ts", ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", ...(root === null ? {} : { OUTPOST_INSTALL_ROOT: root }) },
    stdin: stdin === undefined ? "ignore" : new TextEncoder().encode(stdin),
    stdout: "pipe",
    stderr: "pipe",
  });
  const [stdout, stderr, exitCode] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  return { stdout, stderr, exitCode };
}

function modeOf(path: string): string {
  return (statSync(path).mode & 0o7777).toString(8).padStart(4, "0");
}

const INSTALL_FLAGS = ["--port", "9000", "--public-url", "https://pi.example.com", "--data", "/srv/outpost"];

describe("outpost install --dry-run", () => {
  test("prints every file and command, and changes nothing", async () => {
    const root = stagingRoot();
    const before = snapshot(root);
    const { stdout, exitCode } = await outpost(["install", "--dry-run", ...INSTALL_FLAGS, "--user", "outpost"], root);
    expect(exitCode).toBe(0);
    expect(stdout).toContain("useradd --system --no-create-home --shell /usr/sbin/nologin outpost");
    expect(stdout).toContain("install -d -m 0700 -o outpost /srv/outpost");
    expect(stdout).toMatch(/copy \S+ to \/usr\/local\/bin\/outpost \(mode 0755\)/);
    expect(stdout).toContain("run: install -d -m 0755 -o root /etc/outpost");
    expect(stdout).toContain("write /etc/outpost/outpost.toml (mode 0640, owner root, group outpost");
    expect(stdout).toContain("    port = 9000\n");
    expect(stdout).toContain('    public_url = "https://pi.example.com"\n');
    expect(stdout).toContain("write /etc/systemd/system/outpost.service (mode 0644, owner root");
    expect(stdout).toContain("    ExecStart=/usr/local/bin/outpost serve --data /srv/outpost --config /etc/outpost/outpost.toml\n");
    expect(stdout).toContain("    ReadWritePaths=/srv/outpost\n");
    expect(stdout).toContain("run: systemctl daemon-reload\nrun: systemctl enable outpost.service\n");
    expect(stdout).toContain("run: systemctl restart outpost.service (when anything above changed; else systemctl start outpost.service)");
    expect(stdout).toContain("wait up to 120 s for /ready");
    expect(snapshot(root)).toEqual(before);
  });

  test("run against the real root, touches none of the paths it names", async () => {
    const paths = ["/usr/local/bin/outpost", "/etc/systemd/system/outpost.service", "/var/lib/outpost", "/etc/outpost"];
    const before = paths.map((path) => (existsSync(path) ? `${path} ${lstatSync(path).mtimeMs}` : `${path} absent`));
    const { stdout, exitCode } = await outpost(["install", "--dry-run"], null);
    expect(exitCode).toBe(0);
    expect(stdout).toStartWith("Dry run: nothing is changed.");
    expect(paths.map((path) => (existsSync(path) ? `${path} ${lstatSync(path).mtimeMs}` : `${path} absent`))).toEqual(before);
  });

  test("refuses a bad flag in one sentence and changes nothing", async () => {
    const root = stagingRoot();
    const before = snapshot(root);
    const { stderr, exitCode } = await outpost(["install", "--dry-run", "--port", "0"], root);
    expect(exitCode).toBe(2);
    expect(stderr.trim()).toBe("outpost: --port must be a fixed port for a service (1 to 65535), not 0.");
    expect(snapshot(root)).toEqual(before);
  });
});

describe("outpost install without systemd", () => {
  test("says so and prints the command to run by hand, changing nothing", async () => {
    const root = stagingRoot({ systemd: false });
    const before = snapshot(root);
    const { stdout, exitCode } = await outpost(["install", ...INSTALL_FLAGS], root);
    expect(exitCode).toBe(1);
    const [sentence, command] = stdout.trim().split("\n");
    expect(sentence).toStartWith("systemd is not running on this machine");
    expect(command).toEndWith(" serve --data /srv/outpost --port 9000 --public-url https://pi.example.com");
    expect(snapshot(root)).toEqual(before);
  });
});

describe("outpost install", () => {
  test("writes the binary, the private data directory, the settings and the unit with their modes and owners", async () => {
    const { path: root, serviceUid, serviceGid } = staged();
    const { stdout, exitCode } = await outpost(["install", ...INSTALL_FLAGS], root);
    expect(exitCode).toBe(0);
    expect(stdout).toContain("user outpost exists");
    expect(stdout).toContain("not run (OUTPOST_INSTALL_ROOT is set): systemctl enable outpost.service");

    const binary = join(root, "usr/local/bin/outpost");
    expect(modeOf(binary)).toBe("0755");
    expect(statSync(binary).uid).toBe(myUid);
    expect(statSync(binary).size).toBe(statSync(process.execPath).size);

    const data = join(root, "srv/outpost");
    expect(modeOf(data)).toBe("0700");
    expect([statSync(data).uid, statSync(data).gid]).toEqual([serviceUid, serviceGid]);
    expect(readdirSync(data)).toEqual([]);
    const settings = join(root, "etc/outpost/outpost.toml");
    expect(modeOf(join(root, "etc/outpost"))).toBe("0755");
    expect(modeOf(settings)).toBe("0640");
    expect([statSync(settings).uid, statSync(settings).gid]).toEqual([myUid, serviceGid]);
    expect(Bun.TOML.parse(readFileSync(settings, "utf8"))).toEqual({ port: 9000, public_url: "https://pi.example.com" });

    const unit = join(root, "etc/systemd/system/outpost.service");
    expect(modeOf(unit)).toBe("0644");
    expect(readFileSync(unit, "utf8")).toContain(
      "ExecStart=/usr/local/bin/outpost serve --data /srv/outpost --config /etc/outpost/outpost.toml\n",
    );
    expect(readdirSync(join(root, "etc/systemd/system"))).toEqual(["outpost.service"]);
  });

  test("run twice, changes nothing the second time", async () => {
    const root = stagingRoot();
    expect((await outpost(["install", ...INSTALL_FLAGS], root)).exitCode).toBe(0);
    const before = snapshot(root);
    const again = await outpost(["install", ...INSTALL_FLAGS], root);
    expect(again.exitCode).toBe(0);
    expect(again.stdout).toContain("unchanged: /usr/local/bin/outpost");
    expect(again.stdout).toContain("unchanged: /etc/systemd/system/outpost.service");
    expect(again.stdout).toContain("kept the existing /etc/outpost/outpost.toml");
    expect(snapshot(root)).toEqual(before);
  });

  test("keeps an existing settings file", async () => {
    const root = stagingRoot();
    mkdirSync(join(root, "etc/outpost"), { recursive: true });
    writeFileSync(join(root, "etc/outpost/outpost.toml"), 'log_level = "debug"\n');
    expect((await outpost(["install", ...INSTALL_FLAGS], root)).exitCode).toBe(0);
    expect(readFileSync(join(root, "etc/outpost/outpost.toml"), "utf8")).toBe('log_level = "debug"\n');
  });

  test("carries over the settings an earlier install kept in the data directory", async () => {
    const root = stagingRoot();
    mkdirSync(join(root, "srv/outpost"), { recursive: true });
    writeFileSync(join(root, "srv/outpost/outpost.toml"), "port = 9100\n");
    const { stdout, exitCode } = await outpost(["install", ...INSTALL_FLAGS], root);
    expect(exitCode).toBe(0);
    expect(stdout).toContain("wrote /etc/outpost/outpost.toml");
    expect(readFileSync(join(root, "etc/outpost/outpost.toml"), "utf8")).toBe("port = 9100\n");
  });

  test("stops with one sentence when the service user is missing and cannot be created here", async () => {
    const root = stagingRoot({ serviceUser: false });
    const { stdout, stderr, exitCode } = await outpost(["install"], root);
    expect(stdout).toContain("not run (OUTPOST_INSTALL_ROOT is set): useradd --system");
    expect(stderr.trim()).toBe("outpost: User outpost does not exist, so nothing can be given to it.");
    expect(exitCode).toBe(1);
  });
});

describe("outpost uninstall", () => {
  async function installed() {
    const root = stagingRoot();
    expect((await outpost(["install", ...INSTALL_FLAGS], root)).exitCode).toBe(0);
    writeFileSync(join(root, "srv/outpost/outpost.db"), "data");
    return root;
  }

  test("removes the unit and the binary and keeps the data", async () => {
    const root = await installed();
    const { stdout, exitCode } = await outpost(["uninstall", "--data", "/srv/outpost"], root);
    expect(exitCode).toBe(0);
    expect(stdout).toContain("not run (OUTPOST_INSTALL_ROOT is set): systemctl disable --now outpost.service");
    expect(existsSync(join(root, "etc/systemd/system/outpost.service"))).toBe(false);
    expect(existsSync(join(root, "usr/local/bin/outpost"))).toBe(false);
    expect(readFileSync(join(root, "srv/outpost/outpost.db"), "utf8")).toBe("data");
    expect(existsSync(join(root, "etc/outpost/outpost.toml"))).toBe(true);
    expect(stdout).toContain("its data is kept in /srv/outpost and its settings in /etc/outpost");
    // Again: nothing left to remove, and that is no error.
    const again = await outpost(["uninstall", "--data", "/srv/outpost"], root);
    expect(again.exitCode).toBe(0);
    expect(again.stdout).toContain("already absent: /usr/local/bin/outpost");
  });

  test("--purge asks first, and removes nothing unless the answer is yes", async () => {
    const root = await installed();
    const before = snapshot(root);
    const refused = await outpost(["uninstall", "--data", "/srv/outpost", "--purge"], root, "no\n");
    expect(refused.stdout).toContain("This deletes /srv/outpost: the database, files and backups. Type yes to confirm:");
    expect(refused.stdout).toContain("Not confirmed: nothing was removed.");
    expect(refused.exitCode).toBe(1);
    expect(snapshot(root)).toEqual(before);

    const confirmed = await outpost(["uninstall", "--data", "/srv/outpost", "--purge"], root, "yes\n");
    expect(confirmed.exitCode).toBe(0);
    expect(existsSync(join(root, "srv/outpost"))).toBe(false);
    expect(existsSync(join(root, "etc/outpost"))).toBe(false);
    expect(existsSync(join(root, "usr/local/bin/outpost"))).toBe(false);
  });

  test("--purge --yes does not ask", async () => {
    const root = await installed();
    const { stdout, exitCode } = await outpost(["uninstall", "--data", "/srv/outpost", "--purge", "--yes"], root);
    expect(exitCode).toBe(0);
    expect(stdout).not.toContain("Type yes");
    expect(existsSync(join(root, "srv/outpost"))).toBe(false);
  });

  test("--purge leaves alone a directory that holds no Outpost data", async () => {
    const root = stagingRoot();
    mkdirSync(join(root, "srv/photos"), { recursive: true });
    writeFileSync(join(root, "srv/photos/cat.jpg"), "meow");
    const { stderr, exitCode } = await outpost(["uninstall", "--data", "/srv/photos", "--purge", "--yes"], root);
    expect(exitCode).toBe(2);
    expect(stderr).toContain("/srv/photos holds no Outpost data");
    expect(readFileSync(join(root, "srv/photos/cat.jpg"), "utf8")).toBe("meow");
  });
});

describe("outpost status", () => {
  test("after an install, names the service, its data directory (from the unit) and URL, and says it is not running", async () => {
    const root = stagingRoot();
    expect((await outpost(["install", ...INSTALL_FLAGS], root)).exitCode).toBe(0);
    const { stdout, exitCode } = await outpost(["status"], root);
    expect(stdout).toContain("service:  installed (/etc/systemd/system/outpost.service)\n");
    expect(stdout).toContain("running:  no\n");
    expect(stdout).toContain("url:      https://pi.example.com\n");
    expect(stdout).toContain("data dir: /srv/outpost\n");
    expect(stdout).toMatch(/disk use: \d+ B in the data directory; .+ free of .+\n/);
    expect(exitCode).toBe(3);
  });

  test("finds a running Outpost by its data directory and says where it listens", async () => {
    await using app = await startTestApp();
    const { stdout, exitCode } = await outpost(["status", "--data", app.dataDir], null);
    expect(stdout).toMatch(new RegExp(`running:  yes \\(pid ${process.pid}, at http://\\S+:\\d+\\S*\\)\n`));
    expect(stdout).toContain(`version:  ${VERSION} (running, and this executable)\n`);
    expect(stdout).toContain(`data dir: ${app.dataDir}\n`);
    expect(stdout).toMatch(/disk use: [\d.]+ [KM]?i?B in the data directory/);
    expect(exitCode).toBe(0);
  });
});
