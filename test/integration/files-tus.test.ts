// Uploading files with the resumable tus protocol (create, HEAD, PATCH in chunks, resume after a
// dropped connection, checksums, termination, expiry) and its limits: largest file, quotas,
// unknown lengths, unfinished uploads. Small uploads through GraphQL multipart are in
// files-multipart.test.ts.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createHash, randomBytes } from "node:crypto";
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { createManualClock } from "../../server/clock";
import { startTestApp, type TestApp } from "../harness/app";
import { type GraphqlClient, waitUntil } from "../harness/client";
import { pushedBody, TUS_HEADERS, type TusClient, tusClient, uploadBytesAndRows, uploadMetadata } from "../harness/tus";

const FILES = "query ($search: String) { files(search: $search) { nodes { id name folder sizeBytes sha256 mimeType uploaderName } } }";
const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");
const sha256Base64 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("base64");

let server: TestApp;
let operator: GraphqlClient;
let tus: TusClient;

beforeAll(async () => {
  server = await startTestApp({ config: { filesMaxFileBytes: 8 << 20, rateLimitUploadPerMinute: 100_000 } });
  operator = await server.userWithRole("operator");
  tus = tusClient(operator);
});
afterAll(() => server.stop());

const partialPath = (location: string) => join(server.dataDir, "tmp", "uploads", location.split("/").pop() as string);

describe("the tus protocol", () => {
  test("OPTIONS says which version, extensions, largest size and checksum algorithm the server takes", async () => {
    const response = await fetch(`${server.url}/files/uploads`, { method: "OPTIONS" });
    expect(response.status).toBe(204);
    expect(response.headers.get("tus-version")).toBe("1.0.0");
    expect(response.headers.get("tus-extension")?.split(",")).toEqual(
      expect.arrayContaining(["creation", "creation-defer-length", "termination", "checksum", "expiration"]),
    );
    expect(response.headers.get("tus-max-size")).toBe(String(8 << 20));
    expect(response.headers.get("tus-checksum-algorithm")).toBe("sha256");
  });

  test("a file sent in several PATCHes appears, with its metadata, only when the last byte arrives", async () => {
    const bytes = randomBytes(3 * 1024 * 1024 + 17);
    const created = await tus.create({ name: "firmware.img", folder: "images/pi", length: bytes.length });
    expect(created.status).toBe(201);
    const location = created.headers.get("location") as string;
    expect(location).toMatch(/^\/files\/uploads\/[0-9a-f]{32}$/);
    expect(created.headers.get("tus-resumable")).toBe("1.0.0");

    const chunk = 1024 * 1024;
    for (let offset = 0; offset < bytes.length; offset += chunk) {
      const notLast = offset + chunk < bytes.length;
      if (notLast) expect((await operator.data<{ files: { nodes: unknown[] } }>(FILES, { search: "firmware" })).files.nodes).toEqual([]);
      const patched = await tus.patch(location, offset, bytes.subarray(offset, offset + chunk));
      expect(patched.status).toBe(204);
      expect(Number(patched.headers.get("upload-offset"))).toBe(Math.min(offset + chunk, bytes.length));
      expect(patched.headers.get("upload-expires")).toBeTruthy();
      if (notLast) {
        const head = await tus.head(location);
        expect(head.status).toBe(200);
        expect(head.headers.get("upload-offset")).toBe(String(offset + chunk));
        expect(head.headers.get("upload-length")).toBe(String(bytes.length));
        expect(head.headers.get("cache-control")).toBe("no-store");
      } else expect(patched.headers.get("outpost-file-id")).toMatch(/^[0-9a-f]{32}$/);
    }
    const { files } = await operator.data<{ files: { nodes: Record<string, unknown>[] } }>(FILES, { search: "firmware" });
    expect(files.nodes).toEqual([
      expect.objectContaining({
        name: "firmware.img",
        folder: "images/pi",
        sizeBytes: bytes.length,
        sha256: sha256(bytes),
        mimeType: "application/octet-stream",
      }),
    ]);
    const download = await tus.download(files.nodes[0]?.id as string);
    expect(Buffer.from(await download.arrayBuffer()).equals(bytes)).toBe(true);
    // The upload is gone: its bytes became the file.
    expect(existsSync(partialPath(location))).toBe(false);
    expect((await tus.head(location)).status).toBe(404);
  });

  test("after a connection drops mid-PATCH, HEAD tells what arrived and the upload resumes from there", async () => {
    const bytes = randomBytes(4 * 1024 * 1024);
    const location = (await tus.create({ name: "resumed.bin", length: bytes.length })).headers.get("location") as string;
    const sending = pushedBody();
    const dropped = tus.patch(location, 0, sending.body).catch(() => null);
    for (let offset = 0; offset < 3 * 1024 * 1024; offset += 64 * 1024) sending.push(bytes.subarray(offset, offset + 64 * 1024));
    await waitUntil(
      () => (existsSync(partialPath(location)) ? statSync(partialPath(location)).size : 0) >= 1024 * 1024,
      10_000,
      "bytes on disk",
    );
    sending.breakOff();
    await dropped;

    const head = await tus.head(location);
    expect(head.status).toBe(200);
    const offset = Number(head.headers.get("upload-offset"));
    expect(offset).toBeGreaterThanOrEqual(1024 * 1024);
    expect(offset).toBeLessThanOrEqual(3 * 1024 * 1024);
    const rest = await tus.patch(location, offset, bytes.subarray(offset));
    expect(rest.status).toBe(204);
    const id = rest.headers.get("outpost-file-id") as string;
    const { file } = await operator.data<{ file: { sha256: string; sizeBytes: number } }>(
      "query ($id: ID!) { file(id: $id) { sha256 sizeBytes } }",
      { id },
    );
    expect(file).toEqual({ sha256: sha256(bytes), sizeBytes: bytes.length });
  });

  test("a PATCH at the wrong offset is refused with 409 and changes nothing", async () => {
    const location = (await tus.create({ name: "offsets.txt", length: 10 })).headers.get("location") as string;
    expect((await tus.patch(location, 0, "12345")).status).toBe(204);
    const wrong = await tus.patch(location, 2, "xxxxx");
    expect(wrong.status).toBe(409);
    expect((await wrong.json()).error).toMatchObject({ code: "CONFLICT", offsetBytes: 5 });
    expect((await tus.head(location)).headers.get("upload-offset")).toBe("5");
  });

  test("a checksum that matches keeps the bytes; one that does not is refused with 460 and they are discarded", async () => {
    const bytes = new TextEncoder().encode("checked bytes, part one|part two");
    const location = (await tus.create({ name: "checked.txt", length: bytes.length })).headers.get("location") as string;
    const first = bytes.subarray(0, 24);
    const ok = await tus.patch(location, 0, first, { "upload-checksum": `sha256 ${sha256Base64(first)}` });
    expect(ok.status).toBe(204);
    const second = bytes.subarray(24);
    const bad = await tus.patch(location, 24, second, { "upload-checksum": `sha256 ${sha256Base64(first)}` });
    expect(bad.status).toBe(460);
    expect((await tus.head(location)).headers.get("upload-offset")).toBe("24");
    const unsupported = await tus.patch(location, 24, second, { "upload-checksum": `md5 ${Buffer.from("x").toString("base64")}` });
    expect(unsupported.status).toBe(400);
    const done = await tus.patch(location, 24, second, { "upload-checksum": `sha256 ${sha256Base64(second)}` });
    expect(done.status).toBe(204);
    const id = done.headers.get("outpost-file-id") as string;
    expect(Buffer.from(await (await tus.download(id)).arrayBuffer()).toString()).toBe("checked bytes, part one|part two");
  });

  test("a checksum over megabytes, written while they arrive, discards all of them when it does not match", async () => {
    const bytes = randomBytes(6 * 1024 * 1024 + 5);
    const location = (await tus.create({ name: "checked.bin", length: bytes.length })).headers.get("location") as string;
    const first = bytes.subarray(0, 5 * 1024 * 1024);
    const bad = await tus.patch(location, 0, first, { "upload-checksum": `sha256 ${sha256Base64(bytes)}` });
    expect(bad.status).toBe(460);
    expect((await tus.head(location)).headers.get("upload-offset")).toBe("0");
    expect(statSync(partialPath(location)).size).toBe(0);
    expect((await tus.patch(location, 0, first, { "upload-checksum": `sha256 ${sha256Base64(first)}` })).status).toBe(204);
    const rest = bytes.subarray(first.length);
    const done = await tus.patch(location, first.length, rest, { "upload-checksum": `sha256 ${sha256Base64(rest)}` });
    expect(done.status).toBe(204);
    const { files } = await operator.data<{ files: { nodes: Record<string, unknown>[] } }>(FILES, { search: "checked.bin" });
    expect(files.nodes).toMatchObject([{ sha256: sha256(bytes), sizeBytes: bytes.length }]);
    const id = done.headers.get("outpost-file-id") as string;
    expect(Buffer.from(await (await tus.download(id)).arrayBuffer()).equals(bytes)).toBe(true);
  });

  test("termination aborts an upload and deletes its bytes", async () => {
    const location = (await tus.create({ name: "aborted.bin", length: 100 })).headers.get("location") as string;
    await tus.patch(location, 0, new Uint8Array(40));
    expect(existsSync(partialPath(location))).toBe(true);
    expect((await tus.terminate(location)).status).toBe(204);
    expect(existsSync(partialPath(location))).toBe(false);
    expect((await tus.head(location)).status).toBe(404);
    expect((await tus.patch(location, 40, new Uint8Array(60))).status).toBe(404);
  });

  test("creation can carry the first bytes, and an empty file is complete at once", async () => {
    const bytes = new TextEncoder().encode("sent with the creation");
    const created = await fetch(`${server.url}/files/uploads`, {
      method: "POST",
      headers: {
        authorization: `Bearer ${operator.accessToken}`,
        ...TUS_HEADERS,
        "upload-length": String(bytes.length),
        "upload-metadata": uploadMetadata({ filename: "with-creation.txt" }),
        "content-type": "application/offset+octet-stream",
      },
      body: bytes,
    });
    expect(created.status).toBe(201);
    expect(created.headers.get("upload-offset")).toBe(String(bytes.length));
    expect(created.headers.get("outpost-file-id")).toMatch(/^[0-9a-f]{32}$/);
    const empty = await tus.create({ name: "empty.txt", length: 0 });
    expect(empty.status).toBe(201);
    const id = empty.headers.get("outpost-file-id") as string;
    const { file } = await operator.data<{ file: { sizeBytes: number; sha256: string } }>(
      "query ($id: ID!) { file(id: $id) { sizeBytes sha256 } }",
      { id },
    );
    expect(file).toEqual({ sizeBytes: 0, sha256: sha256(new Uint8Array()) });
  });

  test("requests without the protocol version, bytes of another type or creation without a length are refused", async () => {
    const location = (await tus.create({ name: "strict.txt", length: 3 })).headers.get("location") as string;
    const noVersion = await fetch(`${server.url}${location}`, {
      method: "HEAD",
      headers: { authorization: `Bearer ${operator.accessToken}` },
    });
    expect(noVersion.status).toBe(412);
    expect((await tus.patch(location, 0, "abc", { "content-type": "text/plain" })).status).toBe(415);
    const noLength = await fetch(`${server.url}/files/uploads`, {
      method: "POST",
      headers: { authorization: `Bearer ${operator.accessToken}`, ...TUS_HEADERS, "upload-metadata": uploadMetadata({ filename: "x" }) },
    });
    expect(noLength.status).toBe(400);
    const noName = await fetch(`${server.url}/files/uploads`, {
      method: "POST",
      headers: { authorization: `Bearer ${operator.accessToken}`, ...TUS_HEADERS, "upload-length": "3" },
    });
    expect(noName.status).toBe(400);
  });

  test("only the uploader can see or continue an upload; viewers and anonymous callers cannot upload", async () => {
    const location = (await tus.create({ name: "mine.txt", length: 5 })).headers.get("location") as string;
    const other = tusClient(await server.userWithRole("operator"));
    expect((await other.head(location)).status).toBe(404);
    expect((await other.patch(location, 0, "12345")).status).toBe(404);
    expect((await other.terminate(location)).status).toBe(404);
    const viewer = tusClient(await server.userWithRole("viewer"));
    expect((await viewer.create({ name: "no.txt", length: 5 })).status).toBe(403);
    const anonymous = await fetch(`${server.url}/files/uploads`, {
      method: "POST",
      headers: { ...TUS_HEADERS, "upload-length": "5", "upload-metadata": uploadMetadata({ filename: "no.txt" }) },
    });
    expect(anonymous.status).toBe(401);
  });

  test("another user's requests for an upload's id do not stop the uploader's PATCH in progress", async () => {
    // Upload ids reach every files:read subscriber through fileEvents, so they are not secrets.
    const bytes = randomBytes(2 * 1024 * 1024);
    const location = (await tus.create({ name: "interrupted-by-other.bin", length: bytes.length })).headers.get("location") as string;
    const sending = pushedBody();
    const patching = tus.patch(location, 0, sending.body);
    sending.push(bytes.subarray(0, 1024 * 1024));
    await waitUntil(() => statSync(partialPath(location)).size > 0, 10_000, "the first bytes on disk");
    const other = tusClient(await server.userWithRole("operator"));
    expect((await other.head(location)).status).toBe(404);
    expect((await other.patch(location, 0, "x")).status).toBe(404);
    expect((await other.terminate(location)).status).toBe(404);
    sending.push(bytes.subarray(1024 * 1024));
    sending.end();
    const patched = await patching;
    expect(patched.status).toBe(204);
    expect(patched.headers.get("outpost-file-id")).toMatch(/^[0-9a-f]{32}$/);
  });

  test("creation and completion are in the audit log", async () => {
    const id = await tus.upload("audited.txt", new TextEncoder().encode("audit me"));
    const admin = await server.admin();
    await server.app.settled();
    const { auditLog } = await admin.data<{ auditLog: { nodes: { action: string; target: Record<string, unknown> | null }[] } }>(
      'query { auditLog(filter: { action: "files.upload" }, first: 50) { nodes { action target } } }',
    );
    const actions = auditLog.nodes.map((entry) => entry.action);
    expect(actions).toContain("files.upload.create");
    expect(auditLog.nodes).toContainEqual(
      expect.objectContaining({ action: "files.upload.complete", target: expect.objectContaining({ fileId: id }) }),
    );
  });
});

describe("limits", () => {
  test("a file larger than the largest allowed is refused before any byte is sent, with the numbers", async () => {
    const refused = await tus.create({ name: "huge.img", length: (8 << 20) + 1 });
    expect(refused.status).toBe(413);
    expect((await refused.json()).error).toMatchObject({ code: "LIMIT_EXCEEDED", limitBytes: 8 << 20, sizeBytes: (8 << 20) + 1 });
  });

  test("a body longer than the upload's length is refused", async () => {
    const location = (await tus.create({ name: "short.txt", length: 4 })).headers.get("location") as string;
    const refused = await tus.patch(location, 0, "too long");
    expect(refused.status).toBe(413);
    expect((await tus.head(location)).headers.get("upload-offset")).toBe("0");
  });

  test("an upload of unknown length is cut off at the largest file size while it streams, and can declare its length later", async () => {
    const location = (await tus.create({ name: "deferred.bin", length: null })).headers.get("location") as string;
    expect((await tus.head(location)).headers.get("upload-defer-length")).toBe("1");
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        // Streamed without a length, past the 8 MiB limit.
        controller.enqueue(new Uint8Array(256 * 1024));
      },
    });
    const overflow = await tus.patch(location, 0, body);
    expect(overflow.status).toBe(413);
    expect((await overflow.json()).error.code).toBe("LIMIT_EXCEEDED");
    const offset = Number((await tus.head(location)).headers.get("upload-offset"));
    expect(offset).toBeLessThanOrEqual(8 << 20);
    expect((await tus.terminate(location)).status).toBe(204);

    const later = (await tus.create({ name: "declared-later.txt", length: null })).headers.get("location") as string;
    expect((await tus.patch(later, 0, "part one, ")).status).toBe(204);
    const last = await tus.patch(later, 10, "part two", { "upload-length": "18" });
    expect(last.status).toBe(204);
    expect(last.headers.get("outpost-file-id")).toMatch(/^[0-9a-f]{32}$/);
  });

  test("the store's quota and each user's quota refuse uploads that would pass them, counting uploads in progress", async () => {
    await using limited = await startTestApp({ config: { filesQuotaBytes: 1000, filesUserQuotaBytes: 600 } });
    const first = tusClient(await limited.userWithRole("operator"));
    const second = tusClient(await limited.userWithRole("operator"));
    await first.upload("a.bin", new Uint8Array(400));
    // 400 stored + 300 reserved by an unfinished upload: 700 of the user's 600 would not fit.
    const pending = await first.create({ name: "b.bin", length: 150 });
    expect(pending.status).toBe(201);
    const userRefusal = await first.create({ name: "c.bin", length: 100 });
    expect(userRefusal.status).toBe(413);
    expect((await userRefusal.json()).error).toMatchObject({ code: "LIMIT_EXCEEDED", quotaBytes: 600, usedBytes: 550, sizeBytes: 100 });
    await second.upload("d.bin", new Uint8Array(400));
    const storeRefusal = await second.create({ name: "e.bin", length: 100 });
    expect(storeRefusal.status).toBe(413);
    expect((await storeRefusal.json()).error).toMatchObject({ quotaBytes: 1000, usedBytes: 950 });
    // Aborting the unfinished upload gives its reservation back.
    await first.terminate(pending.headers.get("location") as string);
    expect((await second.create({ name: "e.bin", length: 100 })).status).toBe(201);
  });

  test("creations sent at once cannot pass the number of unfinished uploads a user may have", async () => {
    await using limited = await startTestApp({ config: { filesMaxUnfinishedUploads: 2, rateLimitUploadPerMinute: 100_000 } });
    const client = tusClient(await limited.userWithRole("operator"));
    const created = await Promise.all(Array.from({ length: 8 }, (_, i) => client.create({ name: `parallel-${i}.bin`, length: null })));
    expect(created.filter((response) => response.status === 201)).toHaveLength(2);
    expect(created.filter((response) => response.status === 429)).toHaveLength(6);
    expect(limited.app.db.query("SELECT id FROM file_uploads").all()).toHaveLength(2);
    expect(readdirSync(join(limited.dataDir, "tmp", "uploads"))).toHaveLength(2);
  });

  test("an upload that receives nothing for the expiry time is deleted with its bytes", async () => {
    const clock = createManualClock(Date.now());
    await using timed = await startTestApp({ clock, config: { filesUploadExpiryHours: 1 } });
    const client = tusClient(await timed.userWithRole("operator"));
    const location = (await client.create({ name: "stale.bin", length: 100 })).headers.get("location") as string;
    await client.patch(location, 0, new Uint8Array(10));
    const partial = join(timed.dataDir, "tmp", "uploads", location.split("/").pop() as string);
    expect(existsSync(partial)).toBe(true);
    await clock.advance(61 * 60_000);
    // The bytes go before the row's delete commits: wait for both.
    await waitUntil(
      () => !existsSync(partial) && timed.app.db.query("SELECT id FROM file_uploads").all().length === 0,
      5000,
      "the expired upload's bytes and row to go",
    );
  });
});

test("no upload leaves bytes behind once it is complete or aborted", () => {
  const { bytes, rows } = uploadBytesAndRows(server);
  expect(bytes).toEqual(rows);
});
