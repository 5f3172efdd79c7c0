// Typed configuration. Each setting is read from, in order of precedence: command-line flags,
// OUTPOST_* environment variables, the settings file (--config / OUTPOST_CONFIG, else
// <data>/outpost.toml when it exists), then its default. The core's settings are
// here; each feature declares its own (settings.ts), and each rate class has one. Every value is
// validated at start; a bad one stops the start with a message naming the setting as the user
// wrote it (`--log-level`, `OUTPOST_LOG_LEVEL`, or `log_level` in the file).

import { existsSync, readFileSync } from "node:fs";
import { hostname, networkInterfaces } from "node:os";
import { join, resolve } from "node:path";
import { validatePassword } from "./auth/passwords";
import { DISK_SETTINGS, type DiskSettings } from "./disk/settings";
import { ConfigError } from "./errors";
import type { AnyFeature } from "./feature";
import { FEATURES } from "./features";
import { canonicalAddress } from "./http/client-info";
import type { RateClass, RateClassSpec } from "./limits/rate-limiter";
import { LOG_FORMATS, type LogFormat, type LogLevel } from "./log";
import { checkUserName } from "./os-users";
import { type FeatureSettings, LOG_LEVELS, type RateClassSettings, rateSettingKey, type SettingSpec, settingNames } from "./settings";

declare module "./limits/rate-limiter" {
  interface RateClasses {
    api: true;
  }
}

interface CoreSettings {
  dataDir: string;
  /** The settings file read, or null when there was none. */
  configFile: string | null;
  host: string;
  port: number;
  publicUrl: string | null;
  logLevel: LogLevel;
  logFormat: LogFormat;
  /** Seeds the `admin` user on a first start; never read from the TOML file. */
  adminPassword: string | null;
  maxRequestBodyBytes: number;
  /** Largest GraphQL multipart request (a file uploaded through GraphQL, which is held in memory). */
  maxMultipartBodyBytes: number;
  /** Longest GraphQL document text accepted, before it is parsed or cached. */
  maxQueryBytes: number;
  /** Peers whose X-Forwarded-For / X-Forwarded-Proto are believed (comma-separated addresses); none by default. */
  trustedProxies: string | null;
  shutdownGraceMs: number;
  /** When Outpost runs as root: the user its runs (and terminals) run as instead; null for Outpost's own user. */
  runAsUser: string | null;
}

export type Config = CoreSettings & DiskSettings & FeatureSettings & RateClassSettings<RateClass>;

/** Why `host` cannot be listened on, or null: it must be an address of this machine (or a wildcard), localhost or the machine's name. */
function checkListenHost(host: string): string | null {
  if (host.startsWith("[") && host.endsWith("]")) return `must be written without brackets: ${host.slice(1, -1)}`;
  const address = canonicalAddress(host);
  if (address === null)
    return host === "localhost" || host === hostname()
      ? null
      : `must be an IP address of this machine, localhost or ${hostname()}; ${JSON.stringify(host)} is none of these`;
  const ours = Object.values(networkInterfaces()).flatMap((addresses) => (addresses ?? []).map((a) => a.address));
  const wildcards = [canonicalAddress("0.0.0.0"), canonicalAddress("::")];
  // Linux answers on every 127.x address, though the interface lists only 127.0.0.1.
  if (wildcards.includes(address) || address.startsWith("127.") || ours.some((a) => canonicalAddress(a) === address)) return null;
  return `is ${host}, which is not an address of this machine; use one of ${ours.join(", ")}, or 0.0.0.0 (every IPv4 address) or :: (every address)`;
}

/** Why `value` cannot be the public URL, or null: the setup link is built on it, so it must be an absolute http(s) URL and nothing more. */
function checkPublicUrl(value: string): string | null {
  const usage = `must be an absolute http:// or https:// URL such as https://outpost.example.com; got ${JSON.stringify(value)}`;
  if (!URL.canParse(value)) return usage;
  const url = new URL(value);
  if (url.protocol !== "http:" && url.protocol !== "https:") return usage;
  if (url.search || url.hash || url.username || url.password)
    return `must be a plain http:// or https:// URL, without ?query, #fragment or user name; got ${JSON.stringify(value)}`;
  return null;
}

const CORE_SETTINGS: SettingSpec[] = [
  {
    key: "host",
    kind: "string",
    default: "0.0.0.0",
    description: "listen address",
    accepts: "an IP address of this machine (0.0.0.0 for every IPv4 address, :: for every address), localhost or the machine's name",
    check: checkListenHost,
  },
  { key: "port", kind: "int", default: 8080, min: 0, max: 65535, description: "port (0 = any free port)" },
  {
    key: "publicUrl",
    kind: "string",
    default: null,
    nullable: true,
    description: "public URL, for the setup link",
    accepts: "an absolute http:// or https:// URL, such as https://outpost.example.com",
    check: checkPublicUrl,
  },
  { key: "logLevel", kind: "logLevel", default: "info", description: "log level: debug, info, warn or error" },
  {
    key: "logFormat",
    kind: "string",
    default: "json",
    description: "log format: json (one object per line, for the journal and jq) or text (lines for a terminal)",
    accepts: "json or text",
    check: (value) => (LOG_FORMATS.includes(value as LogFormat) ? null : `must be json or text, got ${JSON.stringify(value)}`),
  },
  {
    key: "adminPassword",
    kind: "string",
    default: null,
    inFile: false,
    nullable: true,
    description: "first admin's password (environment only, never in the file)",
    check: (password) => {
      try {
        validatePassword(password);
        return null;
      } catch (err) {
        const rule = (err as Error).message.replace(/\.$/, "");
        return `is not a usable password: ${rule.charAt(0).toLowerCase()}${rule.slice(1)}`;
      }
    },
  },
  { key: "maxRequestBodyBytes", kind: "int", default: 4 << 20, min: 1024, max: 1 << 30, description: "request body limit (bytes)" },
  {
    key: "maxMultipartBodyBytes",
    kind: "int",
    default: 32 << 20,
    min: 1024,
    max: 1 << 30,
    description:
      "largest GraphQL multipart request, a file uploaded through GraphQL (held in memory); larger files use the resumable upload (bytes)",
  },
  { key: "maxQueryBytes", kind: "int", default: 64 << 10, min: 256, max: 4 << 20, description: "longest GraphQL document (bytes)" },
  {
    key: "trustedProxies",
    kind: "string",
    default: null,
    nullable: true,
    description: "reverse proxies whose X-Forwarded-For is believed (comma-separated addresses)",
    accepts: "IP addresses separated by commas",
    check: (value) => {
      const notAddress = value.split(",").find((entry) => entry.trim() !== "" && canonicalAddress(entry.trim()) === null);
      return notAddress === undefined
        ? null
        : `must list IP addresses separated by commas; ${JSON.stringify(notAddress.trim())} is not one`;
    },
  },
  { key: "shutdownGraceMs", kind: "int", default: 10_000, min: 0, max: 60_000, description: "shutdown grace (ms)" },
  {
    key: "runAsUser",
    kind: "string",
    default: null,
    nullable: true,
    description: "when Outpost runs as root, the user its runs run as (uid, gid, groups, HOME)",
    accepts: "a user name of this box",
    check: checkUserName,
  },
  ...DISK_SETTINGS,
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

/** The defaults of every setting of `features` (all but the data directory and the settings file). */
export function defaultsOf(features: readonly AnyFeature[]): Omit<Config, "dataDir" | "configFile"> {
  return Object.fromEntries(settingsOf(features).map((s) => [s.key, s.default])) as Omit<Config, "dataDir" | "configFile">;
}

export const DEFAULTS = defaultsOf(FEATURES);

/** `text` broken into lines of at most `width` characters (a longer word keeps its own line), each indented by `indent` spaces. */
function wrap(text: string, indent: number, width = 100): string {
  const lines: string[] = [];
  for (const word of text.split(" ")) {
    const last = lines.length - 1;
    if (last >= 0 && indent + (lines[last] as string).length + 1 + word.length <= width) lines[last] += ` ${word}`;
    else lines.push(word);
  }
  return lines.map((line) => `${" ".repeat(indent)}${line}`).join("\n");
}

/** The flags `loadConfig` understands, each with what it means, the values it accepts and its default, for `--help`. */
export function describeSettings(features: readonly AnyFeature[] = FEATURES): string {
  const entries = [
    { flag: "--data <dir>", text: "data directory, used by one Outpost process at a time. Default: ./data." },
    {
      flag: "--config <file>",
      text: "settings file (TOML, the keys below); it must exist. Also OUTPOST_CONFIG. Default: <data>/outpost.toml when it exists.",
    },
    ...settingsOf(features)
      .filter((s) => s.inFile !== false)
      .map((s) => {
        const accepts = s.kind === "int" ? `${s.min} to ${s.max}` : s.kind === "bool" ? "true or false" : s.accepts;
        return {
          flag: `${settingNames(s.key).flag} <${s.kind === "int" ? "n" : s.kind === "bool" ? "true|false" : "value"}>`,
          text: `${s.description}.${accepts ? ` Allowed: ${accepts}.` : ""} Default: ${s.default ?? "none"}.`,
        };
      }),
  ];
  return entries.map(({ flag, text }) => `  ${flag}\n${wrap(text, 6)}`).join("\n");
}

/** `raw`, from `source` (the flag, variable or file entry as the user wrote it), as the value `setting` takes; a ConfigError naming `source` if it cannot be. */
function coerce(setting: SettingSpec, raw: unknown, source: string): unknown {
  if (setting.nullable && (raw === "" || raw === null)) return null;
  // A secret's value is never repeated back, not even to say it is wrong.
  const got = setting.inFile === false ? "" : `, got ${JSON.stringify(raw)}`;
  switch (setting.kind) {
    case "int": {
      const n = typeof raw === "number" ? raw : typeof raw === "string" && /^-?\d+$/.test(raw.trim()) ? Number(raw) : Number.NaN;
      if (!Number.isInteger(n)) throw new ConfigError(`${source} must be a whole number${got}.`);
      if ((setting.min !== undefined && n < setting.min) || (setting.max !== undefined && n > setting.max))
        throw new ConfigError(`${source} must be between ${setting.min} and ${setting.max}${got}.`);
      return n;
    }
    case "bool": {
      if (typeof raw === "boolean") return raw;
      const word = typeof raw === "string" ? raw.trim().toLowerCase() : "";
      if (["true", "yes", "1", "on"].includes(word)) return true;
      if (["false", "no", "0", "off"].includes(word)) return false;
      throw new ConfigError(`${source} must be true or false${got}.`);
    }
    case "logLevel":
      if (!LOG_LEVELS.includes(raw as LogLevel)) throw new ConfigError(`${source} must be one of debug, info, warn, error${got}.`);
      return raw;
    case "string": {
      if (typeof raw !== "string" || raw.length === 0)
        throw new ConfigError(`${source} must be ${setting.accepts ?? "a non-empty string"}${got}.`);
      const problem = setting.check?.(raw);
      if (problem) throw new ConfigError(`${source} ${problem}.`);
      return raw;
    }
  }
}

/** Splits `--name value` / `--name=value` pairs; unknown flags are an error naming the flag. */
export function parseFlags(argv: string[]): Record<string, string> {
  const flags: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (!arg.startsWith("--")) throw new ConfigError(`Unexpected argument ${JSON.stringify(arg)}. See outpost --help.`);
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

/**
 * The settings file to read: the one --config or OUTPOST_CONFIG names, which must exist (a typo
 * must not silently start a service on defaults), else `<data>/outpost.toml` when it exists, else none.
 */
function chooseSettingsFile(
  flag: string | undefined,
  fromEnv: string | undefined,
  dataDir: string,
): { path: string | null; source: string | null } {
  const source = flag !== undefined ? "--config" : fromEnv !== undefined ? "OUTPOST_CONFIG" : null;
  const given = flag ?? fromEnv;
  if (given === undefined) {
    const inDataDir = join(dataDir, "outpost.toml");
    return { path: existsSync(inDataDir) ? inDataDir : null, source: null };
  }
  if (given === "") throw new ConfigError(`${source} must name a settings file, such as /etc/outpost/outpost.toml.`);
  const path = resolve(given);
  if (!existsSync(path))
    throw new ConfigError(`${source} names ${path}, which does not exist. Create it, or leave ${source} out to use <data>/outpost.toml.`);
  return { path, source };
}

/** Why a settings file could not be read or parsed, in a few words. */
function reasonNotRead(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === "EACCES" || code === "EPERM") return `this user may not read it. Make it readable by the user Outpost runs as.`;
  if (code === "EISDIR") return "it is a directory, not a file.";
  return (err as Error).message;
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
  const known = new Set(["data", "config", ...inFile.map((s) => settingNames(s.key).flag.slice(2))]);
  for (const name of Object.keys(flags)) {
    if (known.has(name)) continue;
    // A longer or shorter spelling of a real flag (--data-dir for --data) is most likely meant as it.
    const meant = name && [...known].find((flag) => name.startsWith(flag) || flag.startsWith(name));
    throw new ConfigError(`Unknown flag --${name}.${meant ? ` Did you mean --${meant}?` : ""} See outpost --help.`);
  }

  const dataDir = resolve(flags.data ?? env.OUTPOST_DATA ?? defaultDataDir);
  const { path: filePath, source: fileSource } = chooseSettingsFile(flags.config, env.OUTPOST_CONFIG, dataDir);
  let file: Record<string, unknown> = {};
  if (filePath !== null) {
    try {
      file = Bun.TOML.parse(readFileSync(filePath, "utf8")) as Record<string, unknown>;
    } catch (err) {
      throw new ConfigError(`Cannot read ${filePath}${fileSource ? ` (given by ${fileSource})` : ""}: ${reasonNotRead(err)}`);
    }
    const fileKeys = new Set(inFile.map((s) => settingNames(s.key).toml));
    for (const name of Object.keys(file)) if (!fileKeys.has(name)) throw new ConfigError(`Unknown setting ${name} in ${filePath}.`);
  }

  const config: Record<string, unknown> = { ...defaultsOf(features), dataDir, configFile: filePath };
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
