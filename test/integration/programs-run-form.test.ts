// What the run form needs of the API: who started each run, by name, kept after that user is
// deleted; and the bounds of stdin and the time limit, so the form checks what the server checks.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { type UploadedProgram, uploadProgram } from "../fixtures/program-archives";
import { startTestApp, type TestApp } from "../harness/app";
import { codes, type GraphqlClient, waitUntil } from "../harness/client";

let app: TestApp;
let admin: GraphqlClient;

beforeAll(async () => {
  app = await startTestApp({ config: { runsStopGraceMs: 0, runsTimeoutSeconds: 30, runsMaxTimeoutSeconds: 600 } });
  admin = await app.admin();
});
afterAll(() => app.stop());

interface StartedRun {
  id: string;
  status: string;
  startedBy: string | null;
  startedByName: string | null;
  timeoutSeconds: number;
}
const RUN_FIELDS = "id status startedBy startedByName timeoutSeconds";

async function program(client: GraphqlClient, name: string, text: string): Promise<UploadedProgram> {
  const result = await uploadProgram(client, new File([text], name));
  if (!result.data) throw new Error(JSON.stringify(result.errors));
  return result.data.uploadProgram;
}

const startRun = (client: GraphqlClient, programId: string, extra: { stdin?: string; timeoutSeconds?: number } = {}) =>
  client.request<{ startRun: StartedRun }>(
    `mutation ($p: ID!, $i: String, $t: Int) { startRun(programId: $p, stdin: $i, timeoutSeconds: $t) { ${RUN_FIELDS} } }`,
    { p: programId, i: extra.stdin, t: extra.timeoutSeconds },
  );

const runsPage = async (client: GraphqlClient) =>
  (await client.data<{ runs: { nodes: StartedRun[] } }>(`{ runs(first: 200) { nodes { ${RUN_FIELDS} } } }`)).runs.nodes;

async function ended(client: GraphqlClient, id: string): Promise<void> {
  await waitUntil(
    async () => {
      const { run } = await client.data<{ run: { status: string } }>("query ($id: ID!) { run(id: $id) { status } }", { id });
      return !["QUEUED", "RUNNING"].includes(run.status);
    },
    15_000,
    `run ${id} to end`,
  );
}

describe("who started a run", () => {
  test("each run names its starter, in the history and live, and keeps the name after the user is deleted", async () => {
    const { createUser } = await admin.data<{ createUser: { id: string } }>(
      'mutation { createUser(username: "ada.operator", password: "ada-password-1", role: operator) { id } }',
    );
    const ada = await app.signIn("ada.operator", "ada-password-1");
    const script = await program(ada, "hello.sh", "echo hello\n");

    const events = ada.socket();
    const live = await app.listening("run.changed", () =>
      events.subscribe<{ runEvents: StartedRun }>(`subscription { runEvents { ${RUN_FIELDS} } }`),
    );
    const started = (await startRun(ada, script.id)).data?.startRun as StartedRun;
    expect(started).toMatchObject({ startedBy: createUser.id, startedByName: "ada.operator" });
    const { exec } = await admin.data<{ exec: StartedRun }>(`mutation { exec(command: "true") { ${RUN_FIELDS} } }`);
    expect(exec.startedByName).toBe("admin");
    await live.waitFor(1);
    expect(live.results[0]?.data?.runEvents.startedByName).toBe("ada.operator");
    await events.dispose();
    await ended(ada, started.id);
    await ended(admin, exec.id);

    const names = (runs: StartedRun[]) => Object.fromEntries(runs.map((r) => [r.id, r.startedByName]));
    expect(names(await runsPage(admin))).toMatchObject({ [started.id]: "ada.operator", [exec.id]: "admin" });

    expect(await admin.data("mutation ($id: ID!) { deleteUser(id: $id) }", { id: createUser.id })).toEqual({ deleteUser: true });
    const afterDeletion = (await runsPage(admin)).find((r) => r.id === started.id);
    expect(afterDeletion).toMatchObject({ startedBy: createUser.id, startedByName: "ada.operator" });
  });
});

describe("what the run form may send", () => {
  test("runLimits gives the stdin bound and the time limit's default and bounds, as configured", async () => {
    const viewer = await app.userWithRole("viewer");
    expect(await viewer.data("{ runLimits { maxStdinBytes defaultTimeoutSeconds maxTimeoutSeconds } }")).toEqual({
      runLimits: { maxStdinBytes: 1 << 20, defaultTimeoutSeconds: 30, maxTimeoutSeconds: 600 },
    });
  });

  test("startRun and exec take exactly what runLimits says", async () => {
    const { runLimits } = await admin.data<{ runLimits: { maxStdinBytes: number; maxTimeoutSeconds: number } }>(
      "{ runLimits { maxStdinBytes maxTimeoutSeconds } }",
    );
    const reader = await program(admin, "count.sh", "wc -c\n");
    // "é" is two bytes of UTF-8: the bound is on bytes, not characters.
    const atTheBound = `${"é".repeat(runLimits.maxStdinBytes / 2 - 1)}ab`;
    const accepted = (await startRun(admin, reader.id, { stdin: atTheBound, timeoutSeconds: runLimits.maxTimeoutSeconds })).data?.startRun;
    expect(accepted).toMatchObject({ timeoutSeconds: runLimits.maxTimeoutSeconds });
    expect(codes(await startRun(admin, reader.id, { stdin: `${atTheBound}c` }))).toEqual(["BAD_USER_INPUT"]);
    for (const timeoutSeconds of [0, runLimits.maxTimeoutSeconds + 1]) {
      expect(codes(await startRun(admin, reader.id, { timeoutSeconds }))).toEqual(["BAD_USER_INPUT"]);
      expect(
        codes(await admin.request('mutation ($t: Int) { exec(command: "true", timeoutSeconds: $t) { id } }', { t: timeoutSeconds })),
      ).toEqual(["BAD_USER_INPUT"]);
    }
    const withDefault = (await startRun(admin, reader.id)).data?.startRun;
    expect(withDefault?.timeoutSeconds).toBe(30);
    await ended(admin, accepted?.id as string);
    const { run } = await admin.data<{ run: { output: { text: string | null }[] } }>(
      "query ($id: ID!) { run(id: $id) { output { text } } }",
      { id: accepted?.id },
    );
    expect(
      run.output
        .map((c) => c.text ?? "")
        .join("")
        .trim(),
    ).toBe(String(runLimits.maxStdinBytes));
    await ended(admin, withDefault?.id as string);
  });
});
