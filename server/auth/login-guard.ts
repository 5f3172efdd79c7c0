// Slows password guessing down, in two layers. In memory and bounded.
//
// Per client + name: after 5 failures within 5 minutes, every attempt (even with the right
// password) is refused for a block that doubles each time it recurs (5 min, 10 min, ... up to a day).
//
// Per name, from any clients (a botnet rotates addresses): once 20 attempts within 15 minutes have
// failed, the name backs off until 15 minutes pass without a failure. While it does, the name has a
// delay that starts at 1 s and doubles with every further failure, capped at a minute (refusals do
// not lengthen it), and every client gets turns of its own, whatever the others do: a client that
// has failed k times for the name may try again the delay × 2^k after its latest failure (at most a
// day), and one that has not failed is told to come back after the delay and may then try. So the
// real user waits at most a minute at an address that has not failed, and at most 2^k minutes
// after k wrong passwords of their own (unless 5 of them within 5 minutes blocked the address, as
// above). Once the delay is a minute, each guessing address gets a guess 1, 3, 7, 15, 31 ...
// minutes in: 5 in the first hour, 10 in the first day, then at most one a day. A client's
// failures for a name are forgotten after its success, or two days without a failure (a day past
// its longest spacing, so waiting for a turn never makes an address fresh again). A success does
// not end the backoff: it says nothing about the other clients still guessing.
//
// Attempts still being checked count too, so a burst of parallel guesses cannot slip past either limit.
//
// Callers keep their kinds of name apart with `signInName` and `passwordCheckName`, so failures of
// one kind never push the other into a block or a backoff.

/** What a sign-in is guarded under: the username as typed (any string; the guard cuts and lowercases it). */
export const signInName = (username: string) => `name:${username}`;
/** What a check of a signed-in user's current password is guarded under; no sign-in name can be it. */
export const passwordCheckName = (userId: string) => `uid:${userId}`;

export interface LoginGuardOptions {
  maxFailures?: number;
  windowMs?: number;
  firstBlockMs?: number;
  maxBlockMs?: number;
  /** Failures for one name, from any clients within `usernameWindowMs`, that start its backoff. */
  usernameMaxFailures?: number;
  usernameWindowMs?: number;
  usernameFirstDelayMs?: number;
  /** The cap on the name's delay: the longest a client that has not failed waits (one that has waits 2^failures × it, at most `maxBlockMs`). */
  usernameMaxDelayMs?: number;
  now?: () => number;
}

interface ClientAttempts {
  failuresMs: number[];
  pending: number;
  blockedUntilMs: number;
  blocks: number;
  lastFailureMs: number | null;
  /** Failures for this name since they were last forgotten: spaces this client's turns while the name backs off. */
  nameFailures: number;
  /** While the name backs off: when this (not yet failed) client's turn comes. */
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
}

const MAX_TRACKED = 20_000;
const MAX_TRACKED_USERNAMES = 10_000;
/** Names longer than any made from a valid username (64) or user id are cut, so a key cannot be used to fill memory. */
const MAX_NAME = 80;

/** Behind an interface so a guard shared between instances can replace the in-memory one. */
export interface LoginGuard {
  /**
   * Starts an attempt: returns the seconds to wait when `username` may not be tried from `client`
   * now (then the attempt is not started), or 0 after reserving a place for the attempt.
   * `client` is what limits count the caller by (for a sign-in `clientKey` of its address: an IPv6
   * client's /64); `username` is the name guessed at (`signInName`, `passwordCheckName`).
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
  const nameOf = (username: string) => username.slice(0, MAX_NAME).toLowerCase();
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
      entry = { failuresMs: [], pending: 0, blockedUntilMs: 0, blocks: 0, lastFailureMs: null, nameFailures: 0, turnAtMs: null };
      clients.set(key, entry);
    }
    return entry;
  };
  const usernameEntry = (name: string): UsernameAttempts => {
    let entry = usernames.get(name);
    if (!entry) {
      if (usernames.size >= MAX_TRACKED_USERNAMES) evictOne(usernames, (e) => e.pending === 0 && !e.backingOff);
      entry = { failuresMs: [], pending: 0, backingOff: false, level: 0, lastFailureMs: 0 };
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
  /** The client's failures for the name that still count: forgotten after two quiet days (its longest spacing is one). */
  const nameFailuresOf = (entry: ClientAttempts, at: number) =>
    entry.lastFailureMs !== null && at - entry.lastFailureMs < 2 * maxBlockMs ? entry.nameFailures : 0;
  /** A turn not used within a window is stale. */
  const holdsTurn = (entry: ClientAttempts, at: number) => entry.turnAtMs !== null && at - entry.turnAtMs <= usernameWindowMs;

  /** Seconds the name's backoff makes `client` wait (0: it may try now, and its turn is taken). */
  const usernameWait = (user: UsernameAttempts, client: ClientAttempts, at: number): number => {
    if (!backsOff(user, at)) return 0;
    const delayMs = Math.min(usernameMaxDelayMs, usernameFirstDelayMs * 2 ** Math.min(user.level, 30));
    const failures = nameFailuresOf(client, at);
    if (failures > 0) {
      // Spaced by this client's own failures, so others trying cannot take its turn, and each of
      // a botnet's addresses gets fewer guesses the longer it keeps guessing.
      const turnAtMs = (client.lastFailureMs as number) + Math.min(maxBlockMs, delayMs * 2 ** Math.min(failures, 30));
      if (turnAtMs > at) return secondsUntil(turnAtMs, at);
    } else {
      if (!holdsTurn(client, at)) {
        client.turnAtMs = at + delayMs;
        return secondsUntil(client.turnAtMs, at);
      }
      const turnAtMs = client.turnAtMs as number;
      if (turnAtMs > at) return secondsUntil(turnAtMs, at);
    }
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
        entry.nameFailures = nameFailuresOf(entry, at) + 1;
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
