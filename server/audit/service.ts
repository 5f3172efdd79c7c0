// The audit log: one row per mutation, sign-in attempt and denied use of a credential, written in
// batches (never slowing the request it describes), published live, and kept for a configurable
// number of days.
import type { WriteBatcher } from "../db";
import { InvalidInputError } from "../errors";
import type { EventBus } from "../events";
import type { Logger } from "../log";
import type { AuditEntry, AuditFilter, AuditStore, NewAuditEntry } from "./store";

export type { AuditEntry, AuditFilter } from "./store";

const PURGE_INTERVAL_MS = 60 * 60 * 1000;

export function createAuditService({
  store,
  writes,
  events,
  log,
  retentionDays,
  maxPageSize = 500,
  now = Date.now,
}: {
  store: AuditStore;
  writes: WriteBatcher;
  events: EventBus;
  log: Logger;
  retentionDays: number;
  maxPageSize?: number;
  now?: () => number;
}) {
  let purgeTimer: ReturnType<typeof setInterval> | null = null;
  const purge = () => {
    try {
      store.purgeBefore(now() - retentionDays * 86_400_000);
    } catch (err) {
      log.error("purging the audit log failed", { err });
    }
  };

  return {
    /** Queues one entry; resolves once it is committed and published. Failures are logged, not thrown. */
    record(entry: Omit<NewAuditEntry, "at">): Promise<void> {
      const full: NewAuditEntry = { ...entry, at: new Date(now()) };
      return writes
        .run(() => store.insert(full))
        .then(
          (id) => events.publish("audit.recorded", { ...full, id }),
          (err) => log.error("audit entry not written", { err, action: entry.action }),
        );
    },

    /** Entries matching `filter`, newest first, in pages chained by the id cursor `after`. */
    list({ filter = {}, first = 50, after = null }: { filter?: AuditFilter; first?: number; after?: number | null }) {
      if (!Number.isInteger(first) || first < 1 || first > maxPageSize)
        throw new InvalidInputError(`first must be between 1 and ${maxPageSize}.`);
      const rows = store.list(filter, after, first + 1);
      return { entries: rows.slice(0, first), hasNextPage: rows.length > first };
    },

    /** New entries from now on. */
    watch: (): AsyncIterableIterator<AuditEntry> => events.subscribe("audit.recorded"),

    /** Deletes entries past the retention now and every hour. */
    start() {
      purge();
      purgeTimer = setInterval(purge, PURGE_INTERVAL_MS);
    },
    stop() {
      if (purgeTimer) clearInterval(purgeTimer);
      purgeTimer = null;
    },
  };
}

export type AuditService = ReturnType<typeof createAuditService>;
