// Many entries at once: import (set many), delete many keys, export a prefix. Each is one write of
// the batcher (one transaction: all or nothing, acknowledged once committed) or one read, bounded
// by a count and a size; sets go through the service's own set path, so every rule of a single set
// applies to each entry.

import type { WriteBatcher } from "../db";
import { ConflictError, InvalidInputError, LimitExceededError } from "../errors";
import type { EventBus } from "../events";
import { settingNames } from "../settings";
import { prefixUpperBound } from "./key-range";
import type { CheckedSet, KvSetInput, WrittenSet } from "./service";
import type { KvStore } from "./store";

/** Why one entry of a bulk call was refused; `index` is its place in the call. */
export interface KvEntryError {
  index: number;
  key: string;
  message: string;
}

/** An exported entry: its value, and the seconds it had left when exported (null: it never expires). */
export interface KvExportEntry {
  key: string;
  value: unknown;
  ttlSeconds: number | null;
}

export interface KvExport {
  prefix: string;
  exportedAt: Date;
  entries: KvExportEntry[];
}

/** The service's rules and its set path, which bulk calls share with single ones (see service.ts). */
export interface KvBulkOptions {
  store: KvStore;
  writes: WriteBatcher;
  events: EventBus;
  now: () => number;
  /** Most entries (or keys) one bulk call takes, and an export returns. */
  maxBulkEntries: number;
  /** Most value bytes (as JSON) one import takes and one export returns. */
  maxBulkBytes: number;
  takeWrite: (writer: string | undefined) => void;
  validateKey: (key: string) => void;
  validateKeyBound: (name: "prefix", text: string) => void;
  checkSet: (input: KvSetInput) => CheckedSet;
  writeSet: (checked: CheckedSet, at: number) => WrittenSet;
  announceSet: (written: WrittenSet, at: number) => void;
  /** Throws LimitExceededError when about `bytes` of new values would not fit on the disk. */
  requireRoom: (bytes: number) => void;
}

/** How many refused entries an error lists (its message counts them all). */
const MAX_LISTED_ERRORS = 50;
/** How much of a refused key an error repeats: the caller sent it, so the index is what matters. */
const MAX_ERROR_KEY_CHARS = 80;

const errorOf = (index: number, key: string, error: unknown): KvEntryError => ({
  index,
  key: key.length > MAX_ERROR_KEY_CHARS ? `${key.slice(0, MAX_ERROR_KEY_CHARS)}…` : key,
  message: (error as Error).message,
});

export function createKvBulkOperations({
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
  requireRoom,
}: KvBulkOptions) {
  const countLimit = (message: string) =>
    new LimitExceededError(`${message} (setting ${settingNames("kvMaxBulkEntries").toml}).`, {
      details: { quota: "kvMaxBulkEntries", limit: maxBulkEntries },
    });
  const sizeLimit = (message: string) =>
    new LimitExceededError(`${message} (setting ${settingNames("kvMaxBulkBytes").toml}).`, {
      details: { quota: "kvMaxBulkBytes", limit: maxBulkBytes },
    });
  /** The message and details of a call refused for some of its entries: it counts them, and lists the first ones. */
  const refusal = (errors: KvEntryError[], message: string) =>
    [message, { details: { entryErrors: errors.slice(0, MAX_LISTED_ERRORS) } }] as const;

  return {
    /**
     * Sets every entry in one transaction, or none: each is checked as a single set would be, and
     * when any is refused the call fails listing them (`entryErrors`: index, key, message) —
     * InvalidInputError for broken entries or a key given twice, ConflictError when
     * `expectedVersion`s do not match. Fails with LimitExceededError past `maxBulkEntries`
     * entries, `maxBulkBytes` of values, a store quota, or the room left on the disk. Publishes SET
     * for each once committed; takes one write from `writer`'s rate. Returns how many were set.
     */
    async setMany(inputs: readonly KvSetInput[], { writer }: { writer?: string } = {}): Promise<number> {
      takeWrite(writer);
      if (inputs.length > maxBulkEntries)
        throw countLimit(`An import holds at most ${maxBulkEntries} entries; this one has ${inputs.length}`);
      if (inputs.length === 0) return 0;
      const checked: CheckedSet[] = [];
      const errors: KvEntryError[] = [];
      const firstIndexOfKey = new Map<string, number>();
      inputs.forEach((input, index) => {
        try {
          const earlier = firstIndexOfKey.get(input.key);
          if (earlier !== undefined) throw new InvalidInputError(`The key is also entry ${earlier}; an import sets each key once.`);
          firstIndexOfKey.set(input.key, index);
          checked.push(checkSet(input));
        } catch (error) {
          if (!(error instanceof InvalidInputError)) throw error;
          errors.push(errorOf(index, input.key, error));
        }
      });
      if (errors.length > 0)
        throw new InvalidInputError(
          ...refusal(errors, `${errors.length} of ${inputs.length} entries cannot be set; nothing was imported.`),
        );
      const totalBytes = checked.reduce((sum, each) => sum + each.valueBytes, 0);
      if (totalBytes > maxBulkBytes)
        throw sizeLimit(`An import carries at most ${maxBulkBytes} bytes of values; this one has ${totalBytes}`);
      requireRoom(totalBytes);

      const { written, at } = await writes.run(() => {
        const at = now();
        const written: WrittenSet[] = [];
        const conflicts: KvEntryError[] = [];
        checked.forEach((each, index) => {
          try {
            written.push(writeSet(each, at));
          } catch (error) {
            // A conflict is found before its entry changes anything, so the others can still be
            // checked and all conflicts reported; any other error ends the write (rolled back).
            if (!(error instanceof ConflictError)) throw error;
            conflicts.push(errorOf(index, each.key, error));
          }
        });
        // Throwing rolls back what the entries before the conflicts wrote.
        if (conflicts.length > 0)
          throw new ConflictError(
            ...refusal(
              conflicts,
              `${conflicts.length} of ${checked.length} entries are not at their expected version; nothing was imported.`,
            ),
          );
        return { written, at };
      });
      for (const each of written) announceSet(each, at);
      return written.length;
    },

    /**
     * Deletes the live entries of `keys` (a key given twice counts once) in one transaction and
     * publishes DELETE for each; returns how many there were. Fails with InvalidInputError listing
     * malformed keys (`entryErrors`), and LimitExceededError past `maxBulkEntries` keys, before
     * deleting anything. Takes one write from `writer`'s rate.
     */
    async deleteMany(keys: readonly string[], { writer }: { writer?: string } = {}): Promise<number> {
      takeWrite(writer);
      if (keys.length > maxBulkEntries) throw countLimit(`A delete takes at most ${maxBulkEntries} keys; this one has ${keys.length}`);
      const errors: KvEntryError[] = [];
      keys.forEach((key, index) => {
        try {
          validateKey(key);
        } catch (error) {
          errors.push(errorOf(index, key, error));
        }
      });
      if (errors.length > 0)
        throw new InvalidInputError(...refusal(errors, `${errors.length} of ${keys.length} keys are not valid keys; nothing was deleted.`));
      if (keys.length === 0) return 0;
      const { deleted, at } = await writes.run(() => {
        const at = now();
        const deleted: { key: string; version: number }[] = [];
        for (const key of new Set(keys)) {
          const current = store.getStoredMeta(key);
          // An expired entry is already gone for readers; the purge reports it as EXPIRE.
          if (!current || (current.expiresAtMs !== null && current.expiresAtMs <= at)) continue;
          const version = store.delete(key, at);
          if (version !== null) deleted.push({ key, version });
        }
        return { deleted, at };
      });
      for (const { key, version } of deleted) events.publish("kv.changed", { kind: "DELETE", key, version, entry: null, at: new Date(at) });
      return deleted.length;
    },

    /**
     * The live entries whose key starts with `prefix`, sorted by key, read at one instant with the
     * seconds each has left. Fails with LimitExceededError when there are more than
     * `maxBulkEntries` or their values pass `maxBulkBytes`, so an export always fits an import; it
     * stops reading at the first entry past either bound.
     */
    exportPrefix(prefix: string): KvExport {
      validateKeyBound("prefix", prefix);
      const at = now();
      const entries: KvExportEntry[] = [];
      let bytes = 0;
      for (const { entry, valueBytes } of store.scan(
        { from: prefix, to: prefixUpperBound(prefix), after: "", limit: maxBulkEntries + 1 },
        at,
      )) {
        if (entries.length === maxBulkEntries)
          throw countLimit(
            `More than ${maxBulkEntries} entries start with this prefix, more than one export holds; choose a longer prefix`,
          );
        bytes += valueBytes;
        if (bytes > maxBulkBytes)
          throw sizeLimit(`The values under this prefix take more than the ${maxBulkBytes} bytes one export holds; choose a longer prefix`);
        const ttlSeconds = entry.expiresAt === null ? null : Math.max(1, Math.ceil((entry.expiresAt.getTime() - at) / 1000));
        entries.push({ key: entry.key, value: entry.value, ttlSeconds });
      }
      return { prefix, exportedAt: new Date(at), entries };
    },
  };
}
