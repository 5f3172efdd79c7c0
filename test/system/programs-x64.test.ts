// Programs run by the x64 executable from `npm run build`, alone in an empty directory with no
// `bun` on any PATH: Python and shell programs through their interpreters, TypeScript (and a
// package.json start script) through Outpost's own embedded Bun.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { join } from "node:path";
import { buildZip, uploadProgram } from "../fixtures/program-archives";
import { type GraphqlClient, graphqlClient } from "../harness/client";
import { type StartedBinary, startBinary } from "./smoke";

const binary = join(import.meta.dir, "../../dist/outpost-linux-x64");
const PASSWORD = "programs-binary-password";
/** A PATH without Bun: the system's directories only. */
const PATH_WITHOUT_BUN = "/usr/sbin:/usr/bin:/sbin:/bin";

let started: StartedBinary;
let client: GraphqlClient;
beforeAll(async () => {
  expect(Bun.which("bun", { PATH: PATH_WITHOUT_BUN })).toBeNull();
  started = await startBinary(binary, { env: { PATH: PATH_WITHOUT_BUN, OUTPOST_ADMIN_PASSWORD: PASSWORD } });
  const login = await graphqlClient(started.url).data<{ login: { accessToken: string } }>(
    'mutation ($p: String!) { login(username: "admin", password: $p) { accessToken } }',
    { p: PASSWORD },
  );
  client = graphqlClient(started.url, login.login.accessToken);
});
afterAll(() => started.cleanup());

async function runToEnd(file: File): Promise<{ status: string; stdout: string; stderr: string }> {
  const upload = await uploadProgram(client, file);
  if (!upload.data) throw new Error(JSON.stringify(upload.errors));
  const { startRun } = await client.data<{ startRun: { id: string } }>("mutation ($p: ID!) { startRun(programId: $p) { id } }", {
    p: upload.data.uploadProgram.id,
  });
  const socket = client.socket();
  try {
    const sub = socket.subscribe<{
      runOutput: { kind: string; stream: string | null; text: string | null; run: { status: string } | null };
    }>("subscription ($id: ID!) { runOutput(runId: $id) { kind stream text run { status } } }", { id: startRun.id });
    await sub.ended;
    const chunks = sub.results.map((r) => r.data?.runOutput);
    const text = (stream: string) =>
      chunks
        .filter((c) => c?.stream === stream)
        .map((c) => c?.text)
        .join("");
    return { status: chunks.at(-1)?.run?.status ?? "none", stdout: text("STDOUT"), stderr: text("STDERR") };
  } finally {
    await socket.dispose();
  }
}

test("a Python program runs with python3", async () => {
  expect(await runToEnd(new File(["import sys\nprint('python', sys.version_info[0])\n"], "hello.py"))).toEqual({
    status: "SUCCEEDED",
    stdout: "python 3\n",
    stderr: "",
  });
});

test("a shell program runs with sh", async () => {
  expect(await runToEnd(new File(['echo "shell $((6 * 7))"\n'], "hello.sh"))).toMatchObject({ status: "SUCCEEDED", stdout: "shell 42\n" });
});

test("a TypeScript program runs on the binary's own Bun", async () => {
  const result = await runToEnd(
    new File(["const n: number = 42;\nconsole.log('typescript', n, process.execPath.endsWith('outpost-linux-x64'));\n"], "hello.ts"),
  );
  expect(result).toMatchObject({ status: "SUCCEEDED", stdout: "typescript 42 true\n" });
});

test("a ZIP project's package.json start script finds `bun` on its PATH", async () => {
  const zip = buildZip([
    { name: "package.json", text: JSON.stringify({ scripts: { start: "bun src/main.ts" } }) },
    { name: "src/main.ts", text: "console.log('started by', typeof Bun);\n" },
  ]);
  expect(await runToEnd(new File([zip], "project.zip"))).toMatchObject({
    status: "SUCCEEDED",
    stdout: expect.stringContaining("started by object"),
  });
});
