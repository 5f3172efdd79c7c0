// A full data disk, on a small tmpfs mounted for each test (root only, as CI runs; skipped with the
// reason in its name elsewhere). Filled through the API, new data is refused at the reserve with a
// clear LIMIT_EXCEEDED while sign-in, the audit log and deletes keep working, and writes resume
// after a delete. Filled from outside, the emergency space is given back so sign-in and deletes
// still work, and deleting the outside file brings everything back. Killed with -9 on a full disk,
// a restart finds every acknowledged write and a consistent database, and says the disk is full.

import { Database } from "bun:sqlite";
import { describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { systemClock } from "../../server/clock";
import { createWriteBatcher, openDatabase } from "../../server/db";
import type { DiskSettings } from "../../server/disk/settings";
import { createDiskWatch } from "../../server/disk/watch";
import { LimitExceededError } from "../../server/errors";
import { createLogger } from "../../server/log";
import { ADMIN_PASSWORD, startTestApp } from "../harness/app";
import { type GraphqlClient, type GraphqlError, graphqlClient, waitUntil } from "../harness/client";
import { mountSmallDisk, type SmallDisk, smallDiskUnavailable, waitForDiskState } from "../harness/small-disk";

const MiB = 1 << 20;
const DISK_BYTES = 32 * MiB;
// The emergency space must outlast what SQLite's write-ahead log may still merge into the
// database (up to 4 MiB) when the disk fills, and be smaller than the reserve: by default 16 MiB
// against at least 64 MiB.
const SETTINGS: DiskSettings = { diskReserveBytes: 8 * MiB, diskReservePercent: 0, diskEmergencySpaceBytes: 6 * MiB };
/** A 256 KiB value, as JSON. */
const VALUE = "v".repeat(256 * 1024 - 2);
const SET = "mutation ($k: String!, $v: JSON!) { setKv(key: $k, value: $v) { version } }";
const DELETE = "mutation ($k: String!) { deleteKv(key: $k) }";
const DISK = "{ system { disk { state freeBytes totalBytes reserveBytes usage { name bytes } } } }";

type DiskAnswer = { state: string; freeBytes: number; totalBytes: number; reserveBytes: number; usage: { name: string; bytes: number }[] };

const dataDirOn = (disk: SmallDisk) => join(disk.dir, "data");
const emergencySpaceHeld = (dataDir: string) => {
  const path = join(dataDir, "emergency-space");
  return existsSync(path) && statSync(path).size === SETTINGS.diskEmergencySpaceBytes;
};

async function readyDisk(url: string) {
  const response = await fetch(`${url}/ready`);
  return { httpStatus: response.status, ...((await response.json()) as { status: string; disk: Omit<DiskAnswer, "usage"> }) };
}

/** Sets `key` to VALUE; the error when refused, null when it was set. */
async function trySet(client: GraphqlClient, key: string): Promise<GraphqlError | null> {
  const result = await client.request(SET, { k: key, v: VALUE });
  return result.errors?.[0] ?? null;
}

/** Sets fill/0, fill/1, … until the server refuses one; the keys set and the refusal. */
async function fillThroughApi(client: GraphqlClient, limit = 200) {
  const keys: string[] = [];
  for (let i = 0; i < limit; i++) {
    const refusal = await trySet(client, `fill/${i}`);
    if (refusal) return { keys, refusal };
    keys.push(`fill/${i}`);
  }
  throw new Error(`${limit} values were set without a refusal`);
}

const skipReason = smallDiskUnavailable ? ` (skipped: ${smallDiskUnavailable})` : "";

describe.skipIf(smallDiskUnavailable !== null)(`a full data disk${skipReason}`, () => {
  test("filled through the API: new data is refused at the reserve with a clear error; sign-in, the audit log and deletes still work; writes resume after a delete", async () => {
    using disk = mountSmallDisk(DISK_BYTES);
    const dataDir = dataDirOn(disk);
    await using server = await startTestApp({ config: { dataDir, ...SETTINGS } });
    await waitUntil(() => emergencySpaceHeld(dataDir), 10_000, "the emergency space to be made");
    const admin = await server.admin();
    expect((await admin.data<{ system: { disk: DiskAnswer } }>(DISK)).system.disk.state).toBe("OK");

    const { keys, refusal } = await fillThroughApi(admin);
    expect(keys.length).toBeGreaterThan(10);
    expect(refusal.extensions).toMatchObject({ code: "LIMIT_EXCEEDED", diskState: "low", reserveBytes: 8 * MiB });
    expect(refusal.message).toMatch(
      /^The disk is almost full: [\d.]+ MiB free of 32 MiB\. Outpost keeps 8 MiB free for sign-in and deletes \(setting disk_reserve_bytes\) and takes no new data below that; delete data you no longer need to make room\.$/,
    );

    // Seen before it is full: /ready (still 200) and the system query.
    const ready = await readyDisk(server.url);
    expect(ready).toMatchObject({ httpStatus: 200, disk: { state: "low", totalBytes: DISK_BYTES, reserveBytes: 8 * MiB } });
    expect(ready.disk.freeBytes).toBeLessThan(8 * MiB);
    const { disk: status } = (await admin.data<{ system: { disk: DiskAnswer } }>(DISK)).system;
    expect(status.state).toBe("LOW");
    const usage = Object.fromEntries(status.usage.map((u) => [u.name, u.bytes]));
    expect(usage.database).toBeGreaterThan(keys.length * 256 * 1024);
    expect(usage["emergency-space"]).toBe(SETTINGS.diskEmergencySpaceBytes);
    expect(status.usage.at(-1)?.name).toBe("other");

    // Inside the reserve: signing in, the audit of both, and deletes.
    const { client: owner } = await server.tryLogin("admin", ADMIN_PASSWORD);
    expect(owner).not.toBeNull();
    await server.app.settled();
    const audit = await (owner as GraphqlClient).data<{ auditLog: { nodes: { action: string; result: string }[] } }>(
      "{ auditLog(first: 3) { nodes { action result } } }",
    );
    expect(audit.auditLog.nodes.map((n) => [n.action, n.result])).toContainEqual(["mutation.login", "ok"]);
    expect(audit.auditLog.nodes.map((n) => [n.action, n.result])).toContainEqual(["mutation.setKv", "LIMIT_EXCEEDED"]);
    const deleted = keys.slice(0, Math.ceil(keys.length / 2));
    for (const key of deleted) expect(await (owner as GraphqlClient).data(DELETE, { k: key })).toEqual({ deleteKv: true });

    // The deleted values' pages are reused by the database: a new value fits again.
    expect(await trySet(admin, "after-delete")).toBeNull();
    expect(await admin.data(`{ kv(key: "after-delete") { version } }`)).toEqual({ kv: { version: 1 } });
  });

  test("filled from outside: sign-in still works, the error says the disk is full, deletes work, and removing the outside file brings the emergency space back", async () => {
    using disk = mountSmallDisk(DISK_BYTES);
    const dataDir = dataDirOn(disk);
    await using server = await startTestApp({ config: { dataDir, ...SETTINGS } });
    await waitUntil(() => emergencySpaceHeld(dataDir), 10_000, "the emergency space to be made");
    const admin = await server.admin();
    const keys = Array.from({ length: 24 }, (_, i) => `kept/${i}`);
    for (const key of keys) expect(await trySet(admin, key)).toBeNull();

    const outside = join(disk.dir, "runaway.log");
    disk.fillFromOutside(outside);

    // At once, before the server has looked at the disk again.
    const { result, client: owner } = await server.tryLogin("admin", ADMIN_PASSWORD);
    expect(result.errors).toBeUndefined();
    await waitForDiskState(server.url, "full");
    const refusal = await trySet(owner as GraphqlClient, "more");
    expect(refusal?.extensions).toMatchObject({ code: "LIMIT_EXCEEDED", diskState: "full" });
    expect(refusal?.message).toMatch(/^The disk is full: [\d.]+ (MiB|KiB|B) free of 32 MiB\. Outpost keeps 8 MiB free/);
    // The emergency space is given back: by the write that found no room, or by the watch.
    await waitUntil(() => !existsSync(join(dataDir, "emergency-space")), 10_000, "the emergency space to be given back");
    expect(await readyDisk(server.url)).toMatchObject({ httpStatus: 200, disk: { state: "full" } });

    // Every delete works, and the room they leave inside the database takes a new value.
    for (const key of keys) expect(await (owner as GraphqlClient).data(DELETE, { k: key })).toEqual({ deleteKv: true });
    expect(await trySet(owner as GraphqlClient, "after-delete")).toBeNull();

    // The owner deletes the runaway file: the disk has room, and the emergency space is made again.
    rmSync(outside);
    await waitUntil(() => emergencySpaceHeld(dataDir), 15_000, "the emergency space to be made again");
    expect((await readyDisk(server.url)).disk.state).toBe("ok");
  });

  test("kill -9 on a full disk, then a restart on it: every acknowledged write is there, the database is consistent, and the start says the disk is full", async () => {
    using disk = mountSmallDisk(DISK_BYTES);
    const dataDir = dataDirOn(disk);
    mkdirSync(dataDir, { mode: 0o700 });
    const child = Bun.spawn(
      [
        process.execPath,
        "server/main.ts",
        "serve",
        "--host=127.0.0.1",
        "--port=0",
        `--disk-reserve-bytes=${SETTINGS.diskReserveBytes}`,
        `--disk-reserve-percent=${SETTINGS.diskReservePercent}`,
        `--disk-emergency-space-bytes=${SETTINGS.diskEmergencySpaceBytes}`,
      ],
      {
        cwd: new URL("../..", import.meta.url).pathname,
        env: { ...process.env, OUTPOST_DATA: dataDir, OUTPOST_ADMIN_PASSWORD: ADMIN_PASSWORD },
        stdout: "ignore",
        stderr: "pipe",
      },
    );
    const acknowledged = new Map<string, boolean>();
    try {
      const url = await listeningUrl(child.stderr);
      await waitUntil(() => emergencySpaceHeld(dataDir), 10_000, "the emergency space to be made");
      const login = await graphqlClient(url).data<{ login: { accessToken: string } }>(
        'mutation ($p: String!) { login(username: "admin", password: $p) { accessToken } }',
        { p: ADMIN_PASSWORD },
      );
      const admin = graphqlClient(url, login.login.accessToken);
      const { keys } = await fillThroughApi(admin);
      for (const key of keys) acknowledged.set(key, true);
      disk.fillFromOutside(join(disk.dir, "runaway.log"));
      for (const key of keys.slice(0, 3)) {
        expect(await admin.data(DELETE, { k: key })).toEqual({ deleteKv: true });
        acknowledged.set(key, false);
      }
    } finally {
      child.kill("SIGKILL");
      await child.exited;
    }

    // The other program is still there, and took what the server left.
    disk.fillFromOutside(join(disk.dir, "runaway-2.log"));
    {
      await using server = await startTestApp({ config: { dataDir, ...SETTINGS } });
      expect(server.announced.join("\n")).toMatch(/The disk is full: .* free of 32 MiB/);
      const admin = await server.admin();
      for (const [key, present] of acknowledged) {
        const { kv } = await admin.data<{ kv: { value: string } | null }>("query ($k: String!) { kv(key: $k) { value } }", { k: key });
        expect([key, kv?.value === VALUE]).toEqual([key, present]);
        if (!present) expect(kv).toBeNull();
      }
      expect(await readyDisk(server.url)).toMatchObject({ httpStatus: 200, disk: { state: "full" } });
    }
    const db = new Database(join(dataDir, "outpost.db"), { readonly: true });
    try {
      expect(db.query("PRAGMA integrity_check").get()).toEqual({ integrity_check: "ok" });
    } finally {
      db.close();
    }
  });

  test("in the database: a write that finds no room is tried again once the emergency space is given back; with none left, a whole batch fails with the clear error and leaves nothing behind", async () => {
    using disk = mountSmallDisk(8 * MiB);
    const dataDir = dataDirOn(disk);
    mkdirSync(dataDir);
    const watch = createDiskWatch({
      dataDir,
      settings: { diskReserveBytes: MiB, diskReservePercent: 0, diskEmergencySpaceBytes: 2 * MiB },
      clock: systemClock,
      log: createLogger({ write: () => {} }),
    });
    await watch.check();
    expect(existsSync(join(dataDir, "emergency-space"))).toBe(true);
    const db = openDatabase(join(dataDir, "outpost.db"), [{ id: "rows", sql: "CREATE TABLE rows (name TEXT PRIMARY KEY, body BLOB)" }], {
      noSpace: watch,
    });
    try {
      const writes = createWriteBatcher(db, { noSpace: watch });
      const insert = db.query("INSERT INTO rows (name, body) VALUES (?, ?)");
      const body = Buffer.alloc(512 * 1024, 7);

      // A write outside any transaction, as sign-in makes its session row.
      disk.fillFromOutside(join(disk.dir, "outside-1"));
      insert.run("direct", body);
      expect(existsSync(join(dataDir, "emergency-space"))).toBe(false);

      // Room again, the emergency space made again, the disk filled again: a batch goes through.
      rmSync(join(disk.dir, "outside-1"));
      await watch.check();
      expect(existsSync(join(dataDir, "emergency-space"))).toBe(true);
      disk.fillFromOutside(join(disk.dir, "outside-2"));
      await Promise.all([writes.run(() => insert.run("batched-1", body)), writes.run(() => insert.run("batched-2", "small"))]);
      expect(existsSync(join(dataDir, "emergency-space"))).toBe(false);

      // Nothing left to give back: every write of the batch fails with the clear error, none applied.
      disk.fillFromOutside(join(disk.dir, "outside-3"));
      const outcomes = await Promise.allSettled([
        writes.run(() => insert.run("refused-1", body)),
        writes.run(() => insert.run("refused-2", "small")),
      ]);
      for (const outcome of outcomes) {
        expect(outcome.status).toBe("rejected");
        const reason = (outcome as PromiseRejectedResult).reason;
        expect(reason).toBeInstanceOf(LimitExceededError);
        expect(reason.message).toMatch(/^The disk is full: /);
      }
      expect(() => insert.run("refused-3", body)).toThrow(/^The disk is full: /);
      expect(db.query("SELECT name FROM rows ORDER BY name").all()).toEqual([
        { name: "batched-1" },
        { name: "batched-2" },
        { name: "direct" },
      ]);
      expect(db.query("PRAGMA integrity_check").get()).toEqual({ integrity_check: "ok" });
    } finally {
      db.close(true);
    }
  });
});

/** The address from the "Outpost listening on" line a server started as a program prints on stderr. */
async function listeningUrl(stderr: ReadableStream<Uint8Array>): Promise<string> {
  const reader = stderr.getReader();
  const decoder = new TextDecoder();
  let text = "";
  for (;;) {
    const match = text.match(/Outpost listening on (\S+)/);
    if (match) {
      reader.releaseLock();
      return match[1] as string;
    }
    const { value, done } = await reader.read();
    if (done) throw new Error(`the server exited before listening: ${text}`);
    text += decoder.decode(value, { stream: true });
  }
}
