// A line chart drawn by uPlot (small and fast on a Pi's browser too): one series over the span
// shown, with its latest and highest value above it. It follows the card's width.

import { createEffect, onCleanup, onMount, Show } from "solid-js";
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import { type ChartPoint, uplotData, valueRange } from "./metricsDisplay";

const HEIGHT = 140;
const LINE = "#1f4e79";
const AXIS = "#5b6472";

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
  const highest = () => (props.points.length > 0 ? Math.max(...props.points.map((p) => p.value)) : null);
  let box: HTMLDivElement | undefined;
  let plot: uPlot | undefined;

  onMount(() => {
    if (!box) return;
    const element = box;
    plot = new uPlot(
      {
        width: element.clientWidth || 300,
        height: HEIGHT,
        legend: { show: false },
        cursor: { y: false },
        scales: {
          x: { time: true, range: () => [props.fromMs / 1000, props.toMs / 1000] },
          y: { range: () => valueRange(highest(), props.minMax) },
        },
        axes: [
          { stroke: AXIS, size: 28, grid: { width: 0.5 }, ticks: { show: false } },
          { stroke: AXIS, size: 64, grid: { width: 0.5 }, ticks: { show: false }, values: (_u, ticks) => ticks.map(props.format) },
        ],
        series: [{}, { stroke: LINE, width: 1.5, fill: "rgba(31, 78, 121, 0.08)", points: { show: false } }],
      },
      uplotData(props.points),
      element,
    );
    const resize = new ResizeObserver(() => plot?.setSize({ width: element.clientWidth, height: HEIGHT }));
    resize.observe(element);
    onCleanup(() => {
      resize.disconnect();
      plot?.destroy();
    });
  });

  createEffect(() => {
    const data = uplotData(props.points);
    // The span moves with live points; setData rescales the x axis to it.
    void props.fromMs;
    void props.toMs;
    plot?.setData(data);
  });

  return (
    <figure
      class="card metrics-chart"
      data-testid="metrics-chart"
      data-series={props.series}
      data-points={props.points.length}
      data-last={last()}
    >
      <figcaption class="metrics-chart-caption">
        <span class="metrics-chart-title">{props.title}</span>
        <Show when={last() !== undefined} fallback={<span class="muted">no data yet</span>}>
          <span>
            {props.format(last() ?? 0)} <span class="muted">· max {props.format(highest() ?? 0)}</span>
          </span>
        </Show>
      </figcaption>
      <div class="metrics-chart-plot" ref={box} role="img" aria-label={`${props.title} over time`} />
    </figure>
  );
}
