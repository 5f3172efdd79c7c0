// exec for operators: admin-only out of the box; with exec_for_operators on, an operator's command
// must pass the deny and allow patterns, an admin's is not checked, and every command run or
// refused is in the audit log with the command as its target.
import { expect, test } from "bun:test";
import { uploadProgram } from "../fixtures/program-archives";
import { startTestApp } from "../harness/app";
import { codes, waitUntil } from "../harness/client";

const EXEC = "mutation ($c: String!) { exec(command: $c) { id } }";

test("operators may not exec unless exec_for_operators is on", async () => {
  await using app = await startTestApp();
  const operator = await app.userWithRole("operator");
  expect(codes(await operator.request(EXEC, { c: "uptime" }))).toEqual(["FORBIDDEN"]);
  const { me } = await operator.data<{ me: { permissions: string[] } }>("{ me { permissions } }");
  expect(me.permissions).not.toContain("exec");
});

test("with exec_for_operators, an operator's commands pass the patterns, an admin's are not checked, and all are audited", async () => {
  await using app = await startTestApp({
    config: { execForOperators: true, execAllowPatterns: "uptime\necho *", execDenyPatterns: "echo secret*" },
  });
  const operator = await app.userWithRole("operator");
  const admin = await app.admin();
  const viewer = await app.userWithRole("viewer");
  const { me } = await operator.data<{ me: { permissions: string[] } }>("{ me { permissions } }");
  expect(me.permissions).toContain("exec");

  const outcomes: [string, typeof operator, string[], string][] = [
    ["operator", operator, [], "echo hello"],
    ["operator", operator, ["FORBIDDEN"], "echo secret-thing"],
    ["operator", operator, ["FORBIDDEN"], "echo hi; reboot"],
    ["operator", operator, ["FORBIDDEN"], "cat /etc/shadow"],
    ["admin", admin, [], "echo hi; true"],
    ["viewer", viewer, ["FORBIDDEN"], "uptime"],
  ];
  const messages: string[] = [];
  for (const [, client, expected, command] of outcomes) {
    const result = await client.request(EXEC, { c: command });
    expect({ command, codes: codes(result) }).toEqual({ command, codes: expected });
    messages.push(result.errors?.[0]?.message ?? "");
  }
  expect(messages[1]).toContain('denied pattern "echo secret*"');
  expect(messages[2]).toContain("single commands");
  expect(messages[3]).toContain("none of the allowed patterns");

  await app.app.settled();
  const rows = app.app.services.audit
    .list({ first: 100 })
    .entries.filter((e) => e.action === "mutation.exec")
    .reverse();
  const names = new Map<string | null, string>();
  for (const [role, client] of [
    ["operator", operator],
    ["admin", admin],
    ["viewer", viewer],
  ] as const)
    names.set((await client.data<{ me: { username: string } }>("{ me { username } }")).me.username, role);
  const roleOf = (name: string | null) => names.get(name);
  expect(rows.map((r) => [roleOf(r.actorName), (r.target as { command?: string } | null)?.command, r.result])).toEqual([
    ["operator", "echo hello", "ok"],
    ["operator", "echo secret-thing", "FORBIDDEN"],
    ["operator", "echo hi; reboot", "FORBIDDEN"],
    ["operator", "cat /etc/shadow", "FORBIDDEN"],
    ["admin", "echo hi; true", "ok"],
    ["viewer", "uptime", "FORBIDDEN"],
  ]);

  // A refused command says nothing of the directory it named: refused before cwd is looked at.
  const probe = await operator.request("mutation ($c: String!, $d: String) { exec(command: $c, cwd: $d) { id } }", {
    c: "cat /etc/shadow",
    d: "/no/such/directory",
  });
  expect(codes(probe)).toEqual(["FORBIDDEN"]);
});

test("shell commands and their output show only to those who may exec: not to viewers, nor to operators without exec_for_operators", async () => {
  await using app = await startTestApp();
  const admin = await app.admin();
  const viewer = await app.userWithRole("viewer");
  const operator = await app.userWithRole("operator");
  const RUN = "query ($id: ID!) { run(id: $id) { id kind command status } }";
  const runsOf = async (client: typeof admin, programId?: string) =>
    (
      await client.data<{ runs: { nodes: { id: string }[] } }>("query ($p: ID) { runs(programId: $p) { nodes { id } } }", { p: programId })
    ).runs.nodes.map((r) => r.id);
  const ended = (id: string) =>
    waitUntil(
      async () => (await admin.data<{ run: { status: string } }>(RUN, { id })).run.status === "SUCCEEDED",
      10_000,
      `run ${id} to end`,
    );
  const runEventsOf = (socket: ReturnType<typeof admin.socket>) =>
    app.listening("run.changed", () => socket.subscribe<{ runEvents: { id: string } }>("subscription { runEvents { id } }"));
  const viewerSocket = viewer.socket();
  const adminSocket = admin.socket();
  const viewerEvents = await runEventsOf(viewerSocket);
  const adminEvents = await runEventsOf(adminSocket);
  const idsOf = (events: typeof viewerEvents) => new Set(events.results.map((r) => r.data?.runEvents.id));

  const uploaded = await uploadProgram(admin, new File(["echo program-output\n"], "shown.sh"));
  const programId = uploaded.data?.uploadProgram.id as string;
  const startProgram = async () =>
    (await admin.data<{ startRun: { id: string } }>("mutation ($p: ID!) { startRun(programId: $p) { id } }", { p: programId })).startRun.id;
  const programRun = await startProgram();
  await ended(programRun);
  const elsewhere = (await admin.data<{ exec: { id: string } }>(EXEC, { c: "echo SECRET-$((6*7))" })).exec.id;
  await ended(elsewhere);
  // A command run in the program's folder carries the program's id, and is still a command.
  const inFolder = (
    await admin.data<{ exec: { id: string } }>("mutation ($c: String!, $p: String) { exec(command: $c, cwd: $p) { id } }", {
      c: "echo FOLDER-SECRET-$((6*7))",
      p: programId,
    })
  ).exec.id;
  await ended(inFolder);
  // Events come in order: once a later program run's have arrived, the commands' would have too.
  const lastProgramRun = await startProgram();
  await ended(lastProgramRun);
  await waitUntil(() => idsOf(viewerEvents).has(lastProgramRun) && idsOf(adminEvents).has(lastProgramRun), 10_000, "the runs' events");

  const PROGRAM = "query ($p: ID!) { program(id: $p) { runCount lastRun { id command } } }";
  for (const client of [viewer, operator]) {
    for (const id of [elsewhere, inFolder]) expect((await client.data<{ run: unknown }>(RUN, { id })).run).toBeNull();
    expect(await runsOf(client)).toEqual([lastProgramRun, programRun]);
    expect(await runsOf(client, programId)).toEqual([lastProgramRun, programRun]);
    expect((await client.data<{ program: unknown }>(PROGRAM, { p: programId })).program).toEqual({
      runCount: 2,
      lastRun: { id: lastProgramRun, command: expect.not.stringContaining("SECRET") },
    });
  }
  for (const id of [elsewhere, inFolder]) {
    expect(codes(await operator.request("mutation ($id: ID!) { cancelRun(id: $id) { id } }", { id }))).toEqual(["NOT_FOUND"]);
    const output = viewerSocket.subscribe("subscription ($id: ID!) { runOutput(runId: $id) { text } }", { id });
    await output.ended;
    expect(output.results.flatMap((r) => r.errors ?? []).map((e) => e.extensions?.code)).toEqual(["NOT_FOUND"]);
    expect(JSON.stringify(output.results)).not.toContain("SECRET");
    expect(idsOf(viewerEvents).has(id)).toBe(false);
    expect(idsOf(adminEvents).has(id)).toBe(true);
  }

  expect(await runsOf(admin)).toEqual([lastProgramRun, inFolder, elsewhere, programRun]);
  expect((await admin.data<{ run: { kind: string } }>(RUN, { id: inFolder })).run.kind).toBe("COMMAND");
  await viewerSocket.dispose();
  await adminSocket.dispose();
});
