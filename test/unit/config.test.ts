// Configuration precedence (flags > env > outpost.toml > defaults), errors that name the setting as
// the user wrote it, the checks of values that need more than a type, and the --help text.
import { afterEach, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { DEFAULTS, describeSettings, loadConfig, parseFlags, settingsOf } from "../../server/config";
import { ConfigError } from "../../server/errors";
import { FEATURES } from "../../server/features";
import { settingNames } from "../../server/settings";

const dirs: string[] = [];
function dataDir(toml?: string) {
  const dir = mkdtempSync(join(tmpdir(), "outpost-config-"));
  dirs.push(dir);
  if (toml !== undefined) writeFileSync(join(dir, "outpost.toml"), toml);
  return dir;
}
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe("the settings file", () => {
  test("--config or OUTPOST_CONFIG names it; then <data>/outpost.toml is not read", () => {
    const data = dataDir("port = 9000\n");
    const elsewhere = join(dataDir(), "outpost.toml");
    writeFileSync(elsewhere, "port = 9300\n");
    expect(loadConfig({ flags: { data, config: elsewhere }, env: {} })).toMatchObject({ port: 9300, configFile: elsewhere });
    expect(loadConfig({ flags: { data }, env: { OUTPOST_CONFIG: elsewhere } })).toMatchObject({ port: 9300, configFile: elsewhere });
  });

  test("without either, <data>/outpost.toml is read when it exists, and nothing when it does not", () => {
    const data = dataDir("port = 9000\n");
    expect(loadConfig({ flags: { data }, env: {} })).toMatchObject({ port: 9000, configFile: join(data, "outpost.toml") });
    expect(loadConfig({ flags: { data: dataDir() }, env: {} })).toMatchObject({ port: 8080, configFile: null });
  });

  test("a named file that is missing or is no file stops the start with one sentence naming it and its source", () => {
    const missing = join(dataDir(), "nope.toml");
    expect(() => loadConfig({ flags: { data: dataDir(), config: missing }, env: {} })).toThrow(
      new ConfigError(`--config names ${missing}, which does not exist. Create it, or leave --config out to use <data>/outpost.toml.`),
    );
    expect(() => loadConfig({ flags: { data: dataDir() }, env: { OUTPOST_CONFIG: missing } })).toThrow(`OUTPOST_CONFIG names ${missing}`);
    const directory = dataDir();
    expect(() => loadConfig({ flags: { data: dataDir(), config: directory }, env: {} })).toThrow(
      new ConfigError(`Cannot read ${directory} (given by --config): it is a directory, not a file.`),
    );
  });
});

describe("precedence", () => {
  test("defaults apply when nothing is given", () => {
    const config = loadConfig({ flags: { data: dataDir() }, env: {} });
    expect(config.port).toBe(8080);
    expect(config.kvMaxValueBytes).toBe(DEFAULTS.kvMaxValueBytes);
  });

  test("the TOML file overrides defaults, env overrides the file, flags override env", () => {
    const data = dataDir('port = 9000\nlog_level = "warn"\nkv_max_key_bytes = 100\n');
    expect(loadConfig({ flags: { data }, env: {} })).toMatchObject({ port: 9000, logLevel: "warn", kvMaxKeyBytes: 100 });
    expect(loadConfig({ flags: { data }, env: { OUTPOST_PORT: "9100" } })).toMatchObject({ port: 9100, logLevel: "warn" });
    expect(loadConfig({ flags: { data, port: "9200" }, env: { OUTPOST_PORT: "9100" } }).port).toBe(9200);
  });

  test("the data directory comes from --data, then OUTPOST_DATA", () => {
    const a = dataDir();
    const b = dataDir();
    expect(loadConfig({ flags: { data: a }, env: { OUTPOST_DATA: b } }).dataDir).toBe(a);
    expect(loadConfig({ env: { OUTPOST_DATA: b } }).dataDir).toBe(b);
  });

  test("the admin password is taken from the environment but never from the file", () => {
    expect(loadConfig({ flags: { data: dataDir() }, env: { OUTPOST_ADMIN_PASSWORD: "from-env-123" } }).adminPassword).toBe("from-env-123");
    expect(() => loadConfig({ flags: { data: dataDir('admin_password = "x"\n') }, env: {} })).toThrow("Unknown setting admin_password");
  });
});

describe("errors name the bad setting as the user wrote it", () => {
  test.each([
    [{ port: "http" }, {}, undefined, '--port must be a whole number, got "http".'],
    [{}, { OUTPOST_PORT: "70000" }, undefined, 'OUTPOST_PORT must be between 0 and 65535, got "70000".'],
    [{}, { OUTPOST_LOG_LEVEL: "loud" }, undefined, 'OUTPOST_LOG_LEVEL must be one of debug, info, warn, error, got "loud".'],
    [{}, {}, "log_level = 'loud'\n", "log_level in "],
    [{}, {}, "colour = 'blue'\n", "Unknown setting colour"],
    [{}, {}, "port = [", "Cannot read"],
    [{ bogus: "1" }, {}, undefined, "Unknown flag --bogus. See outpost --help."],
    [{ "data-dir": "/x" }, {}, undefined, "Unknown flag --data-dir. Did you mean --data?"],
    [{}, { OUTPOST_TERMINALS_FOR_OPERATORS: "maybe" }, undefined, 'OUTPOST_TERMINALS_FOR_OPERATORS must be true or false, got "maybe".'],
  ] as const)("flags %j env %j file %j", (flags, env, toml, message) => {
    expect(() => loadConfig({ flags: { data: dataDir(toml), ...flags }, env })).toThrow(message);
  });

  test("yes/no settings take the words people write, from a flag, the environment or the file", () => {
    expect(loadConfig({ flags: { data: dataDir(), "terminals-for-operators": "yes" }, env: {} }).terminalsForOperators).toBe(true);
    expect(loadConfig({ flags: { data: dataDir() }, env: { OUTPOST_TERMINALS_FOR_OPERATORS: "off" } }).terminalsForOperators).toBe(false);
    expect(loadConfig({ flags: { data: dataDir("terminals_for_operators = true\n") }, env: {} }).terminalsForOperators).toBe(true);
    expect(loadConfig({ flags: { data: dataDir() }, env: {} }).terminalsForOperators).toBe(false);
  });

  test("flags need values", () => {
    expect(() => parseFlags(["--port"])).toThrow("--port needs a value");
    expect(parseFlags(["--port", "0", "--data=/x"])).toEqual({ port: "0", data: "/x" });
  });
});

describe("values are checked before anything starts", () => {
  const load =
    (flags: Record<string, string>, env: Record<string, string> = {}) =>
    () =>
      loadConfig({ flags: { data: dataDir(), ...flags }, env });

  test("the listen address must be one of this machine's, a wildcard, localhost or its name", () => {
    for (const host of ["127.0.0.1", "127.0.0.2", "::1", "0.0.0.0", "::", "localhost", hostname()])
      expect(load({ host })().host).toBe(host);
    expect(load({ host: "203.0.113.7" })).toThrow("--host is 203.0.113.7, which is not an address of this machine; use one of 127.0.0.1");
    expect(load({}, { OUTPOST_HOST: "not an address" })).toThrow("OUTPOST_HOST must be an IP address of this machine, localhost or");
    expect(load({ host: "[::1]" })).toThrow("--host must be written without brackets: ::1.");
  });

  test("the public URL must be an absolute http(s) URL without query or fragment", () => {
    expect(load({ "public-url": "https://outpost.example.com/" })().publicUrl).toBe("https://outpost.example.com/");
    expect(load({ "public-url": "outpost.example.com" })).toThrow("--public-url must be an absolute http:// or https:// URL");
    expect(load({}, { OUTPOST_PUBLIC_URL: "ftp://outpost.example.com" })).toThrow(
      "OUTPOST_PUBLIC_URL must be an absolute http:// or https:// URL",
    );
    expect(load({ "public-url": "https://outpost.example.com/?a=1" })).toThrow("without ?query, #fragment or user name");
  });

  test("a too-short admin password names the variable and is not repeated", () => {
    const attempt = load({}, { OUTPOST_ADMIN_PASSWORD: "tiny1" });
    expect(attempt).toThrow(ConfigError);
    expect(attempt).toThrow(/^OUTPOST_ADMIN_PASSWORD is not a usable password: password must be 8 to 256 characters long\.$/);
  });

  test("trusted proxies must be IP addresses", () => {
    expect(load({ "trusted-proxies": "127.0.0.1, ::1" })().trustedProxies).toBe("127.0.0.1, ::1");
    expect(load({ "trusted-proxies": "127.0.0.1, my-proxy" })).toThrow(
      '--trusted-proxies must list IP addresses separated by commas; "my-proxy" is not one.',
    );
  });
});

describe("--help", () => {
  test("describes every setting with the values it takes and its default", () => {
    const help = describeSettings();
    for (const setting of settingsOf(FEATURES).filter((s) => s.inFile !== false)) expect(help).toContain(settingNames(setting.key).flag);
    expect(help).toContain("  --port <n>\n      port (0 = any free port). Allowed: 0 to 65535. Default: 8080.");
    expect(help).toContain("Allowed: an absolute http:// or https:// URL");
    expect(help).not.toContain("--admin-password");
    expect(Math.max(...help.split("\n").map((line) => line.length))).toBeLessThanOrEqual(100);
  });
});
