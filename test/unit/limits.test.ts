// The sign-in lockout and the rate limiter, on a controlled clock.
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
