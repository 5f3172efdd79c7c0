// The rules of the key-value store: key, value, prefix and page limits, quotas on the whole store,
// the write rate per user, versions and compare-and-set, TTL expiry (invisible at once, purged in
// the background), and one `kv.changed` event per change.

import type { Clock } from "../clock";
import type { WriteBatcher } from "../db";
import type { DiskWatch } from "../disk/watch";
import { ConflictError, InvalidInputError, LimitExceededError } from "../errors";
import type { EventBus } from "../events";
import type { Jobs } from "../jobs";
import type { RateLimiter } from "../limits/rate-limiter";
import type { Logger } from "../log";
import { settingNames } from "../settings";
import { createKvBulkOperations } from "./bulk";
import { unstorableJsonReason } from "./json-value";
import { prefixUpperBound } from "./key-range";
import type { KvEntry, KvStore } from "./store";

export type { KvEntryError, KvExport, KvExportEntry } from "./bulk";
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

/** A set that passed the key, value, TTL and version rules, its value as the JSON to store. */
export interface CheckedSet {
  key: string;
  json: string;
  valueBytes: number;
  ttlSeconds: number | null;
  expectedVersion: number | null;
}

/** What a set wrote: the entry, and the last version of an expired row it replaced. */
export interface WrittenSet {
  entry: KvEntry;
  expiredVersion: number | null;
}

/** Who is writing, for the write rate (`user:<id>`); writes without one (the server's own) are not rate limited. */
export interface KvWriteOptions {
  writer?: string;
}

export interface KvPage {
  entries: KvEntry[];
  hasNextPage: boolean;
}

/**
 * The value bytes pages may still return. One budget may be shared by several pages (the aliased
 * pages of one request), so that together they stay within one page's cap.
 */
export interface KvReadBudget {
  remainingBytes: number;
}

export interface KvServiceOptions {
  store: KvStore;
  writes: WriteBatcher;
  events: EventBus;
  log: Logger;
  maxKeyBytes: number;
  maxValueBytes: number;
  maxPageSize?: number;
  /** The most value bytes (as JSON) one page returns; it always returns at least one entry. */
  maxPageBytes?: number;
  /** Quota: the total size of all values (as JSON), expired ones counted until purged. */
  maxTotalBytes?: number;
  /** Quota: how many keys may exist. */
  maxKeys?: number;
  /** Most entries one import, delete of many keys or export takes. */
  maxBulkEntries?: number;
  /** Most value bytes (as JSON) one import or export carries. */
  maxBulkBytes?: number;
  /** Takes writes from the `kvWrite` class; without it writes are not rate limited. */
  rateLimiter?: RateLimiter;
  /** Refuses new values while the disk is (almost) full; deletes never ask it. */
  disk?: Pick<DiskWatch, "requireRoom">;
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

export function createKvService({
  store,
  writes,
  events,
  log,
  maxKeyBytes,
  maxValueBytes,
  maxPageSize = 500,
  maxPageBytes = 4 << 20,
  maxTotalBytes = 256 << 20,
  maxKeys = 100_000,
  maxBulkEntries = 1000,
  maxBulkBytes = 2 << 20,
  rateLimiter,
  disk,
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

  /** A prefix or cursor is at most a key long: it is held for as long as a subscription lives. */
  const validateKeyBound = (name: "prefix" | "after", text: string) => {
    // UTF-8 never takes fewer bytes than UTF-16 code units, so a long string is refused without measuring it.
    const bytes = text.length > maxKeyBytes ? null : Buffer.byteLength(text, "utf8");
    if (bytes === null || bytes > maxKeyBytes)
      throw new InvalidInputError(`${name} is ${bytes ?? `over ${maxKeyBytes}`} bytes; the limit is ${maxKeyBytes} bytes, as for keys.`);
  };

  const takeWrite = (writer: string | undefined) => {
    if (!rateLimiter || writer === undefined) return;
    const decision = rateLimiter.take("kvWrite", writer);
    if (!decision.allowed)
      throw new LimitExceededError(`Too many key-value writes; try again in ${decision.retryAfterSeconds} s.`, {
        details: { retryAfterSeconds: decision.retryAfterSeconds },
      });
  };

  /** A quota refusal names the quota and the setting that raises it. */
  const quotaExceeded = (what: string, setting: "kvMaxTotalBytes" | "kvMaxKeys", quota: string) =>
    new LimitExceededError(`${what}; the quota is ${quota} (setting ${settingNames(setting).toml}).`, {
      details: { quota: setting, limit: setting === "kvMaxKeys" ? maxKeys : maxTotalBytes },
    });

  /** Refuses a write that would take the store past a quota; run inside the write's transaction. */
  const checkQuotas = (addedKeys: number, addedBytes: number) => {
    if (addedKeys <= 0 && addedBytes <= 0) return;
    const usage = store.usage();
    if (addedKeys > 0 && usage.keys + addedKeys > maxKeys)
      throw quotaExceeded(`The store holds ${usage.keys} keys`, "kvMaxKeys", `${maxKeys} keys`);
    if (addedBytes > 0 && usage.valueBytes + addedBytes > maxTotalBytes)
      throw quotaExceeded(
        `The store's values take ${usage.valueBytes} bytes and this write would add ${addedBytes}`,
        "kvMaxTotalBytes",
        `${maxTotalBytes} bytes of values`,
      );
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

  /** Checks a set against the key, value, TTL and version rules before anything is written; throws InvalidInputError. */
  const checkSet = ({ key, value, ttlSeconds, expectedVersion }: KvSetInput): CheckedSet => {
    validateKey(key);
    if (value === undefined || value === null) throw new InvalidInputError("Value must not be null; use deleteKv to remove a key.");
    // The GraphQL edge already refused what cannot be stored; other callers get the same rules.
    const reason = unstorableJsonReason(value);
    if (reason !== null) throw new InvalidInputError(reason);
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
    return { key, json, valueBytes, ttlSeconds: ttlSeconds ?? null, expectedVersion: expectedVersion ?? null };
  };

  /**
   * Writes a checked set at `at`, inside the caller's `writes.run`: the compare-and-set
   * (ConflictError) and the quotas (LimitExceededError) are checked before anything changes, then
   * an expired row under the key is replaced. Every set, single or bulk, writes through here.
   */
  const writeSet = ({ key, json, valueBytes, ttlSeconds, expectedVersion }: CheckedSet, at: number): WrittenSet => {
    const current = store.getStoredMeta(key);
    const expired = current?.expiresAtMs != null && current.expiresAtMs <= at ? current : null;
    const currentVersion = expired ? 0 : (current?.version ?? 0);
    if (expectedVersion !== null && expectedVersion !== currentVersion)
      throw new ConflictError(
        currentVersion === 0
          ? `Key ${JSON.stringify(key)} does not exist; expected version ${expectedVersion}.`
          : `Key ${JSON.stringify(key)} is at version ${currentVersion}, not ${expectedVersion}.`,
        { details: { currentVersion } },
      );
    checkQuotas(current ? 0 : 1, valueBytes - (current?.valueBytes ?? 0));
    if (expired) store.delete(key, at);
    const entry = store.upsert(key, json, at, ttlSeconds ? at + ttlSeconds * 1000 : null);
    return { entry, expiredVersion: expired?.version ?? null };
  };

  /** Publishes a committed set (after the EXPIRE of the expired row it replaced) and times the sweep to its expiry. */
  const announceSet = ({ entry, expiredVersion }: WrittenSet, at: number) => {
    if (expiredVersion !== null) publishExpired(entry.key, expiredVersion, at);
    events.publish("kv.changed", { kind: "SET", key: entry.key, version: entry.version, entry, at: new Date(at) });
    scheduleSweep(entry.expiresAt?.getTime() ?? null);
  };

  return {
    /** The live entry for `key`, or null when missing or expired. */
    get(key: string): KvEntry | null {
      validateKey(key);
      return store.get(key, now());
    },

    /** A fresh byte budget of one page, for `list` calls that should share it. */
    readBudget: (): KvReadBudget => ({ remainingBytes: maxPageBytes }),

    /**
     * Live entries whose key starts with `prefix`, sorted by key, after the key `after`: at most
     * `first`, and no more value bytes than `budget` holds (its own page's cap when not given),
     * taking them from it. The page ends early (hasNextPage) rather than pass the budget, but always
     * holds at least one entry when one remains.
     */
    list({
      prefix = "",
      first = 100,
      after = "",
      budget = { remainingBytes: maxPageBytes },
    }: {
      prefix?: string;
      first?: number;
      after?: string;
      budget?: KvReadBudget;
    }): KvPage {
      if (!Number.isInteger(first) || first < 1 || first > maxPageSize)
        throw new InvalidInputError(`first must be between 1 and ${maxPageSize}.`);
      validateKeyBound("prefix", prefix);
      validateKeyBound("after", after);
      const entries: KvEntry[] = [];
      // Rows are read one at a time: a page of large values stops reading where it stops returning.
      for (const { entry, valueBytes } of store.scan({ from: prefix, to: prefixUpperBound(prefix), after, limit: first + 1 }, now())) {
        if (entries.length === first || (entries.length > 0 && valueBytes > budget.remainingBytes)) return { entries, hasNextPage: true };
        entries.push(entry);
        budget.remainingBytes -= valueBytes;
      }
      return { entries, hasNextPage: false };
    },

    /**
     * Creates or replaces an entry and publishes SET, resolving once committed. With
     * `expectedVersion`, fails with ConflictError (carrying the current version) unless the
     * entry's version matches. Takes one write from `writer`'s rate (LimitExceededError with
     * retryAfterSeconds when spent) and fails with LimitExceededError naming the quota when the
     * store would pass its total size or key count, or saying how full the disk is when it is.
     */
    async set(input: KvSetInput, { writer }: KvWriteOptions = {}): Promise<KvEntry> {
      takeWrite(writer);
      const checked = checkSet(input);
      disk?.requireRoom(checked.valueBytes, { inDatabase: true });
      const { written, at } = await writes.run(() => {
        const at = now();
        return { written: writeSet(checked, at), at };
      });
      announceSet(written, at);
      return written.entry;
    },

    /** Deletes a live entry and publishes DELETE; returns false when there was nothing to delete. Takes one write from `writer`'s rate. */
    async delete(key: string, expectedVersion?: number | null, { writer }: KvWriteOptions = {}): Promise<boolean> {
      takeWrite(writer);
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
      validateKeyBound("prefix", prefix);
      return events.subscribe("kv.changed", { filter: (change) => change.key.startsWith(prefix) });
    },

    /** Removes every expired entry now, publishing EXPIRE for each; returns how many. */
    purgeExpired: purge,

    /**
     * Forgets the last versions of keys deleted or expired longer ago than a week, and beyond the
     * newest `maxKeys` of them, so churning through keys cannot grow the database without bound.
     */
    purgeTombstones: () => store.purgeTombstones(now() - TOMBSTONE_RETENTION_MS, maxKeys),

    /** Starts the background purge, timed to the next expiry. */
    start() {
      running = true;
      sweep();
    },
    stop() {
      running = false;
    },

    // Import, delete of many keys and export: one transaction or read each, through the set path above.
    ...createKvBulkOperations({
      store,
      writes,
      events,
      now,
      maxBulkEntries,
      maxBulkBytes,
      takeWrite,
      validateKey,
      validateKeyBound,
      checkSet,
      writeSet,
      announceSet,
      // The same disk check as a single set, for the import's values together.
      requireRoom: (bytes) => disk?.requireRoom(bytes, { inDatabase: true }),
    }),
  };
}

export type KvService = ReturnType<typeof createKvService>;
