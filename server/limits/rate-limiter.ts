// Per-key token buckets in classes (auth, api, upload, exec, and denials: audit rows of refusals). Keys are "ip:<addr>" or
// "user:<id>". In memory and bounded; the Redis scale-out issue will share them across instances.

export type RateClass = "auth" | "api" | "upload" | "exec" | "denials";

export interface RateLimits {
  /** Requests allowed per minute, per key, for each class. */
  perMinute: Record<RateClass, number>;
}

export interface RateDecision {
  allowed: boolean;
  /** When not allowed: seconds until one more request would be. */
  retryAfterSeconds: number;
}

interface Bucket {
  tokens: number;
  updatedMs: number;
}

const MAX_BUCKETS = 50_000;

export function createRateLimiter({ perMinute }: RateLimits, now: () => number = Date.now) {
  const buckets = new Map<string, Bucket>();

  return {
    /** Takes one request from `key`'s bucket in `rateClass`. A bucket holds 30 seconds' worth, at least 5. */
    take(rateClass: RateClass, key: string): RateDecision {
      const limit = perMinute[rateClass];
      const ratePerMs = limit / 60_000;
      const capacity = Math.max(5, limit / 2);
      const id = `${rateClass}|${key}`;
      const at = now();
      let bucket = buckets.get(id);
      if (bucket) {
        bucket.tokens = Math.min(capacity, bucket.tokens + (at - bucket.updatedMs) * ratePerMs);
        bucket.updatedMs = at;
      } else {
        if (buckets.size >= MAX_BUCKETS) buckets.delete(buckets.keys().next().value as string);
        bucket = { tokens: capacity, updatedMs: at };
        buckets.set(id, bucket);
      }
      if (bucket.tokens >= 1) {
        bucket.tokens -= 1;
        return { allowed: true, retryAfterSeconds: 0 };
      }
      return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - bucket.tokens) / ratePerMs / 1000)) };
    },
  };
}

export type RateLimiter = ReturnType<typeof createRateLimiter>;
