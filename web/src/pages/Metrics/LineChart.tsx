// A line chart in plain SVG (no chart library): one series over the span shown, with its latest
// and highest value above it. The SVG stretches to the card's width.

import { Show } from "solid-js";
import { type ChartPoint, polylinePoints } from "./metricsDisplay";

const WIDTH = 300;
const HEIGHT = 80;

export function LineChart(props: {
  title: string;
  series: string;
  points: ChartPoint[];
  fromMs: number;
  toMs: number;
  minMax: number;
  format: (value: number) => string;
}) {
  const last = () => props.points.at(-1)?.value;
  const highest = () => Math.max(...props.points.map((p) => p.value));
  return (
    <figure class="card metrics-chart" data-testid="metrics-chart" data-series={props.series} data-points={props.points.length}>
      <figcaption class="metrics-chart-caption">
        <span class="metrics-chart-title">{props.title}</span>
        <Show when={last() !== undefined} fallback={<span class="muted">no data yet</span>}>
          <span>
            {props.format(last() ?? 0)} <span class="muted">· max {props.format(highest())}</span>
          </span>
        </Show>
      </figcaption>
      <svg viewBox={`0 0 ${WIDTH} ${HEIGHT}`} preserveAspectRatio="none" role="img" aria-label={`${props.title} over time`}>
        <polyline
          class="metrics-chart-line"
          vector-effect="non-scaling-stroke"
          points={polylinePoints(props.points, {
            fromMs: props.fromMs,
            toMs: props.toMs,
            width: WIDTH,
            height: HEIGHT,
            minMax: props.minMax,
          })}
        />
      </svg>
    </figure>
  );
}
