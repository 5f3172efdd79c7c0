// Slows password guessing down, in two layers. In memory and bounded.
//
// Per client + username: after 5 failures within 5 minutes, every attempt (even with the right
// password) is refused for a block that doubles each time it recurs (5 min, 10 min, ... up to a day).
//
// Per username, from any addresses (a botnet rotates them): once 20 attempts within 15 minutes have
// failed, the username backs off until 15 minutes pass without a failure. While it does, each
// attempt waits a delay that starts at 1 s and doubles with every further failure, capped at a
// minute; refusals do not lengthen it. An address that already failed for this username (within a
// day) shares one turn per delay with every other such address, so together they get about one
// guess a minute. An address with no failure gets a turn of its own: its first attempt is told to
// come back after the current delay, and then it may try, whatever the others do. So the real user,
// at an address that has not failed, is never kept out longer than the cap however hard others try,
// and a fresh address buys an attacker one guess for a wait of up to the cap (then it has failed,
// and shares the one turn). A success does not end the backoff: it says nothing about the other
// addresses still guessing.
//
// Attempts still being checked count too, so a burst of parallel guesses cannot slip past either limit.

export interface LoginGuardOptions {
  maxFailures?: number;
  windowMs?: number;
  firstBlockMs?: number;
  maxBlockMs?: number;
  /** Failures for one username, from any addresses within `usernameWindowMs`, that start its backoff. */
  usernameMaxFailures?: number;
  usernameWindowMs?: number;
  usernameFirstDelayMs?: number;
  /** The longest the username backoff makes anyone wait. */
  usernameMaxDelayMs?: number;
  now?: () => number;
}

interface ClientAttempts {
  failuresMs: number[];
  pending: number;
  blockedUntilMs: number;
  blocks: number;
  lastFailureMs: number | null;
  /** While the username backs off: when this (not yet failed) client's turn comes. */
  turnAtMs: number | null;
}

interface UsernameAttempts {
  /** The latest failures, at most `usernameMaxFailures` of them. */
  failuresMs: number[];
  pending: number;
  backingOff: boolean;
  /** Failures since the backoff started: the delay doubles with each. */
  level: number;
  lastFailureMs: number;
  /** When the next attempt from a client that already failed for this username may start. */
  sharedTurnAtMs: number;
}

const MAX_TRACKED = 20_000;
const MAX_TRACKED_USERNAMES = 10_000;
/** Usernames longer than any valid one are cut, so a key cannot be used to fill memory. */
const MAX_USERNAME = 64;

/** Behind an interface so a guard shared between instances can replace the in-memory one. */
export interface LoginGuard {
  /**
   * Starts an attempt: returns the seconds to wait when `username` may not be tried from `client`
   * now (then the attempt is not started), or 0 after reserving a place for the attempt.
   * `client` is what limits count the caller by (`clientKey` of its address: an IPv6 client's /64).
   * Every started attempt must end with `failed`, `succeeded` or `abandoned`.
   */
  begin(client: string | null, username: string): number;
  /** Ends an attempt as a failure; returns the block in seconds it started for this client, or 0. */
  failed(client: string | null, username: string): number;
  /** Ends an attempt as a success: this client's earlier failures are forgotten. */
  succeeded(client: string | null, username: string): void;
  /** Ends an attempt that was neither (it stopped before the password was judged). */
  abandoned(client: string | null, username: string): void;
}

export function createLoginGuard({
  maxFailures = 5,
  windowMs = 5 * 60_000,
  firstBlockMs = 5 * 60_000,
  maxBlockMs = 24 * 60 * 60_000,
  usernameMaxFailures = 20,
  usernameWindowMs = 15 * 60_000,
  usernameFirstDelayMs = 1_000,
  usernameMaxDelayMs = 60_000,
  now = Date.now,
}: LoginGuardOptions = {}): LoginGuard {
  const clients = new Map<string, ClientAttempts>();
  const usernames = new Map<string, UsernameAttempts>();
  const nameOf = (username: string) => username.slice(0, MAX_USERNAME).toLowerCase();
  const keyOf = (client: string | null, username: string) => `${client ?? "-"}|${nameOf(username)}`;
  const secondsUntil = (atMs: number, at: number) => Math.max(1, Math.ceil((atMs - at) / 1000));

  /** Forgets the oldest entry `idle` allows (the oldest of all if none), so a flood of new keys cannot evict a block first. */
  const evictOne = <T>(map: Map<string, T>, idle: (entry: T) => boolean) => {
    for (const [key, entry] of map)
      if (idle(entry)) {
        map.delete(key);
        return;
      }
    map.delete(map.keys().next().value as string);
  };

  const clientEntry = (key: string): ClientAttempts => {
    let entry = clients.get(key);
    if (!entry) {
      if (clients.size >= MAX_TRACKED) {
        const at = now();
        evictOne(clients, (e) => e.blockedUntilMs <= at && e.pending === 0 && !holdsTurn(e, at));
      }
      entry = { failuresMs: [], pending: 0, blockedUntilMs: 0, blocks: 0, lastFailureMs: null, turnAtMs: null };
      clients.set(key, entry);
    }
    return entry;
  };
  const usernameEntry = (name: string): UsernameAttempts => {
    let entry = usernames.get(name);
    if (!entry) {
      if (usernames.size >= MAX_TRACKED_USERNAMES) evictOne(usernames, (e) => e.pending === 0 && !e.backingOff);
      entry = { failuresMs: [], pending: 0, backingOff: false, level: 0, lastFailureMs: 0, sharedTurnAtMs: 0 };
      usernames.set(name, entry);
    }
    return entry;
  };
  /** Drops entries that hold nothing worth keeping, so ordinary sign-ins leave nothing behind. */
  const settle = (key: string, client: ClientAttempts | undefined, name: string, user: UsernameAttempts | undefined, at: number) => {
    if (client && client.pending === 0 && client.lastFailureMs === null && client.blockedUntilMs <= at && !holdsTurn(client, at))
      clients.delete(key);
    if (user && user.pending === 0 && !backsOff(user, at) && recentUsernameFailures(user, at) === 0) usernames.delete(name);
  };

  const recentFailures = (entry: ClientAttempts, at: number) => {
    entry.failuresMs = entry.failuresMs.filter((t) => at - t < windowMs);
    return entry.failuresMs.length;
  };
  const recentUsernameFailures = (entry: UsernameAttempts, at: number) => {
    entry.failuresMs = entry.failuresMs.filter((t) => at - t < usernameWindowMs);
    return entry.failuresMs.length;
  };
  /** A window without failures ends a username's backoff. */
  const endQuietBackoff = (entry: UsernameAttempts, at: number) => {
    if (entry.backingOff && at - entry.lastFailureMs >= usernameWindowMs) {
      entry.backingOff = false;
      entry.level = 0;
    }
  };
  /** Whether attempts for the username wait now (attempts being checked count, against parallel bursts). */
  const backsOff = (entry: UsernameAttempts, at: number) => {
    endQuietBackoff(entry, at);
    return entry.backingOff || recentUsernameFailures(entry, at) + entry.pending >= usernameMaxFailures;
  };
  const hasFailed = (entry: ClientAttempts, at: number) => entry.lastFailureMs !== null && at - entry.lastFailureMs < maxBlockMs;
  /** A turn not used within a window is stale. */
  const holdsTurn = (entry: ClientAttempts, at: number) => entry.turnAtMs !== null && at - entry.turnAtMs <= usernameWindowMs;

  /** Seconds the username backoff makes `client` wait (0: it may try now, and its turn is taken). */
  const usernameWait = (user: UsernameAttempts, client: ClientAttempts, at: number): number => {
    if (!backsOff(user, at)) return 0;
    const delayMs = Math.min(usernameMaxDelayMs, usernameFirstDelayMs * 2 ** Math.min(user.level, 30));
    if (hasFailed(client, at)) {
      if (user.sharedTurnAtMs > at) return secondsUntil(user.sharedTurnAtMs, at);
      user.sharedTurnAtMs = at + delayMs;
      return 0;
    }
    if (!holdsTurn(client, at)) {
      client.turnAtMs = at + delayMs;
      return secondsUntil(client.turnAtMs, at);
    }
    const turnAtMs = client.turnAtMs as number;
    if (turnAtMs > at) return secondsUntil(turnAtMs, at);
    // One attempt per turn: parallel ones wait. The turn is spent by a failure, kept if abandoned.
    return client.pending > 0 ? 1 : 0;
  };

  /** Ends an attempt: frees its places, lets `ended` record the outcome, then drops what is no longer needed. */
  const end = (client: string | null, username: string, ended: (at: number) => void) => {
    const at = now();
    const [key, name] = [keyOf(client, username), nameOf(username)];
    const entry = clients.get(key);
    if (entry) entry.pending = Math.max(0, entry.pending - 1);
    const user = usernames.get(name);
    if (user) user.pending = Math.max(0, user.pending - 1);
    ended(at);
    settle(key, clients.get(key), name, usernames.get(name), at);
  };

  return {
    begin(client, username) {
      const at = now();
      const entry = clientEntry(keyOf(client, username));
      if (entry.blockedUntilMs > at) return secondsUntil(entry.blockedUntilMs, at);
      if (recentFailures(entry, at) + entry.pending >= maxFailures) return 1;
      const user = usernameEntry(nameOf(username));
      const wait = usernameWait(user, entry, at);
      if (wait > 0) return wait;
      entry.pending += 1;
      user.pending += 1;
      return 0;
    },

    failed(client, username) {
      let blockSeconds = 0;
      end(client, username, (at) => {
        const user = usernameEntry(nameOf(username));
        endQuietBackoff(user, at);
        if (user.backingOff) user.level += 1;
        user.lastFailureMs = at;
        recentUsernameFailures(user, at);
        user.failuresMs = [...user.failuresMs, at].slice(-usernameMaxFailures);
        if (user.failuresMs.length >= usernameMaxFailures) user.backingOff = true;

        const entry = clientEntry(keyOf(client, username));
        entry.turnAtMs = null;
        // A quiet day forgives earlier blocks.
        if (entry.lastFailureMs !== null && at - entry.lastFailureMs > maxBlockMs) entry.blocks = 0;
        entry.lastFailureMs = at;
        recentFailures(entry, at);
        entry.failuresMs.push(at);
        if (entry.failuresMs.length < maxFailures) return;
        const blockMs = Math.min(maxBlockMs, firstBlockMs * 2 ** entry.blocks);
        entry.blocks += 1;
        entry.blockedUntilMs = at + blockMs;
        entry.failuresMs = [];
        blockSeconds = Math.ceil(blockMs / 1000);
      });
      return blockSeconds;
    },

    succeeded(client, username) {
      end(client, username, () => clients.delete(keyOf(client, username)));
    },

    abandoned(client, username) {
      end(client, username, () => {});
    },
  };
}
