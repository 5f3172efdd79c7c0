// Password and username rules, and hashing (argon2id through Bun.password). Every hash and every
// check in the process goes through one bounded queue: argon2 takes its memory per running hash,
// so on a 1 GB Pi the number running at once, not the number of callers, decides the peak.
import { availableParallelism } from "node:os";
import { InvalidInputError, LimitExceededError } from "../errors";

const USERNAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const MIN_PASSWORD = 8;
const MAX_PASSWORD = 256;

/**
 * OWASP's argon2id floor (19 MiB, 2 passes, 1 lane) instead of Bun's default 64 MiB: about a third
 * of the time and memory per sign-in. Hashes made with other parameters still verify (argon2
 * writes its parameters into the hash) and are replaced on the next successful sign-in.
 */
const ARGON2 = { algorithm: "argon2id", memoryCost: 19_456, timeCost: 2 } as const;
const ARGON2_PREFIX = `$argon2id$v=19$m=${ARGON2.memoryCost},t=${ARGON2.timeCost},p=1$`;

export function validateUsername(username: string) {
  if (!USERNAME.test(username))
    throw new InvalidInputError("Username must be 1 to 64 letters, digits, dots, dashes or underscores, starting with a letter or digit.");
}

export function validatePassword(password: string) {
  if (password.length < MIN_PASSWORD || password.length > MAX_PASSWORD)
    throw new InvalidInputError(`Password must be ${MIN_PASSWORD} to ${MAX_PASSWORD} characters long.`);
}

/** Sign-ins go ahead of everything else (checks by signed-in users, admins setting passwords). */
export type HashPriority = "sign-in" | "normal";

export interface HashQueueOptions {
  /** Hashes running at once (each holds its argon2 memory while it runs). */
  concurrency?: number;
  /** Hashes waiting at most; `normal` ones may fill only half, so a sign-in always finds a place. */
  maxWaiting?: number;
}

export interface HashQueue {
  /**
   * Runs `work` once fewer than `concurrency` run, sign-ins first, otherwise in arrival order.
   * Rejects at once with a LimitExceededError (retryAfterSeconds 1) when its share of the wait
   * list is full; `work` then never runs.
   */
  run<T>(work: () => Promise<T>, priority?: HashPriority): Promise<T>;
  /** How many run and wait now. */
  load(): { running: number; waiting: number };
}

export function createHashQueue({ concurrency = 2, maxWaiting = 32 }: HashQueueOptions = {}): HashQueue {
  let running = 0;
  const waiting: Record<HashPriority, (() => void)[]> = { "sign-in": [], normal: [] };
  const waitingCount = () => waiting["sign-in"].length + waiting.normal.length;

  const next = () => {
    running -= 1;
    const start = waiting["sign-in"].shift() ?? waiting.normal.shift();
    if (start) {
      running += 1;
      start();
    }
  };

  return {
    run<T>(work: () => Promise<T>, priority: HashPriority = "normal"): Promise<T> {
      const started = () => {
        const done = (async () => work())(); // a synchronous throw becomes a rejection, and the slot is freed
        void done.then(next, next);
        return done;
      };
      if (running < concurrency) {
        running += 1;
        return started();
      }
      const room = priority === "sign-in" ? maxWaiting : Math.floor(maxWaiting / 2);
      if (waitingCount() >= maxWaiting || waiting[priority].length >= room)
        return Promise.reject(
          new LimitExceededError("The server is busy checking passwords; try again in a moment.", { details: { retryAfterSeconds: 1 } }),
        );
      return new Promise<T>((resolve, reject) => waiting[priority].push(() => started().then(resolve, reject)));
    },
    load: () => ({ running, waiting: waitingCount() }),
  };
}

/**
 * The one queue of this process: 2 at once (38 MiB), fewer on a machine with fewer than 3 cores, so
 * one core is always left for the event loop that serves everything else.
 */
export const passwordHashing: HashQueue = createHashQueue({ concurrency: Math.max(1, Math.min(2, availableParallelism() - 1)) });

export const hashPassword = (password: string, { priority = "normal" }: { priority?: HashPriority } = {}) =>
  passwordHashing.run(() => Bun.password.hash(password, ARGON2), priority);

/** Verifies without letting an over-long input cost more than the longest allowed password. */
export const verifyPassword = (password: string, hash: string, { priority = "normal" }: { priority?: HashPriority } = {}) =>
  passwordHashing.run(() => Bun.password.verify(password.slice(0, MAX_PASSWORD + 1), hash), priority);

/** True for a hash made with other parameters (or another algorithm) than new hashes get. */
export const needsRehash = (hash: string) => !hash.startsWith(ARGON2_PREFIX);
