// The rules of the key-value store: key and value limits, versions and compare-and-set, TTL
// expiry (invisible at once, purged in the background), and one `kv.changed` event per change.

import type { Clock } from "../clock";
import type { WriteBatcher } from "../db";
import { ConflictError, InvalidInputError } from "../errors";
import type { EventBus } from "../events";
import type { Jobs } from "../jobs";
import type { Logger } from "../log";
import type { KvEntry, KvStore } from "./store";

export type { KvEntry } from "./store";

export type KvChangeKind = "SET" | "DELETE" | "EXPIRE";
export interface KvChange {
  kind: KvChangeKind;
  key: string;
  /** The version set, or the last version of a deleted or expired entry. */
  version: number;
  /** The new entry for SET; null for DELETE and EXPIRE. */
  entry: KvEntry | null;
  at: Date;
}

export interface KvSetInput {
  key: string;
  value?: unknown;
  ttlSeconds?: number | null;
  /** Compare-and-set: the version the caller last saw; 0 means "only if absent". */
  expectedVersion?: number | null;
}

export interface KvPage {
  entries: KvEntry[];
  hasNextPage: boolean;
}

export interface KvServiceOptions {
  store: KvStore;
  writes: WriteBatcher;
  events: EventBus;
  log: Logger;
  maxKeyBytes: number;
  maxValueBytes: number;
  maxPageSize?: number;
  clock: Clock;
  jobs: Jobs;
}

const MAX_TTL_SECONDS = 10 * 365 * 86_400;
const PURGE_BATCH = 500;
/** How long a deleted or expired key's last version is remembered, so re-creating it continues the numbering. */
const TOMBSTONE_RETENTION_MS = 7 * 86_400_000;
const SWEEP_JOB = "kv.expiry-sweep";
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point.
const CONTROL_CHARS = /[\u0000-\u001f\u007f]/;

/** The smallest string greater than every string starting with `prefix`, or null if none exists. */
export function prefixUpperBound(prefix: string): string | null {
  const points = Array.from(prefix);
  while (points.length > 0) {
    const last = (points.pop() as string).codePointAt(0) as number;
    // Skip the surrogate range: code points there are not valid on their own in UTF-8.
    const next = last + 1 === 0xd800 ? 0xe000 : last + 1;
    if (next <= 0x10ffff) return points.join("") + String.fromCodePoint(next);
  }
  return null;
}

export function createKvService({
  store,
  writes,
  events,
  log,
  maxKeyBytes,
  maxValueBytes,
  maxPageSize = 500,
  clock,
  jobs,
}: KvServiceOptions) {
  const now = () => clock.now();
  let running = false;

  const validateKey = (key: string) => {
    if (key.length === 0) throw new InvalidInputError("Key must not be empty.");
    const bytes = Buffer.byteLength(key, "utf8");
    if (bytes > maxKeyBytes) throw new InvalidInputError(`Key is ${bytes} bytes; the limit is ${maxKeyBytes} bytes.`);
    if (CONTROL_CHARS.test(key)) throw new InvalidInputError("Key must not contain control characters.");
  };

  const publishExpired = (key: string, version: number, at: number) =>
    events.publish("kv.changed", { kind: "EXPIRE", key, version, entry: null, at: new Date(at) });

  const purge = () => {
    const at = now();
    let total = 0;
    let purged: { key: string; version: number }[];
    do {
      purged = store.purgeExpired(at, PURGE_BATCH);
      for (const { key, version } of purged) publishExpired(key, version, at);
      total += purged.length;
    } while (purged.length === PURGE_BATCH);
    return total;
  };

  /** Runs the sweep at the next expiry (the jobs keep an earlier pending time). */
  const scheduleSweep = (atMs: number | null) => {
    if (running && atMs !== null) jobs.at(SWEEP_JOB, atMs, sweep);
  };

  function sweep() {
    let next: number | null;
    try {
      purge();
      next = store.nextExpiryMs();
    } catch (err) {
      log.error("kv purge failed", { err });
      next = now() + 1000;
    }
    // Never spin on a time already past (a failed purge, or a clock step).
    scheduleSweep(next === null ? null : Math.max(next, now() + 50));
  }

  return {
    /** The live entry for `key`, or null when missing or expired. */
    get(key: string): KvEntry | null {
      validateKey(key);
      return store.get(key, now());
    },

    /** Live entries whose key starts with `prefix`, sorted by key, after the key `after`. */
    list({ prefix = "", first = 100, after = "" }: { prefix?: string; first?: number; after?: string }): KvPage {
      if (!Number.isInteger(first) || first < 1 || first > maxPageSize)
        throw new InvalidInputError(`first must be between 1 and ${maxPageSize}.`);
      const rows = store.list({ from: prefix, to: prefixUpperBound(prefix), after, limit: first + 1 }, now());
      return { entries: rows.slice(0, first), hasNextPage: rows.length > first };
    },

    /**
     * Creates or replaces an entry and publishes SET, resolving once committed. With
     * `expectedVersion`, fails with ConflictError (carrying the current version) unless the
     * entry's version matches.
     */
    async set({ key, value, ttlSeconds, expectedVersion }: KvSetInput): Promise<KvEntry> {
      validateKey(key);
      if (value === undefined || value === null) throw new InvalidInputError("Value must not be null; use deleteKv to remove a key.");
      const json = JSON.stringify(value);
      const valueBytes = Buffer.byteLength(json, "utf8");
      if (valueBytes > maxValueBytes)
        throw new InvalidInputError(`Value is ${valueBytes} bytes as JSON; the limit is ${maxValueBytes} bytes.`);
      if (
        ttlSeconds !== undefined &&
        ttlSeconds !== null &&
        (!Number.isInteger(ttlSeconds) || ttlSeconds < 1 || ttlSeconds > MAX_TTL_SECONDS)
      )
        throw new InvalidInputError(`ttlSeconds must be a whole number from 1 to ${MAX_TTL_SECONDS}.`);
      if (expectedVersion !== undefined && expectedVersion !== null && (!Number.isInteger(expectedVersion) || expectedVersion < 0))
        throw new InvalidInputError("expectedVersion must be 0 (absent) or a version number.");

      const { entry, expiredVersion, at } = await writes.run(() => {
        const at = now();
        const current = store.getStored(key);
        const expired = current?.expiresAt && current.expiresAt.getTime() <= at ? current : null;
        const currentVersion = expired ? 0 : (current?.version ?? 0);
        if (expectedVersion !== undefined && expectedVersion !== null && expectedVersion !== currentVersion)
          throw new ConflictError(
            currentVersion === 0
              ? `Key ${JSON.stringify(key)} does not exist; expected version ${expectedVersion}.`
              : `Key ${JSON.stringify(key)} is at version ${currentVersion}, not ${expectedVersion}.`,
            { details: { currentVersion } },
          );
        if (expired) store.delete(key, at);
        const entry = store.upsert(key, json, at, ttlSeconds ? at + ttlSeconds * 1000 : null);
        return { entry, expiredVersion: expired?.version ?? null, at };
      });
      if (expiredVersion !== null) publishExpired(key, expiredVersion, at);
      events.publish("kv.changed", { kind: "SET", key, version: entry.version, entry, at: new Date(at) });
      scheduleSweep(entry.expiresAt?.getTime() ?? null);
      return entry;
    },

    /** Deletes a live entry and publishes DELETE; returns false when there was nothing to delete. */
    async delete(key: string, expectedVersion?: number | null): Promise<boolean> {
      validateKey(key);
      const at = now();
      const version = await writes.run(() => {
        const current = store.get(key, at);
        if (expectedVersion !== undefined && expectedVersion !== null && expectedVersion !== (current?.version ?? 0))
          throw new ConflictError(`Key ${JSON.stringify(key)} is at version ${current?.version ?? 0}, not ${expectedVersion}.`, {
            details: { currentVersion: current?.version ?? 0 },
          });
        return current ? store.delete(key, at) : null;
      });
      if (version === null) return false;
      events.publish("kv.changed", { kind: "DELETE", key, version, entry: null, at: new Date(at) });
      return true;
    },

    /** Changes to keys starting with `prefix`, from now on. */
    watch(prefix = ""): AsyncIterableIterator<KvChange> {
      return events.subscribe("kv.changed", { filter: (change) => change.key.startsWith(prefix) });
    },

    /** Removes every expired entry now, publishing EXPIRE for each; returns how many. */
    purgeExpired: purge,

    /** Forgets the last versions of keys deleted or expired longer ago than a week. */
    purgeTombstones: () => store.purgeTombstones(now() - TOMBSTONE_RETENTION_MS),

    /** Starts the background purge, timed to the next expiry. */
    start() {
      running = true;
      sweep();
    },
    stop() {
      running = false;
    },
  };
}

export type KvService = ReturnType<typeof createKvService>;
