// Configuration precedence (flags > env > outpost.toml > defaults) and errors that name the setting.
import { afterEach, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DEFAULTS, loadConfig, parseFlags } from "../../server/config";

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

describe("errors name the bad setting and where it came from", () => {
  test.each([
    [{ port: "http" }, {}, undefined, "port (from --port) must be a whole number"],
    [{}, { OUTPOST_PORT: "70000" }, undefined, "port (from OUTPOST_PORT) must be between 0 and 65535"],
    [{}, {}, "log_level = 'loud'\n", "logLevel (from log_level in"],
    [{}, {}, "colour = 'blue'\n", "Unknown setting colour"],
    [{}, {}, "port = [", "Cannot read"],
    [{ bogus: "1" }, {}, undefined, "Unknown flag --bogus"],
  ] as const)("flags %j env %j file %j", (flags, env, toml, message) => {
    expect(() => loadConfig({ flags: { data: dataDir(toml), ...flags }, env })).toThrow(message);
  });

  test("flags need values", () => {
    expect(() => parseFlags(["--port"])).toThrow("--port needs a value");
    expect(parseFlags(["--port", "0", "--data=/x"])).toEqual({ port: "0", data: "/x" });
  });
});
