// How the Metrics page words values and draws its charts' lines.
import { expect, test } from "bun:test";
import { formatCelsius, formatPercent, formatRate, polylinePoints } from "../../web/src/pages/Metrics/metricsDisplay";

test("percentages, rates and temperatures read short", () => {
  expect(formatPercent(3.14)).toBe("3.1 %");
  expect(formatPercent(63.4)).toBe("63 %");
  expect(formatRate(2.5 * 1024 * 1024)).toBe("2.5 MiB/s");
  expect(formatCelsius(61.835)).toBe("61.8 °C");
});

test("a line runs left to right over the span and bottom to top over zero to the highest value", () => {
  const box = { fromMs: 0, toMs: 100, width: 300, height: 80, minMax: 100 };
  expect(
    polylinePoints(
      [
        { atMs: 0, value: 0 },
        { atMs: 50, value: 50 },
        { atMs: 100, value: 100 },
      ],
      box,
    ),
  ).toBe("0.0,80.0 150.0,40.0 300.0,0.0");
  // A value above minMax raises the top of the axis to it.
  expect(polylinePoints([{ atMs: 100, value: 200 }], box)).toBe("300.0,0.0");
  expect(polylinePoints([], box)).toBe("");
});
