// How a form says what is wrong with what was typed: a wrong value as it is typed, a missing one
// only after a submit, and then every problem at once.
import { expect, test } from "bun:test";
import { createSignal } from "solid-js";
import { passwordLengthProblem, usernameProblem } from "../../../web/src/lib/credentials";
import { createFormChecks } from "../../../web/src/lib/formChecks";

function newUserForm() {
  const [username, setUsername] = createSignal("");
  const [password, setPassword] = createSignal("");
  const checks = createFormChecks({
    username: { empty: () => username().trim() === "", required: "Choose a username.", check: () => usernameProblem(username().trim()) },
    password: { empty: () => password() === "", required: "Choose a password.", check: () => passwordLengthProblem(password()) },
  });
  return { setUsername, setPassword, checks };
}

test("an untouched form shows nothing; a wrong value shows as it is typed", () => {
  const form = newUserForm();
  expect([form.checks.problem("username"), form.checks.problem("password")]).toEqual([null, null]);
  form.setPassword("short");
  expect(form.checks.problem("password")).toBe("The password needs at least 8 characters.");
  expect(form.checks.problem("username")).toBeNull();
});

test("a submit shows every problem at once, and passes once there is none", () => {
  const form = newUserForm();
  form.setPassword("short");
  expect(form.checks.passes()).toBe(false);
  expect([form.checks.problem("username"), form.checks.problem("password")]).toEqual([
    "Choose a username.",
    "The password needs at least 8 characters.",
  ]);
  form.setUsername("olga");
  form.setPassword("long-enough");
  expect(form.checks.passes()).toBe(true);
  // After a success the emptied form is clean again until the next submit.
  form.setUsername("");
  form.setPassword("");
  form.checks.reset();
  expect([form.checks.problem("username"), form.checks.problem("password")]).toEqual([null, null]);
});

test("usernames are checked as the server checks them", () => {
  expect(usernameProblem("olga.k-2_b")).toBeNull();
  expect(usernameProblem(".hidden")).toBe("Use letters, digits, dots, dashes or underscores, starting with a letter or digit.");
  expect(usernameProblem("has space")).not.toBeNull();
  expect(usernameProblem("x".repeat(65))).toBe("The username can have at most 64 characters.");
});
