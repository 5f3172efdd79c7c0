// Rights an owner may widen with a setting: admin-only out of the box, given to operators when the
// setting says so, and never to viewers.
import { expect, test } from "bun:test";
import { startTestApp } from "../harness/app";
import { codes } from "../harness/client";

const OPEN = `mutation { openTerminal(cols: 80, rows: 24, command: "exit 0") { id } }`;
const ME = "{ me { permissions } }";

test("terminals stay with admins unless terminals_for_operators is on", async () => {
  await using app = await startTestApp();
  const operator = await app.userWithRole("operator");
  const me = await operator.request<{ me: { permissions: string[] } }>(ME);
  expect(me.data?.me.permissions).not.toContain("terminals");
  expect(codes(await operator.request(OPEN))).toEqual(["FORBIDDEN"]);
});

test("terminals_for_operators gives operators terminals, and viewers still nothing", async () => {
  await using app = await startTestApp({ config: { terminalsForOperators: true } });
  const operator = await app.userWithRole("operator");
  const me = await operator.request<{ me: { permissions: string[] } }>(ME);
  expect(me.data?.me.permissions).toContain("terminals");
  const opened = await operator.request<{ openTerminal: { id: string } }>(OPEN);
  expect(opened.errors).toBeUndefined();
  expect(opened.data?.openTerminal.id).toBeString();
  const viewer = await app.userWithRole("viewer");
  expect(codes(await viewer.request(OPEN))).toEqual(["FORBIDDEN"]);
});
