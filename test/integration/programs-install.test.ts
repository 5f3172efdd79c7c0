// A program too big for a multipart request: its ZIP goes through the resumable upload
// (/files/uploads) and installProgram unpacks it from the stored file, with the same refusals.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { buildZip, uploadProgram } from "../fixtures/program-archives";
import { startTestApp, type TestApp } from "../harness/app";
import { codes, type GraphqlClient, graphqlClient, waitUntil } from "../harness/client";
import { tusClient } from "../harness/tus";

const INSTALL = "mutation ($f: ID!, $n: String) { installProgram(fileId: $f, name: $n) { id name entryPath fileCount files { path } } }";
type Installed = { installProgram: { id: string; name: string; entryPath: string; fileCount: number; files: { path: string }[] } };

let app: TestApp;
let operator: GraphqlClient;
beforeAll(async () => {
  // A multipart cap far below the archive, so only the resumable path can bring it.
  app = await startTestApp({ config: { maxMultipartBodyBytes: 64 << 10, rateLimitUploadPerMinute: 100_000 } });
  operator = await app.userWithRole("operator");
});
afterAll(() => app.stop());

/** Two MiB of text that does not compress much, so the ZIP stays past the multipart cap. */
const bulk = Array.from(
  { length: 1 << 15 },
  (_, i) => `${i.toString(36)} ${Math.sin(i).toFixed(20)} ${Math.cos(i * 7).toFixed(20)}\n`,
).join("");

test("a ZIP past the multipart cap, uploaded resumably, becomes a program that runs", async () => {
  const zip = buildZip([
    { name: "big/main.py", text: "import os\nprint(os.path.getsize('data/bulk.txt'))\n" },
    { name: "big/data/bulk.txt", text: bulk },
  ]);
  expect(zip.length).toBeGreaterThan(64 << 10);
  expect(codes(await uploadProgram(operator, new File([zip], "big.zip")))).toEqual(["LIMIT_EXCEEDED"]);

  const fileId = await tusClient(operator).upload("big.zip", zip);
  const { installProgram } = await operator.data<Installed>(INSTALL, { f: fileId });
  expect(installProgram).toMatchObject({ name: "big", entryPath: "big/main.py", fileCount: 2 });
  expect(installProgram.files.map((f) => f.path)).toEqual(["big/data/bulk.txt", "big/main.py"]);

  const { startRun } = await operator.data<{ startRun: { id: string } }>("mutation ($p: ID!) { startRun(programId: $p) { id } }", {
    p: installProgram.id,
  });
  let output = "";
  await waitUntil(
    async () => {
      const { run } = await operator.data<{ run: { status: string; output: { text: string | null }[] } }>(
        "query ($id: ID!) { run(id: $id) { status output { text } } }",
        { id: startRun.id },
      );
      output = run.output.map((c) => c.text ?? "").join("");
      return run.status === "SUCCEEDED";
    },
    15_000,
    "the run to succeed",
  );
  expect(output).toBe(`${Buffer.byteLength(bulk)}\n`);
  // The stored file is left as it was.
  expect((await tusClient(operator).download(fileId)).status).toBe(200);
});

test("a malicious ZIP uploaded resumably is refused like any other, leaving nothing", async () => {
  const before = readdirSync(join(app.dataDir, "programs"));
  const fileId = await tusClient(operator).upload("slip.zip", buildZip([{ name: "../escape.sh", text: "echo out\n" }]));
  expect(codes(await operator.request(INSTALL, { f: fileId }))).toEqual(["BAD_USER_INPUT"]);
  expect(readdirSync(join(app.dataDir, "programs"))).toEqual(before);
  expect(readdirSync(join(app.dataDir, "tmp")).filter((name) => name.startsWith("program-"))).toEqual([]);
});

test("a file that is not there, or a viewer, is refused", async () => {
  expect(codes(await operator.request(INSTALL, { f: "no-such-file" }))).toEqual(["NOT_FOUND"]);
  const viewer = await app.userWithRole("viewer");
  expect(codes(await viewer.request(INSTALL, { f: "no-such-file" }))).toEqual(["FORBIDDEN"]);
});

test("an API key scoped to programs:manage alone may not read a stored file into a program", async () => {
  const fileId = await tusClient(operator).upload("tool.sh", new TextEncoder().encode("echo tool\n"));
  await app.app.services.users.create({ username: "key-owner", password: "key-owner-password", role: "operator" });
  const owner = await app.signIn("key-owner", "key-owner-password");
  const created = await owner.data<{ createApiKey: { secret: string } }>(
    'mutation ($p: String!) { createApiKey(name: "programs only", scopes: ["programs:manage"], password: $p) { secret } }',
    { p: "key-owner-password" },
  );
  const key = graphqlClient(app.url, created.createApiKey.secret);
  expect(codes(await key.request(INSTALL, { f: fileId }))).toEqual(["FORBIDDEN"]);
});
