// How the dashboard words and draws values: rates, percentages, the ranges of the picker, and the
// data and value axis of a chart.

import { formatBytes } from "../../lib/format";

export type RangeName = "live" | "1h" | "24h" | "7d" | "30d" | "1y";

const HOUR_MS = 3_600_000;
/** The ranges the picker offers, with how far back each looks (live: what arrived since the page opened). */
export const RANGES: readonly { name: RangeName; label: string; spanMs: number }[] = [
  { name: "live", label: "Live", spanMs: 0 },
  { name: "1h", label: "1 h", spanMs: HOUR_MS },
  { name: "24h", label: "24 h", spanMs: 24 * HOUR_MS },
  { name: "7d", label: "7 d", spanMs: 7 * 24 * HOUR_MS },
  { name: "30d", label: "30 d", spanMs: 30 * 24 * HOUR_MS },
  { name: "1y", label: "1 y", spanMs: 365 * 24 * HOUR_MS },
];

export const formatPercent = (percent: number) => `${percent.toFixed(percent < 10 ? 1 : 0)} %`;
export const formatRate = (bytesPerSecond: number) => `${formatBytes(bytesPerSecond)}/s`;
export const formatCelsius = (celsius: number) => `${celsius.toFixed(1)} °C`;

/** A point of a chart: when, and the value. */
export interface ChartPoint {
  atMs: number;
  value: number;
}

/** `points` as uPlot takes them: times in seconds, then values. */
export function uplotData(points: readonly ChartPoint[]): [number[], number[]] {
  return [points.map((p) => p.atMs / 1000), points.map((p) => p.value)];
}

/** The value axis: from zero to the highest value, and at least to `minMax` (100 for percentages). */
export const valueRange = (highest: number | null, minMax: number): [number, number] => [0, Math.max(minMax, highest ?? 0)];
