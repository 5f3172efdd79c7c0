// The sign-in lockout (per address + username, and per username across addresses) and the rate
// limiter, on a controlled clock.
import { describe, expect, test } from "bun:test";
import { createLoginGuard } from "../../server/auth/login-guard";
import { createRateLimiter } from "../../server/limits/rate-limiter";

const MINUTE = 60_000;

describe("sign-in lockout", () => {
  test("5 failures in 5 minutes block for 5 minutes, and each repeat doubles the block", () => {
    let now = 0;
    const guard = createLoginGuard({ now: () => now });
    for (let i = 0; i < 4; i++) expect(guard.failed("10.0.0.1", "admin")).toBe(0);
    expect(guard.failed("10.0.0.1", "admin")).toBe(300);
    expect(guard.begin("10.0.0.1", "admin")).toBe(300);
    expect(guard.begin("10.0.0.1", "ADMIN")).toBe(300);
    expect(guard.begin("10.0.0.2", "admin")).toBe(0);
    now += 5 * MINUTE;
    expect(guard.begin("10.0.0.1", "admin")).toBe(0);
    for (let i = 0; i < 4; i++) guard.failed("10.0.0.1", "admin");
    expect(guard.failed("10.0.0.1", "admin")).toBe(600);
    now += 10 * MINUTE;
    for (let i = 0; i < 4; i++) guard.failed("10.0.0.1", "admin");
    expect(guard.failed("10.0.0.1", "admin")).toBe(1200);
  });

  test("failures spread over more than 5 minutes do not block; a success clears them", () => {
    let now = 0;
    const guard = createLoginGuard({ now: () => now });
    for (let i = 0; i < 10; i++) {
      expect(guard.failed(null, "slow")).toBe(0);
      now += 2 * MINUTE;
    }
    for (let i = 0; i < 4; i++) guard.failed(null, "fast");
    guard.begin(null, "fast");
    guard.succeeded(null, "fast");
    expect(guard.failed(null, "fast")).toBe(0);
  });

  test("attempts still being checked count, so parallel guesses cannot pass the limit", () => {
    const guard = createLoginGuard({ now: () => 0 });
    const started = Array.from({ length: 8 }, () => guard.begin("ip", "admin"));
    expect(started).toEqual([0, 0, 0, 0, 0, 1, 1, 1]);
    for (let i = 0; i < 5; i++) guard.failed("ip", "admin");
    expect(guard.begin("ip", "admin")).toBe(300);
  });

  test("blocks never exceed a day", () => {
    let now = 0;
    const guard = createLoginGuard({ now: () => now });
    let block = 0;
    for (let round = 0; round < 12; round++) {
      for (let i = 0; i < 5; i++) block = guard.failed("ip", "u");
      now += block * 1000;
    }
    expect(block).toBe(86_400);
  });
});

describe("username backoff across addresses", () => {
  /** A guard with `failures` failed sign-ins for admin, each from its own address (10.0.<n>), each made as soon as it was let. */
  const underAttack = (failures: number) => {
    const clock = { now: 0 };
    const guard = createLoginGuard({ now: () => clock.now });
    for (let i = 0; i < failures; i++) {
      const attacker = `10.0.${i}`;
      const wait = guard.begin(attacker, "admin");
      clock.now += 1000 * wait;
      if (wait > 0) expect(guard.begin(attacker, "admin")).toBe(0);
      guard.failed(attacker, "admin");
    }
    return { guard, clock };
  };

  test("19 failures from 19 addresses change nothing; after the 20th, each address that failed waits its own turn, the delay × 2^its failures after its latest", () => {
    const { guard, clock } = underAttack(19);
    expect(guard.begin("10.0.0", "admin")).toBe(0);
    guard.failed("10.0.0", "admin");
    // The delay is 1 s: 10.0.1 failed once (2 s), 10.0.0 twice (4 s).
    expect(guard.begin("10.0.1", "admin")).toBe(2);
    expect(guard.begin("10.0.0", "admin")).toBe(4);
    expect(guard.begin("10.0.0", "other-user")).toBe(0);
    // Refusals do not push a turn back, and every address has its own: none takes another's.
    for (let i = 0; i < 5; i++) expect(guard.begin("10.0.1", "admin")).toBe(2);
    clock.now += 2000;
    for (let i = 1; i < 19; i++) expect(guard.begin(`10.0.${i}`, "admin")).toBe(0);
    expect(guard.begin("10.0.0", "admin")).toBe(2);
  });

  test("each further failure doubles the delay, up to a minute", () => {
    const { guard } = underAttack(20);
    const delays: number[] = [];
    for (let i = 0; i < 9; i++) {
      guard.failed(`10.1.${i}`, "admin");
      // An address that has not failed is told the delay.
      delays.push(guard.begin(`10.2.${i}`, "admin"));
    }
    expect(delays).toEqual([2, 4, 8, 16, 32, 60, 60, 60, 60]);
  });

  test("the user at an address that has not failed waits at most the cap, however hard others keep trying, and gets in", () => {
    const { guard, clock } = underAttack(40);
    const wait = guard.begin("203.0.113.5", "admin");
    expect(wait).toBe(60);
    for (let second = 1; second < wait; second++) {
      clock.now += 1000;
      // Addresses that failed, and fresh ones, hammer the username the whole time.
      guard.begin(`10.0.${second % 40}`, "admin");
      expect(guard.begin(`10.1.${second}`, "admin")).toBeGreaterThan(0);
      expect(guard.begin("203.0.113.5", "admin")).toBe(wait - second);
    }
    clock.now += 1000;
    expect(guard.begin("203.0.113.5", "admin")).toBe(0);
    // Parallel attempts from the same address wait for this one.
    expect(guard.begin("203.0.113.5", "admin")).toBe(1);
    guard.succeeded("203.0.113.5", "admin");
    // A success ends neither the attack nor the backoff for other addresses.
    expect(guard.begin("10.2.0", "admin")).toBe(60);
  });

  test("a fresh address buys one guess for its wait; after failing it waits 2, then 4 minutes", () => {
    const { guard, clock } = underAttack(40);
    expect(guard.begin("10.9.9", "admin")).toBe(60);
    clock.now += 60_000;
    expect(guard.begin("10.9.9", "admin")).toBe(0);
    guard.failed("10.9.9", "admin");
    expect(guard.begin("10.9.9", "admin")).toBe(120);
    clock.now += 120_000;
    expect(guard.begin("10.9.9", "admin")).toBe(0);
    guard.failed("10.9.9", "admin");
    expect(guard.begin("10.9.9", "admin")).toBe(240);
  });

  test("the user who mistypes during an attack still gets in, 2 minutes after the typo at most, while the attackers keep polling", () => {
    // The reviewer's scenario: 25 addresses have failed once; the user, at a fresh address, waits
    // for their turn and mistypes; then the attackers try every 500 ms, the user every 5 s.
    let now = 1_000_000;
    const guard = createLoginGuard({ now: () => now });
    const attackers = Array.from({ length: 25 }, (_, i) => `10.0.0.${i}`);
    for (const attacker of attackers) if (guard.begin(attacker, "admin") === 0) guard.failed(attacker, "admin");
    now += 1000 * guard.begin("192.168.1.5", "admin");
    expect(guard.begin("192.168.1.5", "admin")).toBe(0);
    guard.failed("192.168.1.5", "admin");
    const typoAt = now;

    let admittedAt: number | null = null;
    let attackerGuesses = 0;
    for (let step = 0; step < 1200; step++) {
      now += 500;
      for (const attacker of attackers)
        if (guard.begin(attacker, "admin") === 0) {
          attackerGuesses++;
          guard.failed(attacker, "admin");
        }
      if (step % 10 === 0 && admittedAt === null && guard.begin("192.168.1.5", "admin") === 0) {
        admittedAt = now;
        guard.succeeded("192.168.1.5", "admin");
      }
    }
    expect(admittedAt).not.toBeNull();
    expect((admittedAt as number) - typoAt).toBeLessThanOrEqual(2 * MINUTE + 5_000);
    // Each address's turns come 2, 4, 8 ... minutes apart once the delay is a minute: 5 of the 25 had
    // not failed yet, the rest had once; in these 10 minutes that is 4 guesses or fewer each.
    expect(attackerGuesses).toBeLessThanOrEqual(4 * attackers.length);
  });

  test("one address guessing without pause gets guesses after 1, 3, 7, 15, 31 ... minutes: 5 in the first hour, 10 in the first day, then one a day", () => {
    const { guard, clock } = underAttack(40);
    // Its first attempt (at 1 s) is told to come back after the delay.
    const start = clock.now + 1000;
    const guessesAtMinute: number[] = [];
    for (let second = 1; second <= 3 * 24 * 3600; second++) {
      clock.now += 1000;
      // Others keep failing, so the backoff lasts.
      if (second % 600 === 0) guard.failed(`10.3.${second}`, "admin");
      if (guard.begin("10.9.9", "admin") === 0) {
        guessesAtMinute.push((clock.now - start) / MINUTE);
        guard.failed("10.9.9", "admin");
      }
    }
    expect(guessesAtMinute.slice(0, 10)).toEqual([1, 3, 7, 15, 31, 63, 127, 255, 511, 1023]);
    expect(guessesAtMinute.filter((minute) => minute <= 60).length).toBe(5);
    expect(guessesAtMinute.filter((minute) => minute <= 24 * 60).length).toBe(10);
    expect(guessesAtMinute.slice(10)).toEqual([2047, 2047 + 1440]);
  });

  test("an attempt that stops before the password is judged (a second factor asked for) keeps the turn", () => {
    const { guard, clock } = underAttack(40);
    clock.now += 1000 * guard.begin("203.0.113.5", "admin");
    expect(guard.begin("203.0.113.5", "admin")).toBe(0);
    guard.abandoned("203.0.113.5", "admin");
    expect(guard.begin("203.0.113.5", "admin")).toBe(0);
  });

  test("a parallel burst from many addresses is held at 20 attempts being checked", () => {
    const guard = createLoginGuard({ now: () => 0 });
    const started = Array.from({ length: 25 }, (_, i) => guard.begin(`10.0.${i}`, "admin"));
    expect(started.filter((wait) => wait === 0).length).toBe(20);
    expect(started.slice(20).every((wait) => wait > 0)).toBe(true);
  });

  test("15 minutes without a failure end the backoff", () => {
    const { guard, clock } = underAttack(30);
    expect(guard.begin("203.0.113.5", "admin")).toBeGreaterThan(0);
    clock.now += 15 * MINUTE;
    expect(guard.begin("203.0.113.6", "admin")).toBe(0);
    expect(guard.begin("10.0.1", "admin")).toBe(0);
  });
});

describe("rate limiter", () => {
  test("a key gets a burst of half a minute's budget, then the per-minute rate, with the wait to retry", () => {
    let now = 0;
    const limiter = createRateLimiter({ perMinute: { auth: 60, api: 600, denials: 6 } }, () => now);
    let allowed = 0;
    while (limiter.take("auth", "ip:1").allowed) allowed++;
    expect(allowed).toBe(30);
    const refused = limiter.take("auth", "ip:1");
    expect(refused).toEqual({ allowed: false, retryAfterSeconds: 1 });
    expect(limiter.take("auth", "ip:2").allowed).toBe(true);
    expect(limiter.take("api", "ip:1").allowed).toBe(true);
    now += 1000;
    expect(limiter.take("auth", "ip:1").allowed).toBe(true);
    expect(limiter.take("auth", "ip:1").allowed).toBe(false);
  });

  test("small budgets still allow a burst of 5", () => {
    const limiter = createRateLimiter({ perMinute: { auth: 1, api: 1, denials: 1 } }, () => 0);
    const results = Array.from({ length: 6 }, () => limiter.take("denials", "user:a").allowed);
    expect(results).toEqual([true, true, true, true, true, false]);
    expect(limiter.take("denials", "user:a").retryAfterSeconds).toBe(60);
  });
});
