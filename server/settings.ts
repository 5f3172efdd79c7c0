// The settings registry. Each feature declares its settings (name, kind, default, bounds, what it
// means) and adds their types to `FeatureSettings` by declaration merging, so no central file lists
// them; config.ts reads every declared setting from flags, environment and outpost.toml.
import type { LogLevel } from "./log";

/**
 * Settings declared by features, merged in from each feature's folder:
 * `declare module "../settings" { interface FeatureSettings { kvMaxKeyBytes: number } }`.
 */
// biome-ignore lint/suspicious/noEmptyInterface: filled by declaration merging from the features.
export interface FeatureSettings {}

/**
 * Per-minute limits of the rate classes, named after them (`api` → `rateLimitApiPerMinute`); the
 * classes are declared by features (limits/rate-limiter.ts).
 */
export type RateClassSettings<Class extends string> = { [K in Class as `rateLimit${Capitalize<K>}PerMinute`]: number };

export type SettingKind = "int" | "bool" | "string" | "logLevel";

export interface SettingSpec<Key extends string = string> {
  key: Key;
  kind: SettingKind;
  default: number | boolean | string | null;
  /** One line for --help and the README. */
  description: string;
  min?: number;
  max?: number;
  /** False for secrets that must not sit in a world-readable config file (and have no flag); their values are never shown. */
  inFile?: boolean;
  nullable?: boolean;
  /** What a string setting accepts, for --help ("an http:// or https:// URL"); numbers and log levels describe themselves. */
  accepts?: string;
  /**
   * For string settings: why `value` cannot be used, in words that follow the name the user wrote
   * (`--public-url` "must be an http:// or https:// URL"), or null when it can.
   */
  check?: (value: string) => string | null;
}

export const LOG_LEVELS: readonly LogLevel[] = ["debug", "info", "warn", "error"];

/** The names a setting goes by: flag, environment variable and key in outpost.toml. */
export function settingNames(key: string) {
  const snake = key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
  return {
    flag: `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`,
    env: `OUTPOST_${snake.toUpperCase()}`,
    toml: snake,
  };
}

/** The key of a rate class's setting. */
export function rateSettingKey(rateClass: string): string {
  return `rateLimit${rateClass[0]?.toUpperCase()}${rateClass.slice(1)}PerMinute`;
}
