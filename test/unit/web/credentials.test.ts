// What the forms that take a new password say about its length, before the server is asked.
import { expect, test } from "bun:test";
import { MIN_PASSWORD_LENGTH, PASSWORD_HINT, passwordLengthProblem } from "../../../web/src/lib/credentials";

test("says nothing while the password is empty or long enough", () => {
  expect(passwordLengthProblem("")).toBeNull();
  expect(passwordLengthProblem("x".repeat(MIN_PASSWORD_LENGTH))).toBeNull();
});

test("says a too short password needs more characters, naming it as asked", () => {
  expect(passwordLengthProblem("short")).toBe("The password needs at least 8 characters.");
  expect(passwordLengthProblem("short", { noun: "new password" })).toBe("The new password needs at least 8 characters.");
});

test("the hint names the same length", () => {
  expect(PASSWORD_HINT).toBe("At least 8 characters.");
});
