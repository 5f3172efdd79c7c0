// Password hashing: the parameters new hashes get, old hashes still verifying, and the one bounded
// queue every hash and check goes through (how many run at once, how many wait, who goes first).
import { describe, expect, test } from "bun:test";
import { createHashQueue, hashPassword, needsRehash, verifyPassword } from "../../server/auth/passwords";

/** Work that finishes when the test says so, recording how many ran at once. */
function gatedWork() {
  let running = 0;
  let maxRunning = 0;
  const started: string[] = [];
  const gates: (() => void)[] = [];
  return {
    work: (name: string) => () =>
      new Promise<string>((resolve) => {
        started.push(name);
        running += 1;
        maxRunning = Math.max(maxRunning, running);
        gates.push(() => {
          running -= 1;
          resolve(name);
        });
      }),
    /** Lets the oldest running piece of work finish. */
    finishOne: async () => {
      gates.shift()?.();
      await Bun.sleep(0);
    },
    started,
    maxRunning: () => maxRunning,
  };
}

const codeOf = (promise: Promise<unknown>) =>
  promise.then(
    () => "ok",
    (err: { code?: string }) => err.code,
  );

describe("the hash queue", () => {
  test("runs at most `concurrency` at once and the rest in arrival order", async () => {
    const queue = createHashQueue({ concurrency: 2, maxWaiting: 8 });
    const gated = gatedWork();
    const results = ["a", "b", "c", "d", "e"].map((name) => queue.run(gated.work(name)));
    expect(gated.started).toEqual(["a", "b"]);
    expect(queue.load()).toEqual({ running: 2, waiting: 3 });
    for (let i = 0; i < 5; i++) await gated.finishOne();
    expect(await Promise.all(results)).toEqual(["a", "b", "c", "d", "e"]);
    expect(gated.started).toEqual(["a", "b", "c", "d", "e"]);
    expect(gated.maxRunning()).toBe(2);
    expect(queue.load()).toEqual({ running: 0, waiting: 0 });
  });

  test("when the wait list is full it answers LIMIT_EXCEEDED at once, and the refused work never runs", async () => {
    const queue = createHashQueue({ concurrency: 1, maxWaiting: 4 });
    const gated = gatedWork();
    // Checks by signed-in users may take half of the wait list: 1 running + 2 waiting.
    const outcomes = Array.from({ length: 5 }, (_, i) => codeOf(queue.run(gated.work(`check-${i}`))));
    const refused = queue.run(gated.work("refused"));
    expect(await codeOf(refused)).toBe("LIMIT_EXCEEDED");
    await refused.catch((err) => expect(err.details).toEqual({ retryAfterSeconds: 1 }));
    // Sign-ins have the other half, and more once it is free.
    const signIns = Array.from({ length: 3 }, (_, i) => codeOf(queue.run(gated.work(`sign-in-${i}`), "sign-in")));
    expect(queue.load()).toEqual({ running: 1, waiting: 4 });
    for (let i = 0; i < 6; i++) await gated.finishOne();
    expect(await Promise.all(outcomes)).toEqual(["ok", "ok", "ok", "LIMIT_EXCEEDED", "LIMIT_EXCEEDED"]);
    expect(await Promise.all(signIns)).toEqual(["ok", "ok", "LIMIT_EXCEEDED"]);
    expect(gated.started).not.toContain("refused");
  });

  test("a sign-in waiting goes ahead of checks that arrived before it", async () => {
    const queue = createHashQueue({ concurrency: 1, maxWaiting: 8 });
    const gated = gatedWork();
    const all = [queue.run(gated.work("running")), queue.run(gated.work("check-1")), queue.run(gated.work("check-2"))];
    all.push(queue.run(gated.work("sign-in"), "sign-in"));
    for (let i = 0; i < 4; i++) await gated.finishOne();
    await Promise.all(all);
    expect(gated.started).toEqual(["running", "sign-in", "check-1", "check-2"]);
  });

  test("work that fails, even synchronously, gives its place back", async () => {
    const queue = createHashQueue({ concurrency: 1, maxWaiting: 2 });
    expect(await codeOf(queue.run(() => Promise.reject(Object.assign(new Error("boom"), { code: "X" }))))).toBe("X");
    expect(
      await codeOf(
        queue.run(() => {
          throw Object.assign(new Error("sync boom"), { code: "Y" });
        }),
      ),
    ).toBe("Y");
    expect(queue.load()).toEqual({ running: 0, waiting: 0 });
    expect(await queue.run(async () => "still works")).toBe("still works");
  });
});

describe("argon2id parameters", () => {
  test("new hashes use 19 MiB and 2 passes; hashes made with Bun's defaults (64 MiB) still verify and are marked for rehashing", async () => {
    const fresh = await hashPassword("correct horse");
    expect(fresh).toStartWith("$argon2id$v=19$m=19456,t=2,p=1$");
    expect(needsRehash(fresh)).toBe(false);
    expect(await verifyPassword("correct horse", fresh)).toBe(true);
    expect(await verifyPassword("wrong horse", fresh)).toBe(false);

    const old = await Bun.password.hash("correct horse", { algorithm: "argon2id" });
    expect(old).toStartWith("$argon2id$v=19$m=65536,");
    expect(needsRehash(old)).toBe(true);
    expect(await verifyPassword("correct horse", old)).toBe(true);
    expect(await verifyPassword("wrong horse", old)).toBe(false);
  });
});
