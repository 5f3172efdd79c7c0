// How the dashboard words values and feeds its charts.
import { expect, test } from "bun:test";
import { formatCelsius, formatPercent, formatRate, uplotData, valueRange } from "../../web/src/pages/Metrics/metricsDisplay";

test("percentages, rates and temperatures read short", () => {
  expect(formatPercent(3.14)).toBe("3.1 %");
  expect(formatPercent(63.4)).toBe("63 %");
  expect(formatRate(2.5 * 1024 * 1024)).toBe("2.5 MiB/s");
  expect(formatCelsius(61.835)).toBe("61.8 °C");
});

test("a chart's data is times in seconds and values, over zero to the highest value or at least minMax", () => {
  expect(
    uplotData([
      { atMs: 0, value: 0 },
      { atMs: 50_000, value: 50 },
    ]),
  ).toEqual([
    [0, 50],
    [0, 50],
  ]);
  expect(uplotData([])).toEqual([[], []]);
  expect(valueRange(50, 100)).toEqual([0, 100]);
  // A value above minMax raises the top of the axis to it.
  expect(valueRange(200, 100)).toEqual([0, 200]);
  expect(valueRange(null, 1024)).toEqual([0, 1024]);
});
