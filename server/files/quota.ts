// What may be stored: the largest file, the quota of the whole store and of each user. Complete
// files count through the usage totals the database keeps; unfinished uploads count here, in
// memory, by their declared length (reserved when they are created) or, while the length is not
// known yet, by the bytes received so far. Every check happens before bytes are accepted.
import { LimitExceededError } from "../errors";
import type { FilesStore } from "./store";

export interface QuotaLimits {
  maxFileBytes: number;
  /** The whole store, all users together. */
  quotaBytes: number;
  /** Each user; null for no per-user quota. */
  userQuotaBytes: number | null;
}

export interface Reservation {
  userId: string;
  bytes: number;
}

/** The refusal of a write, naming the limit and the numbers (HTTP 413 at the edge). */
const refusal = (message: string, details: Record<string, number>) =>
  new LimitExceededError(message, { details: { ...details, httpStatus: 413 } });

export function createQuota({ store, limits }: { store: FilesStore; limits: QuotaLimits }) {
  // Unfinished uploads (and GraphQL uploads being written) by key.
  const reservations = new Map<string, Reservation>();

  const reservedBytes = (userId: string | null, excluding: string) => {
    let total = 0;
    for (const [key, reservation] of reservations)
      if (key !== excluding && (userId === null || reservation.userId === userId)) total += reservation.bytes;
    return total;
  };

  return {
    limits,
    /**
     * Throws LimitExceededError (with the limit and the numbers) unless `userId` may hold a file of
     * `sizeBytes`, counted instead of what reservation `key` holds now.
     */
    check(userId: string, sizeBytes: number, key = "") {
      if (sizeBytes > limits.maxFileBytes)
        throw refusal(`A file may be at most ${limits.maxFileBytes} bytes; this one is ${sizeBytes}.`, {
          limitBytes: limits.maxFileBytes,
          sizeBytes,
        });
      const usedBytes = store.usage("*").bytes + reservedBytes(null, key);
      if (usedBytes + sizeBytes > limits.quotaBytes)
        throw refusal(`The file store's quota is ${limits.quotaBytes} bytes and ${usedBytes} are in use; ${sizeBytes} more do not fit.`, {
          quotaBytes: limits.quotaBytes,
          usedBytes,
          sizeBytes,
        });
      if (limits.userQuotaBytes === null) return;
      const userUsedBytes = store.usage(userId).bytes + reservedBytes(userId, key);
      if (userUsedBytes + sizeBytes > limits.userQuotaBytes)
        throw refusal(`Your quota is ${limits.userQuotaBytes} bytes and you use ${userUsedBytes}; ${sizeBytes} more do not fit.`, {
          quotaBytes: limits.userQuotaBytes,
          usedBytes: userUsedBytes,
          sizeBytes,
        });
    },
    /** Holds `bytes` for `key` (an upload) until released; replaces what the key held. */
    reserve(key: string, userId: string, bytes: number) {
      reservations.set(key, { userId, bytes });
    },
    release(key: string) {
      reservations.delete(key);
    },
    /** Bytes held by unfinished uploads: of everyone, or of one user. */
    pendingBytes: (userId: string | null = null) => reservedBytes(userId, ""),
  };
}

export type Quota = ReturnType<typeof createQuota>;
