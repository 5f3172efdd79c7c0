// How the System page words uptimes, run times and job schedules.
import { expect, test } from "bun:test";
import { describeSchedule, formatDuration, formatRunDuration } from "../../../web/src/pages/System/systemDisplay";

test("a duration reads in its two largest units that are not zero", () => {
  expect(formatDuration(0)).toBe("0 s");
  expect(formatDuration(59.9)).toBe("59 s");
  expect(formatDuration(3_600)).toBe("1 h");
  expect(formatDuration(3 * 86_400 + 4 * 3_600 + 12 * 60)).toBe("3 d 4 h");
  expect(formatDuration(86_400 + 5 * 60)).toBe("1 d 5 min");
});

test("run times below a second in milliseconds; schedules as intervals or once", () => {
  expect(formatRunDuration(12)).toBe("12 ms");
  expect(formatRunDuration(61_000)).toBe("1 min 1 s");
  expect(describeSchedule({ kind: "every", intervalMs: 3_600_000 })).toBe("every 1 h");
  expect(describeSchedule({ kind: "at", intervalMs: null })).toBe("once");
});
