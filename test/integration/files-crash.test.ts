// Crash safety of the file store: Outpost killed with SIGKILL in the middle of an upload and
// started again on the same data directory lists no partial file, lets the upload resume (its
// sha256 still right), and makes metadata and bytes agree (no bytes without a row, no row without
// bytes), whatever the crash left behind.

import { Database } from "bun:sqlite";
import { afterAll, expect, test } from "bun:test";
import { createHash, randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type GraphqlClient, graphqlClient, waitUntil } from "../harness/client";
import { pushedBody, tusClient } from "../harness/tus";

const ROOT = join(import.meta.dir, "..", "..");
const PASSWORD = "crash-test-password";
const dataDir = mkdtempSync(join(tmpdir(), "outpost-files-crash-"));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

/** `bun server/main.ts serve` on the data directory, in its own process; resolves once it listens. */
async function startOutpost() {
  const proc = Bun.spawn([process.execPath, "server/main.ts", "serve", "--data", dataDir, "--port", "0", "--host", "127.0.0.1"], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", OUTPOST_ADMIN_PASSWORD: PASSWORD },
    stdout: "ignore",
    stderr: "pipe",
  });
  let stderr = "";
  void (async () => {
    const decoder = new TextDecoder();
    const reader = proc.stderr.getReader();
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) stderr += decoder.decode(chunk.value, { stream: true });
  })();
  await waitUntil(() => /listening on \S+/.test(stderr) || proc.exitCode !== null, 30_000, "Outpost to listen");
  const url = /listening on (\S+)/.exec(stderr)?.[1];
  if (!url) throw new Error(`Outpost did not start:\n${stderr}`);
  const login = await graphqlClient(url).data<{ login: { accessToken: string } }>(
    'mutation ($p: String!) { login(username: "admin", password: $p) { accessToken } }',
    { p: PASSWORD },
  );
  return { proc, client: graphqlClient(url, login.login.accessToken) };
}

const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");
const listed = async (client: GraphqlClient) =>
  (
    await client.data<{ files: { nodes: { id: string; name: string; sizeBytes: number; sha256: string }[] } }>(
      "{ files(first: 500) { nodes { id name sizeBytes sha256 } } }",
    )
  ).files.nodes;

test("killed mid-upload and started again: nothing partial is listed, the upload resumes, metadata and bytes agree", async () => {
  const first = await startOutpost();
  const tus = tusClient(first.client);
  const bytes = randomBytes(12 * 1024 * 1024);
  const location = (await tus.create({ name: "interrupted.img", length: bytes.length })).headers.get("location") as string;
  const uploadId = location.split("/").pop() as string;
  const partial = join(dataDir, "tmp", "uploads", uploadId);
  const sending = pushedBody();
  const patching = tus.patch(location, 0, sending.body).catch(() => null);
  for (let offset = 0; offset < 6 * 1024 * 1024; offset += 256 * 1024) sending.push(bytes.subarray(offset, offset + 256 * 1024));
  await waitUntil(() => existsSync(partial) && statSync(partial).size >= 2 * 1024 * 1024, 15_000, "bytes of the upload on disk");
  first.proc.kill("SIGKILL");
  await first.proc.exited;
  await patching;

  // What else a crash can leave: bytes renamed into place whose row was never written, bytes of an
  // upload whose row was never written, and (from a lost disk) a row whose bytes are gone.
  const orphanStored = join(dataDir, "files", "0".repeat(32));
  const orphanPartial = join(dataDir, "tmp", "uploads", "1".repeat(32));
  writeFileSync(orphanStored, "orphan");
  writeFileSync(orphanPartial, "orphan");
  const db = new Database(join(dataDir, "outpost.db"));
  db.run(
    "INSERT INTO files (id, folder, name, size_bytes, mime_type, sha256, uploaded_by, created_at, updated_at) VALUES (?, '', 'lost.txt', 4, 'text/plain', ?, NULL, 0, 0)",
    ["2".repeat(32), "0".repeat(64)],
  );
  db.close();

  const second = await startOutpost();
  try {
    expect(await listed(second.client)).toEqual([]);
    expect(existsSync(orphanStored)).toBe(false);
    expect(existsSync(orphanPartial)).toBe(false);

    const resumed = tusClient(second.client);
    const head = await resumed.head(location);
    expect(head.status).toBe(200);
    const offset = Number(head.headers.get("upload-offset"));
    expect(offset).toBeGreaterThanOrEqual(2 * 1024 * 1024);
    const rest = await resumed.patch(location, offset, bytes.subarray(offset));
    expect(rest.status).toBe(204);

    const files = await listed(second.client);
    expect(files).toEqual([{ id: uploadId, name: "interrupted.img", sizeBytes: bytes.length, sha256: sha256(bytes) }]);
    const download = await resumed.download(uploadId);
    expect(Buffer.from(await download.arrayBuffer()).equals(bytes)).toBe(true);

    // Every row has its bytes at its size, and every stored file has its row; no upload is left.
    const onDisk = readdirSync(join(dataDir, "files"));
    expect(onDisk.sort()).toEqual(files.map((f) => f.id).sort());
    for (const file of files) expect(statSync(join(dataDir, "files", file.id)).size).toBe(file.sizeBytes);
    expect(readdirSync(join(dataDir, "tmp", "uploads"))).toEqual([]);
  } finally {
    second.proc.kill("SIGKILL");
    await second.proc.exited;
  }
}, 60_000);
