// How the Metrics page words and draws values: rates, percentages, the ranges of the picker, and
// the points of a line chart.

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

/**
 * The `points` attribute of an SVG polyline drawing `points` in a `width` × `height` box: time
 * left to right over [fromMs, toMs], values bottom to top over [0, max] (max at least `minMax`).
 */
export function polylinePoints(
  points: readonly ChartPoint[],
  { fromMs, toMs, width, height, minMax }: { fromMs: number; toMs: number; width: number; height: number; minMax: number },
): string {
  const max = Math.max(minMax, ...points.map((p) => p.value));
  const span = Math.max(1, toMs - fromMs);
  return points
    .map((p) => `${(((p.atMs - fromMs) / span) * width).toFixed(1)},${(height - (p.value / max) * height).toFixed(1)}`)
    .join(" ");
}
