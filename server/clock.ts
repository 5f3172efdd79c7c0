// Time as a dependency: every service, job and limit reads the time and sets timers through one
// Clock passed into createApp, so tests advance a manual clock instead of sleeping.

export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Calls `callback` once after `delayMs` (any length: past setTimeout's 24.8-day range too); returns the cancel function. */
  setTimer(callback: () => void, delayMs: number): () => void;
}

/** setTimeout fires at once for delays past 2^31 - 1 ms; longer waits are made of steps this long. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** The real clock: Date.now and unref'd timers (a pending timer never keeps the process alive). */
export const systemClock: Clock = {
  now: Date.now,
  setTimer(callback, delayMs) {
    const dueAt = Date.now() + Math.max(0, delayMs);
    let timer: ReturnType<typeof setTimeout>;
    const arm = () => {
      const left = dueAt - Date.now();
      timer = setTimeout(left > MAX_TIMER_MS ? arm : callback, Math.min(MAX_TIMER_MS, Math.max(0, left)));
      timer.unref?.();
    };
    arm();
    return () => clearTimeout(timer);
  },
};

export interface ManualClock extends Clock {
  /** Moves time forward by `ms`, firing every timer that falls due on the way, in order. */
  advance(ms: number): Promise<void>;
  /** Sets the time; only forward. */
  set(atMs: number): Promise<void>;
  /** How many timers are waiting. */
  pendingTimers(): number;
}

/**
 * A clock for tests: time stands still until `advance`. Timers fire in due order; after each,
 * pending microtasks and I/O callbacks get a turn, so async work a timer starts can finish.
 */
export function createManualClock(startMs = Date.UTC(2026, 0, 1)): ManualClock {
  let nowMs = startMs;
  let sequence = 0;
  const timers = new Map<number, { dueAt: number; callback: () => void }>();

  const nextDue = (limit: number) => {
    let found: [number, { dueAt: number; callback: () => void }] | null = null;
    for (const entry of timers) if (entry[1].dueAt <= limit && (!found || entry[1].dueAt < found[1].dueAt)) found = entry;
    return found;
  };

  const set = async (target: number) => {
    for (let due = nextDue(target); due; due = nextDue(target)) {
      timers.delete(due[0]);
      nowMs = Math.max(nowMs, due[1].dueAt);
      due[1].callback();
      await new Promise((resolve) => setImmediate(resolve));
    }
    nowMs = Math.max(nowMs, target);
  };

  return {
    now: () => nowMs,
    setTimer(callback, delayMs) {
      const id = ++sequence;
      timers.set(id, { dueAt: nowMs + Math.max(0, delayMs), callback });
      return () => timers.delete(id);
    },
    advance: (ms) => set(nowMs + ms),
    set,
    pendingTimers: () => timers.size,
  };
}
