// The web UI decides what to show from the signed-in user's permissions alone.
import { expect, test } from "bun:test";
import { hasPermission } from "../../../web/src/lib/permissions";

test("a user holds exactly the permissions the server listed", () => {
  const viewer = { permissions: ["kv:read", "system:read", "account"] };
  expect(hasPermission(viewer, "kv:read")).toBe(true);
  expect(hasPermission(viewer, "kv:write")).toBe(false);
  expect(hasPermission(viewer, "audit:read")).toBe(false);
});

test("nobody signed in, or not known yet, holds nothing", () => {
  expect(hasPermission(null, "kv:read")).toBe(false);
  expect(hasPermission(undefined, "account")).toBe(false);
});
