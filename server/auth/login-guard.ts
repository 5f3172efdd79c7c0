// Locks out password guessing: after 5 failures within 5 minutes for one IP + username, every
// attempt (even with the right password) is refused for a block that doubles each time it
// recurs (5 min, 10 min, 20 min, ... up to a day). Attempts still being checked count too, so
// a burst of parallel guesses cannot slip past the limit. In memory and bounded.

export interface LoginGuardOptions {
  maxFailures?: number;
  windowMs?: number;
  firstBlockMs?: number;
  maxBlockMs?: number;
  now?: () => number;
}

interface Attempts {
  failuresMs: number[];
  pending: number;
  blockedUntilMs: number;
  blocks: number;
  lastFailureMs: number;
}

const MAX_TRACKED = 20_000;
/** Usernames longer than any valid one are cut, so a key cannot be used to fill memory. */
const MAX_USERNAME = 64;

/** Behind an interface so a guard shared between instances can replace the in-memory one. */
export interface LoginGuard {
  /**
   * Starts an attempt: returns the seconds to wait when `username` may not be tried from `ip`
   * now (then the attempt is not started), or 0 after reserving a place for the attempt.
   * Every started attempt must end with `failed`, `succeeded` or `abandoned`.
   */
  begin(ip: string | null, username: string): number;
  /** Ends an attempt as a failure; returns the block in seconds it started, or 0. */
  failed(ip: string | null, username: string): number;
  /** Ends an attempt as a success: earlier failures are forgotten. */
  succeeded(ip: string | null, username: string): void;
  /** Ends an attempt that was neither (it stopped before the password was judged). */
  abandoned(ip: string | null, username: string): void;
}

export function createLoginGuard({
  maxFailures = 5,
  windowMs = 5 * 60_000,
  firstBlockMs = 5 * 60_000,
  maxBlockMs = 24 * 60 * 60_000,
  now = Date.now,
}: LoginGuardOptions = {}): LoginGuard {
  const attempts = new Map<string, Attempts>();
  const keyOf = (ip: string | null, username: string) => `${ip ?? "-"}|${username.slice(0, MAX_USERNAME).toLowerCase()}`;

  const entryFor = (key: string): Attempts => {
    let entry = attempts.get(key);
    if (!entry) {
      if (attempts.size >= MAX_TRACKED) evictOne();
      entry = { failuresMs: [], pending: 0, blockedUntilMs: 0, blocks: 0, lastFailureMs: now() };
      attempts.set(key, entry);
    }
    return entry;
  };
  /** Forgets the oldest entry that is neither blocked nor being checked (the oldest of all if none). */
  const evictOne = () => {
    const at = now();
    for (const [key, entry] of attempts)
      if (entry.blockedUntilMs <= at && entry.pending === 0) {
        attempts.delete(key);
        return;
      }
    attempts.delete(attempts.keys().next().value as string);
  };
  const recentFailures = (entry: Attempts, at: number) => {
    entry.failuresMs = entry.failuresMs.filter((t) => at - t < windowMs);
    return entry.failuresMs.length;
  };

  return {
    begin(ip: string | null, username: string): number {
      const at = now();
      const entry = entryFor(keyOf(ip, username));
      if (entry.blockedUntilMs > at) return Math.ceil((entry.blockedUntilMs - at) / 1000);
      if (recentFailures(entry, at) + entry.pending >= maxFailures) return 1;
      entry.pending += 1;
      return 0;
    },

    failed(ip: string | null, username: string): number {
      const at = now();
      const entry = entryFor(keyOf(ip, username));
      entry.pending = Math.max(0, entry.pending - 1);
      // A quiet day forgives earlier blocks.
      if (at - entry.lastFailureMs > maxBlockMs) entry.blocks = 0;
      entry.lastFailureMs = at;
      recentFailures(entry, at);
      entry.failuresMs.push(at);
      if (entry.failuresMs.length < maxFailures) return 0;
      const blockMs = Math.min(maxBlockMs, firstBlockMs * 2 ** entry.blocks);
      entry.blocks += 1;
      entry.blockedUntilMs = at + blockMs;
      entry.failuresMs = [];
      return Math.ceil(blockMs / 1000);
    },

    succeeded(ip: string | null, username: string) {
      attempts.delete(keyOf(ip, username));
    },

    abandoned(ip: string | null, username: string) {
      const entry = attempts.get(keyOf(ip, username));
      if (entry) entry.pending = Math.max(0, entry.pending - 1);
    },
  };
}
