// Per-key token buckets in named classes. Features declare their classes (with a default
// per-minute budget that becomes the setting `rate_limit_<class>_per_minute`) and add the names to
// `RateClasses` by declaration merging. Keys are "ip:<addr>" or "user:<id>". In memory and bounded,
// behind the RateLimiter interface so a shared implementation can replace it when scaled out.

/**
 * Rate class names, merged in from each feature's folder:
 * `declare module "../limits/rate-limiter" { interface RateClasses { upload: true } }`.
 */
// biome-ignore lint/suspicious/noEmptyInterface: filled by declaration merging from the features.
export interface RateClasses {}
export type RateClass = keyof RateClasses & string;

export interface RateClassSpec {
  name: RateClass;
  defaultPerMinute: number;
  /** What the class limits, for --help and the README. */
  description: string;
}

export interface RateDecision {
  allowed: boolean;
  /** When not allowed: seconds until one more request would be. */
  retryAfterSeconds: number;
}

export interface RateLimiter {
  /** Takes one request from `key`'s bucket in `rateClass`. A bucket holds 30 seconds' worth, at least 5. */
  take(rateClass: RateClass, key: string): RateDecision;
}

interface Bucket {
  tokens: number;
  updatedMs: number;
}

const MAX_BUCKETS = 50_000;

/** In-memory buckets; `perMinute` gives each class's budget per key. */
export function createRateLimiter(
  { perMinute }: { perMinute: Readonly<Record<string, number>> },
  now: () => number = Date.now,
): RateLimiter {
  const buckets = new Map<string, Bucket>();

  return {
    take(rateClass, key) {
      const limit = perMinute[rateClass];
      if (limit === undefined) throw new Error(`Unknown rate class ${rateClass}.`);
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
