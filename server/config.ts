// Typed configuration. Each setting is read from, in order of precedence: command-line flags,
// OUTPOST_* environment variables, <data>/outpost.toml, then the defaults below. Every value is
// validated at start; a bad one stops the start with a message naming the setting and its source.

import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { ConfigError } from "./errors";
import type { LogLevel } from "./log";

export interface Config {
  dataDir: string;
  host: string;
  port: number;
  publicUrl: string | null;
  logLevel: LogLevel;
  /** Seeds the `admin` user on a first start; never read from the TOML file. */
  adminPassword: string | null;
  accessTokenTtlSeconds: number;
  refreshTokenTtlSeconds: number;
  maxRequestBodyBytes: number;
  kvMaxKeyBytes: number;
  kvMaxValueBytes: number;
  shutdownGraceMs: number;
  /** Requests per minute per IP and per user, by class. */
  rateLimitAuthPerMinute: number;
  rateLimitApiPerMinute: number;
  rateLimitUploadPerMinute: number;
  rateLimitExecPerMinute: number;
  auditRetentionDays: number;
}

type Kind = "int" | "string" | "logLevel";
interface Setting {
  key: keyof Config;
  kind: Kind;
  min?: number;
  max?: number;
  /** False for secrets that must not sit in a world-readable config file. */
  inFile?: boolean;
  nullable?: boolean;
}

const SETTINGS: Setting[] = [
  { key: "host", kind: "string" },
  { key: "port", kind: "int", min: 0, max: 65535 },
  { key: "publicUrl", kind: "string", nullable: true },
  { key: "logLevel", kind: "logLevel" },
  { key: "adminPassword", kind: "string", inFile: false, nullable: true },
  { key: "accessTokenTtlSeconds", kind: "int", min: 30, max: 86_400 },
  { key: "refreshTokenTtlSeconds", kind: "int", min: 300, max: 365 * 86_400 },
  { key: "maxRequestBodyBytes", kind: "int", min: 1024, max: 1 << 30 },
  { key: "kvMaxKeyBytes", kind: "int", min: 1, max: 4096 },
  { key: "kvMaxValueBytes", kind: "int", min: 16, max: 64 << 20 },
  { key: "shutdownGraceMs", kind: "int", min: 0, max: 60_000 },
  { key: "rateLimitAuthPerMinute", kind: "int", min: 1, max: 1_000_000 },
  { key: "rateLimitApiPerMinute", kind: "int", min: 1, max: 1_000_000_000 },
  { key: "rateLimitUploadPerMinute", kind: "int", min: 1, max: 1_000_000 },
  { key: "rateLimitExecPerMinute", kind: "int", min: 1, max: 1_000_000 },
  { key: "auditRetentionDays", kind: "int", min: 1, max: 3650 },
];

export const DEFAULTS: Omit<Config, "dataDir"> = {
  host: "0.0.0.0",
  port: 8080,
  publicUrl: null,
  logLevel: "info",
  adminPassword: null,
  accessTokenTtlSeconds: 15 * 60,
  refreshTokenTtlSeconds: 30 * 86_400,
  maxRequestBodyBytes: 4 << 20,
  kvMaxKeyBytes: 512,
  kvMaxValueBytes: 1 << 20,
  shutdownGraceMs: 10_000,
  rateLimitAuthPerMinute: 30,
  rateLimitApiPerMinute: 1200,
  rateLimitUploadPerMinute: 60,
  rateLimitExecPerMinute: 60,
  auditRetentionDays: 90,
};

const kebab = (key: string) => key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
const snake = (key: string) => key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
const envName = (key: string) => `OUTPOST_${snake(key).toUpperCase()}`;

/** The flag names `loadConfig` understands, for `--help`. */
export function describeSettings(): string[] {
  return [
    "--data <dir>",
    ...SETTINGS.filter((s) => s.inFile !== false).map((s) => `--${kebab(s.key)} <${s.kind === "int" ? "n" : "value"}>`),
  ];
}

function coerce(setting: Setting, raw: unknown, source: string): unknown {
  const where = `${setting.key} (from ${source})`;
  if (setting.nullable && (raw === "" || raw === null)) return null;
  switch (setting.kind) {
    case "int": {
      const n = typeof raw === "number" ? raw : typeof raw === "string" && /^-?\d+$/.test(raw.trim()) ? Number(raw) : Number.NaN;
      if (!Number.isInteger(n)) throw new ConfigError(`Setting ${where} must be a whole number, got ${JSON.stringify(raw)}.`);
      if ((setting.min !== undefined && n < setting.min) || (setting.max !== undefined && n > setting.max))
        throw new ConfigError(`Setting ${where} must be between ${setting.min} and ${setting.max}, got ${n}.`);
      return n;
    }
    case "logLevel":
      if (raw !== "debug" && raw !== "info" && raw !== "warn" && raw !== "error")
        throw new ConfigError(`Setting ${where} must be one of debug, info, warn, error; got ${JSON.stringify(raw)}.`);
      return raw;
    case "string":
      if (typeof raw !== "string" || raw.length === 0) throw new ConfigError(`Setting ${where} must be a non-empty string.`);
      return raw;
  }
}

/** Splits `--name value` / `--name=value` pairs; unknown flags are an error naming the flag. */
export function parseFlags(argv: string[]): Record<string, string> {
  const flags: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (!arg.startsWith("--")) throw new ConfigError(`Unexpected argument ${JSON.stringify(arg)}.`);
    const eq = arg.indexOf("=");
    const name = eq === -1 ? arg.slice(2) : arg.slice(2, eq);
    let value: string | undefined = eq === -1 ? undefined : arg.slice(eq + 1);
    if (value === undefined) {
      value = argv[i + 1];
      if (value === undefined || value.startsWith("--")) throw new ConfigError(`Flag --${name} needs a value.`);
      i++;
    }
    flags[name] = value;
  }
  return flags;
}

export interface LoadConfigOptions {
  flags?: Record<string, string>;
  env?: Record<string, string | undefined>;
  /** Used when neither --data nor OUTPOST_DATA is given. */
  defaultDataDir?: string;
}

/** Builds the validated config; throws ConfigError naming the first bad setting. */
export function loadConfig({ flags = {}, env = process.env, defaultDataDir = "./data" }: LoadConfigOptions = {}): Config {
  const known = new Set(["data", ...SETTINGS.filter((s) => s.inFile !== false).map((s) => kebab(s.key))]);
  for (const name of Object.keys(flags)) if (!known.has(name)) throw new ConfigError(`Unknown flag --${name}. See --help.`);

  const dataDir = resolve(flags.data ?? env.OUTPOST_DATA ?? defaultDataDir);
  const filePath = join(dataDir, "outpost.toml");
  let file: Record<string, unknown> = {};
  if (existsSync(filePath)) {
    try {
      file = Bun.TOML.parse(readFileSync(filePath, "utf8")) as Record<string, unknown>;
    } catch (err) {
      throw new ConfigError(`Cannot read ${filePath}: ${(err as Error).message}`);
    }
    const fileKeys = new Set(SETTINGS.filter((s) => s.inFile !== false).map((s) => snake(s.key)));
    for (const name of Object.keys(file)) if (!fileKeys.has(name)) throw new ConfigError(`Unknown setting ${name} in ${filePath}.`);
  }

  const config: Record<string, unknown> = { ...DEFAULTS, dataDir };
  for (const setting of SETTINGS) {
    const flag = flags[kebab(setting.key)];
    const fromEnv = env[envName(setting.key)];
    const fromFile = setting.inFile === false ? undefined : file[snake(setting.key)];
    if (flag !== undefined) config[setting.key] = coerce(setting, flag, `--${kebab(setting.key)}`);
    else if (fromEnv !== undefined) config[setting.key] = coerce(setting, fromEnv, envName(setting.key));
    else if (fromFile !== undefined) config[setting.key] = coerce(setting, fromFile, `${snake(setting.key)} in ${filePath}`);
  }
  return config as unknown as Config;
}
