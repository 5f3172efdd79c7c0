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

  test("19 failures from 19 addresses change nothing; after the 20th, addresses that failed share one turn, 1 s apart", () => {
    const { guard } = underAttack(19);
    expect(guard.begin("10.0.0", "admin")).toBe(0);
    guard.failed("10.0.0", "admin");
    expect(guard.begin("10.0.1", "admin")).toBe(0);
    // The turn is taken: every address that failed before waits, refusals do not push it back.
    for (let i = 2; i < 10; i++) expect(guard.begin(`10.0.${i}`, "admin")).toBe(1);
    expect(guard.begin("10.0.0", "other-user")).toBe(0);
  });

  test("each further failure doubles the delay, up to a minute", () => {
    const { guard, clock } = underAttack(20);
    const delays: number[] = [];
    for (let i = 0; i < 9; i++) {
      const attacker = `10.0.${i}`;
      expect(guard.begin(attacker, "admin")).toBe(0);
      const wait = guard.begin(`10.0.${i + 1}`, "admin");
      delays.push(wait);
      guard.failed(attacker, "admin");
      clock.now += wait * 1000;
    }
    expect(delays).toEqual([1, 2, 4, 8, 16, 32, 60, 60, 60]);
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

  test("a fresh address buys one guess for its wait; after failing it joins the shared turn", () => {
    const { guard, clock } = underAttack(40);
    expect(guard.begin("10.9.9", "admin")).toBe(60);
    clock.now += 60_000;
    expect(guard.begin("10.9.9", "admin")).toBe(0);
    guard.failed("10.9.9", "admin");
    expect(guard.begin("10.9.9", "admin")).toBe(0);
    guard.failed("10.9.9", "admin");
    expect(guard.begin("10.9.9", "admin")).toBe(60);
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
