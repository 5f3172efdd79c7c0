// exec for operators: admin-only out of the box; with exec_for_operators on, an operator's command
// must pass the deny and allow patterns, an admin's is not checked, and every command run or
// refused is in the audit log with the command as its target.
import { expect, test } from "bun:test";
import { startTestApp } from "../harness/app";
import { codes } from "../harness/client";

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
