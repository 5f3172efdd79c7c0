// Locks out password guessing: after 5 failures within 5 minutes for one IP + username, every
// attempt (even with the right password) is refused for a block that doubles each time it
// recurs (5 min, 10 min, 20 min, ... up to a day). In memory and bounded.

export interface LoginGuardOptions {
  maxFailures?: number;
  windowMs?: number;
  firstBlockMs?: number;
  maxBlockMs?: number;
  now?: () => number;
}

interface Attempts {
  failuresMs: number[];
  blockedUntilMs: number;
  blocks: number;
  lastFailureMs: number;
}

const MAX_TRACKED = 20_000;

export function createLoginGuard({
  maxFailures = 5,
  windowMs = 5 * 60_000,
  firstBlockMs = 5 * 60_000,
  maxBlockMs = 24 * 60 * 60_000,
  now = Date.now,
}: LoginGuardOptions = {}) {
  const attempts = new Map<string, Attempts>();
  const keyOf = (ip: string | null, username: string) => `${ip ?? "-"}|${username.toLowerCase()}`;

  return {
    /** Seconds until `username` may be tried again from `ip`, or 0 when it may now. */
    blockedForSeconds(ip: string | null, username: string): number {
      const entry = attempts.get(keyOf(ip, username));
      const left = entry ? entry.blockedUntilMs - now() : 0;
      return left > 0 ? Math.ceil(left / 1000) : 0;
    },

    /** Records a failure; returns the block in seconds it started, or 0. */
    recordFailure(ip: string | null, username: string): number {
      const key = keyOf(ip, username);
      const at = now();
      let entry = attempts.get(key);
      if (!entry) {
        if (attempts.size >= MAX_TRACKED) attempts.delete(attempts.keys().next().value as string);
        entry = { failuresMs: [], blockedUntilMs: 0, blocks: 0, lastFailureMs: at };
        attempts.set(key, entry);
      }
      // A quiet day forgives earlier blocks.
      if (at - entry.lastFailureMs > maxBlockMs) entry.blocks = 0;
      entry.lastFailureMs = at;
      entry.failuresMs = entry.failuresMs.filter((t) => at - t < windowMs);
      entry.failuresMs.push(at);
      if (entry.failuresMs.length < maxFailures) return 0;
      const blockMs = Math.min(maxBlockMs, firstBlockMs * 2 ** entry.blocks);
      entry.blocks += 1;
      entry.blockedUntilMs = at + blockMs;
      entry.failuresMs = [];
      return Math.ceil(blockMs / 1000);
    },

    recordSuccess(ip: string | null, username: string) {
      attempts.delete(keyOf(ip, username));
    },
  };
}

export type LoginGuard = ReturnType<typeof createLoginGuard>;
