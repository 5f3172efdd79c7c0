// The run form's checks say no to exactly what startRun and exec refuse: a time limit that is not
// whole seconds from 1 to the longest, standard input past the byte bound (UTF-8, not characters),
// a folder that is not an absolute path, environment lines without NAME=.
import { expect, test } from "bun:test";
import { envProblem, folderProblem, type RunLimits, stdinProblem, timeLimitProblem } from "../../../web/src/pages/Programs/runInput";

const LIMITS: RunLimits = { maxStdinBytes: 12, defaultTimeoutSeconds: 60, maxTimeoutSeconds: 600 };

test.each(["1", " 600 ", "42"])("a time limit of %p seconds is taken", (text) => {
  expect(timeLimitProblem(text, LIMITS)).toBeNull();
});

test.each([
  ["0", "Enter whole seconds, 1 or more."],
  ["1.5", "Enter whole seconds, 1 or more."],
  ["-3", "Enter whole seconds, 1 or more."],
  ["1e3", "Enter whole seconds, 1 or more."],
  ["601", "At most 600 seconds."],
])("a time limit of %p is refused", (text, problem) => {
  expect(timeLimitProblem(text, LIMITS)).toBe(problem);
});

test("before the limits are known, only the form of a time limit is checked", () => {
  expect(timeLimitProblem("100000", null)).toBeNull();
});

test("standard input is bounded in bytes of UTF-8", () => {
  expect(stdinProblem("abcd", LIMITS)).toBeNull();
  expect(stdinProblem("éééééé", LIMITS)).toBeNull();
  expect(stdinProblem("ééééééx", LIMITS)).toBe("Standard input can have at most 12 B: this is 1 B too much.");
  expect(stdinProblem("x".repeat(100), null)).toBeNull();
});

test("a folder is an absolute path; environment lines are NAME=value", () => {
  expect(folderProblem("/srv/data")).toBeNull();
  expect(folderProblem("srv/data")).toBe("Enter an absolute path, starting with /.");
  expect(envProblem("A=1\n\nB=two=2")).toBeNull();
  expect(envProblem("A=1\nnot a pair")).toBe('"not a pair" is not NAME=value.');
});
