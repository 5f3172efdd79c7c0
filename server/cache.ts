// Short-lived caches of what is read on every request (session and API key state). Behind an
// interface so that a shared implementation can replace the in-memory one when several instances
// run; either way an entry is forgotten the moment the credentials it describes change.
import type { Clock } from "./clock";

export interface ExpiringCache<V> {
  /** The cached value, or undefined when absent or older than the cache's lifetime. */
  get(key: string): { value: V } | undefined;
  set(key: string, value: V): void;
  /** Forgets every entry whose value matches. */
  forget(matches: (value: V) => boolean): void;
}

export type CacheFactory = <V>(options: { ttlMs: number; maxEntries: number }) => ExpiringCache<V>;

/** In-memory caches, bounded by entry count (the oldest entry goes first) and age. */
export function memoryCaches(clock: Clock): CacheFactory {
  return <V>({ ttlMs, maxEntries }: { ttlMs: number; maxEntries: number }): ExpiringCache<V> => {
    const entries = new Map<string, { value: V; readAtMs: number }>();
    return {
      get(key) {
        const entry = entries.get(key);
        return entry && clock.now() - entry.readAtMs < ttlMs ? { value: entry.value } : undefined;
      },
      set(key, value) {
        entries.delete(key);
        if (entries.size >= maxEntries) entries.delete(entries.keys().next().value as string);
        entries.set(key, { value, readAtMs: clock.now() });
      },
      forget(matches) {
        for (const [key, entry] of entries) if (matches(entry.value)) entries.delete(key);
      },
    };
  };
}
