// Typed configuration. Each setting is read from, in order of precedence: command-line flags,
// OUTPOST_* environment variables, <data>/outpost.toml, then its default. The core's settings are
// here; each feature declares its own (settings.ts), and each rate class has one. Every value is
// validated at start; a bad one stops the start with a message naming the setting and its source.

import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { ConfigError } from "./errors";
import type { AnyFeature } from "./feature";
import { FEATURES } from "./features";
import type { RateClass, RateClassSpec } from "./limits/rate-limiter";
import type { LogLevel } from "./log";
import { type FeatureSettings, LOG_LEVELS, type RateClassSettings, rateSettingKey, type SettingSpec, settingNames } from "./settings";

declare module "./limits/rate-limiter" {
  interface RateClasses {
    api: true;
  }
}

interface CoreSettings {
  dataDir: string;
  host: string;
  port: number;
  publicUrl: string | null;
  logLevel: LogLevel;
  /** Seeds the `admin` user on a first start; never read from the TOML file. */
  adminPassword: string | null;
  maxRequestBodyBytes: number;
  /** Longest GraphQL document text accepted, before it is parsed or cached. */
  maxQueryBytes: number;
  /** Peers whose X-Forwarded-For / X-Forwarded-Proto are believed (comma-separated addresses); none by default. */
  trustedProxies: string | null;
  shutdownGraceMs: number;
}

export type Config = CoreSettings & FeatureSettings & RateClassSettings<RateClass>;

const CORE_SETTINGS: SettingSpec[] = [
  { key: "host", kind: "string", default: "0.0.0.0", description: "listen address" },
  { key: "port", kind: "int", default: 8080, min: 0, max: 65535, description: "port (0 = any free port)" },
  { key: "publicUrl", kind: "string", default: null, nullable: true, description: "public URL, for the setup link" },
  { key: "logLevel", kind: "logLevel", default: "info", description: "log level: debug, info, warn or error" },
  {
    key: "adminPassword",
    kind: "string",
    default: null,
    inFile: false,
    nullable: true,
    description: "first admin's password (environment only, never in the file)",
  },
  { key: "maxRequestBodyBytes", kind: "int", default: 4 << 20, min: 1024, max: 1 << 30, description: "request body limit (bytes)" },
  { key: "maxQueryBytes", kind: "int", default: 64 << 10, min: 256, max: 4 << 20, description: "longest GraphQL document (bytes)" },
  {
    key: "trustedProxies",
    kind: "string",
    default: null,
    nullable: true,
    description: "reverse proxies whose X-Forwarded-For is believed (comma-separated addresses)",
  },
  { key: "shutdownGraceMs", kind: "int", default: 10_000, min: 0, max: 60_000, description: "shutdown grace (ms)" },
];

const CORE_RATE_CLASSES: RateClassSpec[] = [{ name: "api", defaultPerMinute: 1200, description: "API requests per IP and per user" }];

/** Every rate class: the core's and the features'. */
export function rateClassesOf(features: readonly AnyFeature[]): RateClassSpec[] {
  return [...CORE_RATE_CLASSES, ...features.flatMap((f) => f.rateClasses ?? [])];
}

/** Every setting: the core's, the features', and one per rate class; a key declared twice is a bug. */
export function settingsOf(features: readonly AnyFeature[]): SettingSpec[] {
  const all = [
    ...CORE_SETTINGS,
    ...features.flatMap((f) => f.settings ?? []),
    ...rateClassesOf(features).map(
      (rc): SettingSpec => ({
        key: rateSettingKey(rc.name),
        kind: "int",
        default: rc.defaultPerMinute,
        min: 1,
        max: 1_000_000_000,
        description: `rate limit: ${rc.description}, per minute`,
      }),
    ),
  ];
  const seen = new Set<string>();
  for (const setting of all) {
    if (seen.has(setting.key)) throw new Error(`Setting ${setting.key} is declared twice.`);
    seen.add(setting.key);
  }
  return all;
}

/** The defaults of every setting of `features` (all but the data directory). */
export function defaultsOf(features: readonly AnyFeature[]): Omit<Config, "dataDir"> {
  return Object.fromEntries(settingsOf(features).map((s) => [s.key, s.default])) as Omit<Config, "dataDir">;
}

export const DEFAULTS = defaultsOf(FEATURES);

/** The flags `loadConfig` understands, with what each means and its default, for `--help`. */
export function describeSettings(features: readonly AnyFeature[] = FEATURES): string[] {
  const rows = [
    ["--data <dir>", "data directory (default ./data)"],
    ...settingsOf(features)
      .filter((s) => s.inFile !== false)
      .map((s) => [
        `${settingNames(s.key).flag} <${s.kind === "int" ? "n" : "value"}>`,
        `${s.description}${s.default === null ? "" : ` (default ${s.default})`}`,
      ]),
  ];
  const width = Math.max(...rows.map(([flag]) => (flag as string).length));
  return rows.map(([flag, text]) => `${(flag as string).padEnd(width)}  ${text}`);
}

function coerce(setting: SettingSpec, raw: unknown, source: string): unknown {
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
      if (!LOG_LEVELS.includes(raw as LogLevel))
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
  /** Whose settings to read; every feature of the app by default. */
  features?: readonly AnyFeature[];
}

/** Builds the validated config; throws ConfigError naming the first bad setting. */
export function loadConfig({
  flags = {},
  env = process.env,
  defaultDataDir = "./data",
  features = FEATURES,
}: LoadConfigOptions = {}): Config {
  const settings = settingsOf(features);
  const inFile = settings.filter((s) => s.inFile !== false);
  const known = new Set(["data", ...inFile.map((s) => settingNames(s.key).flag.slice(2))]);
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
    const fileKeys = new Set(inFile.map((s) => settingNames(s.key).toml));
    for (const name of Object.keys(file)) if (!fileKeys.has(name)) throw new ConfigError(`Unknown setting ${name} in ${filePath}.`);
  }

  const config: Record<string, unknown> = { ...defaultsOf(features), dataDir };
  for (const setting of settings) {
    const names = settingNames(setting.key);
    const flag = setting.inFile === false ? undefined : flags[names.flag.slice(2)];
    const fromEnv = env[names.env];
    const fromFile = setting.inFile === false ? undefined : file[names.toml];
    if (flag !== undefined) config[setting.key] = coerce(setting, flag, names.flag);
    else if (fromEnv !== undefined) config[setting.key] = coerce(setting, fromEnv, names.env);
    else if (fromFile !== undefined) config[setting.key] = coerce(setting, fromFile, `${names.toml} in ${filePath}`);
  }
  return config as unknown as Config;
}
