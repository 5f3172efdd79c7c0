// The install plan as data: the settings file it writes is read back by the server's own config
// loader to the settings asked for, the unit file carries the hardening and is accepted by
// `systemd-analyze verify`, and bad flags are refused before anything is planned.
import { afterEach, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig } from "../../server/config";
import { ConfigError } from "../../server/errors";
import {
  INSTALLED_BINARY,
  installOptionsFromFlags,
  planInstall,
  planUninstall,
  serveArgumentsOfUnit,
  settingsFile,
  unitFile,
} from "../../server/install/plan";

const dirs: string[] = [];
function tempDir() {
  const dir = mkdtempSync(join(tmpdir(), "outpost-install-plan-"));
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe("the settings file", () => {
  test("is read back by the config loader to the settings given as flags", () => {
    const options = installOptionsFromFlags({ port: "9123", "public-url": "https://pi.example.com/outpost" });
    const data = tempDir();
    writeFileSync(join(data, "settings.toml"), settingsFile(options));
    const config = loadConfig({ flags: { data, config: join(data, "settings.toml") }, env: {} });
    expect(config.port).toBe(9123);
    expect(config.publicUrl).toBe("https://pi.example.com/outpost");
  });

  test("without flags holds the defaults, and no public URL", () => {
    const options = installOptionsFromFlags({});
    expect(options).toEqual({ port: 8080, dataDir: "/var/lib/outpost", publicUrl: null, user: "outpost", readyTimeoutMs: 120_000 });
    const data = tempDir();
    writeFileSync(join(data, "outpost.toml"), settingsFile(options));
    const config = loadConfig({ flags: { data }, env: {} });
    expect(config.port).toBe(8080);
    expect(config.publicUrl).toBeNull();
  });
});

describe("the unit file", () => {
  const options = installOptionsFromFlags({ data: "/srv/outpost", user: "pi-outpost" });
  const unit = unitFile(options);

  test("runs the installed binary as the service user on the chosen data directory", () => {
    expect(unit).toContain("User=pi-outpost\n");
    expect(unit).toContain(`ExecStart=${INSTALLED_BINARY} serve --data /srv/outpost --config /etc/outpost/outpost.toml\n`);
    expect(serveArgumentsOfUnit(unit)).toEqual({ dataDir: "/srv/outpost", configFile: "/etc/outpost/outpost.toml" });
  });

  test("restarts on failure and is hardened, writing only the data directory", () => {
    for (const directive of [
      "Restart=on-failure",
      "NoNewPrivileges=yes",
      "ProtectSystem=strict",
      "ReadWritePaths=/srv/outpost",
      "PrivateTmp=yes",
      "ProtectHome=yes",
      "WantedBy=multi-user.target",
    ])
      expect(unit.split("\n")).toContain(directive);
  });

  test("says why each protection left out is left out", () => {
    expect(unit).toMatch(/# Relaxed: MemoryDenyWriteExecute is not set, because Bun's JavaScript JIT/);
    expect(unit).not.toMatch(/^MemoryDenyWriteExecute=/m);
    // The Processes page lists every process of the box.
    expect(unit).toMatch(/# Relaxed: ProtectProc is not set, so every process of the box is visible/);
    expect(unit).not.toMatch(/^ProtectProc=/m);
  });

  test("grants only CAP_KILL, with a comment, so that signalProcess reaches any process", () => {
    expect(unit).toMatch(/# Relaxed: CAP_KILL, so that signalProcess may signal any process/);
    expect(unit.split("\n")).toContain("AmbientCapabilities=CAP_KILL");
    expect(unit.split("\n")).toContain("CapabilityBoundingSet=CAP_KILL");
    expect(unit).not.toContain("CAP_NET_BIND_SERVICE");
  });

  test("adds only CAP_NET_BIND_SERVICE, with a comment, for a port below 1024", () => {
    const low = unitFile(installOptionsFromFlags({ port: "80" }));
    expect(low).toMatch(/# Relaxed: port 80 is below 1024/);
    expect(low.split("\n")).toContain("AmbientCapabilities=CAP_KILL CAP_NET_BIND_SERVICE");
    expect(low.split("\n")).toContain("CapabilityBoundingSet=CAP_KILL CAP_NET_BIND_SERVICE");
  });

  test("is accepted by systemd-analyze verify without a warning", () => {
    const analyze = Bun.which("systemd-analyze");
    if (!analyze) throw new Error("systemd-analyze is missing: install Debian's systemd package to run this test.");
    // verify checks that ExecStart's program exists, so the copy points at one that does.
    const path = join(tempDir(), "outpost.service");
    writeFileSync(path, unitFile(installOptionsFromFlags({ port: "80" })).replace(INSTALLED_BINARY, process.execPath));
    const result = Bun.spawnSync([analyze, "verify", path], { stdout: "pipe", stderr: "pipe" });
    expect(`${result.stdout}${result.stderr}`).toBe("");
    expect(result.exitCode).toBe(0);
  });
});

describe("the plan", () => {
  test("creates the user, the private data directory, the binary, the settings (kept if present) and the unit, then starts it", () => {
    const steps = planInstall(installOptionsFromFlags({}));
    expect(steps.map((step) => step.kind)).toEqual(["user", "directory", "binary", "directory", "file", "file", "service"]);
    expect(steps[0]).toMatchObject({ command: ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", "outpost"] });
    expect(steps[1]).toEqual({ kind: "directory", path: "/var/lib/outpost", mode: 0o700, owner: "outpost" });
    expect(steps[4]).toMatchObject({ path: "/etc/outpost/outpost.toml", mode: 0o640, owner: "root", group: "outpost", keepExisting: true });
    expect(steps[5]).toMatchObject({ path: "/etc/systemd/system/outpost.service", mode: 0o644, keepExisting: false });
    expect(steps[2]).toEqual({
      kind: "binary",
      path: "/usr/local/bin/outpost",
      mode: 0o755,
      previousPath: "/usr/local/bin/outpost.previous",
    });
    expect(steps[6]).toEqual({
      kind: "service",
      unit: "outpost.service",
      dataDir: "/var/lib/outpost",
      configPath: "/etc/outpost/outpost.toml",
      readyTimeoutMs: 120_000,
    });
  });

  test("uninstall keeps the data directory unless purged", () => {
    const kept = planUninstall({ dataDir: "/var/lib/outpost", purge: false });
    expect(kept.some((step) => step.kind === "remove" && step.path === "/var/lib/outpost")).toBe(false);
    const purged = planUninstall({ dataDir: "/var/lib/outpost", purge: true });
    expect(purged.slice(-2)).toEqual([
      { kind: "remove", path: "/var/lib/outpost", recursive: true },
      { kind: "remove", path: "/etc/outpost", recursive: true },
    ]);
  });

  test.each([
    [{ port: "0" }, "--port must be a fixed port"],
    [{ port: "70000" }, "--port must be between"],
    [{ "public-url": "ftp://x" }, "--public-url must be"],
    [{ data: "relative/dir" }, "--data must be an absolute path"],
    [{ data: "/var/lib/../../etc" }, "--data must be an absolute path"],
    [{ data: "/var/lib/out post" }, "--data must be an absolute path"],
    [{ user: "root" }, "--user must be a system user name"],
    [{ user: "Bad;Name" }, "--user must be a system user name"],
    [{ host: "0.0.0.0" }, "Unknown flag --host for install"],
    [{ "ready-timeout-seconds": "0" }, "--ready-timeout-seconds must be a whole number from 1 to 3600"],
    [{ "ready-timeout-seconds": "soon" }, "--ready-timeout-seconds must be a whole number"],
  ])("refuses %p", (flags, message) => {
    expect(() => installOptionsFromFlags(flags as Record<string, string>)).toThrow(ConfigError);
    expect(() => installOptionsFromFlags(flags as Record<string, string>)).toThrow(message);
  });
});
