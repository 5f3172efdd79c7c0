// The dashboard's state: the latest sample (fetched, then live), the charts' points (gathered
// live since the page opened, or read from the history for the range picked), and their errors.

import { createEffect, createSignal, on, onCleanup } from "solid-js";
import { createAction } from "../../lib/action";
import { type GraphQLRequestError, toRequestError } from "../../lib/graphql";
import { type ChartPoint, formatCelsius, formatPercent, formatRate, RANGES, type RangeName } from "./metricsDisplay";
import { fetchHistory, fetchMetrics, type MetricsSample, watchMetrics } from "./metricsOperations";

/** Live points kept per chart: ten minutes at the 2 s interval, enough to see a trend. */
const MAX_LIVE_POINTS = 300;
const HISTORY_POINTS = 240;

export interface ChartSpec {
  /** The history's series. */
  series: string;
  title: string;
  format: (value: number) => string;
  /** The top of the y axis is at least this (100 for percentages). */
  minMax: number;
  value: (sample: MetricsSample) => number | null;
}

/** The interface to chart: the busiest now, a wired or wireless one (eth0, enp1s0, wlan0) among equals. */
function mainInterface(network: MetricsSample["network"]): string | undefined {
  const rank = (net: MetricsSample["network"][number]) => net.rxBps + net.txBps + (/^(eth|en|wl)/.test(net.name) ? 0.5 : 0);
  return [...network].sort((a, b) => rank(b) - rank(a))[0]?.name;
}

/** The charts for a host: CPU, memory, the root (or first) disk's use, the CPU's temperature and the main network interface's traffic. */
function chartsFor(sample: MetricsSample): ChartSpec[] {
  const charts: ChartSpec[] = [
    { series: "cpu.percent", title: "CPU", format: formatPercent, minMax: 100, value: (s) => s.cpu.total.percent },
    { series: "mem.percent", title: "Memory", format: formatPercent, minMax: 100, value: (s) => s.memory.percent },
  ];
  const disk = sample.filesystems.find((fs) => fs.mountPoint === "/") ?? sample.filesystems[0];
  if (disk) {
    const mount = disk.mountPoint;
    charts.push({
      series: `disk.${mount}.usedPercent`,
      title: `Disk ${mount}`,
      format: formatPercent,
      minMax: 100,
      value: (s) => s.filesystems.find((fs) => fs.mountPoint === mount)?.usedPercent ?? null,
    });
  }
  if (sample.cpuCelsius !== null) {
    charts.push({ series: "temp.cpu", title: "CPU temperature", format: formatCelsius, minMax: 50, value: (s) => s.cpuCelsius });
  }
  const net = mainInterface(sample.network);
  if (net) {
    const of = (s: MetricsSample) => s.network.find((n) => n.name === net);
    charts.push(
      { series: `net.${net}.rxBps`, title: `${net} in`, format: formatRate, minMax: 1024, value: (s) => of(s)?.rxBps ?? null },
      { series: `net.${net}.txBps`, title: `${net} out`, format: formatRate, minMax: 1024, value: (s) => of(s)?.txBps ?? null },
    );
  }
  return charts;
}

export function createMetricsPage() {
  const [sample, setSample] = createSignal<MetricsSample | null>(null);
  const [charts, setCharts] = createSignal<ChartSpec[]>([]);
  const [range, setRange] = createSignal<RangeName>("live");
  const [livePoints, setLivePoints] = createSignal<ReadonlyMap<string, ChartPoint[]>>(new Map());
  const [historyPoints, setHistoryPoints] = createSignal<ReadonlyMap<string, ChartPoint[]>>(new Map());
  const [span, setSpan] = createSignal({ fromMs: Date.now(), toMs: Date.now() });
  const [liveError, setLiveError] = createSignal<GraphQLRequestError | null>(null);

  const take = (next: MetricsSample) => {
    if (charts().length === 0) setCharts(chartsFor(next));
    setSample(next);
    setLiveError(null);
    const atMs = new Date(next.at).getTime();
    const points = new Map(livePoints());
    for (const chart of charts()) {
      const value = chart.value(next);
      if (value === null) continue;
      points.set(chart.series, [...(points.get(chart.series) ?? []), { atMs, value }].slice(-MAX_LIVE_POINTS));
    }
    setLivePoints(points);
    if (range() === "live") showLiveSpan();
  };

  /** From the first live point to the last. */
  const showLiveSpan = () => {
    const all = [...livePoints().values()].flat().map((p) => p.atMs);
    if (all.length > 0) setSpan({ fromMs: Math.min(...all), toMs: Math.max(...all) });
  };

  const load = createAction(async () => take(await fetchMetrics()));
  void load.run();
  const stop = watchMetrics(take, setLiveError);
  onCleanup(stop);

  // Not an Action: picking another range while one loads must load that one, and only the last counts.
  const [historyBusy, setHistoryBusy] = createSignal(false);
  const [historyError, setHistoryError] = createSignal<GraphQLRequestError | null>(null);
  let historyRequest = 0;
  const loadHistory = async (picked: RangeName) => {
    const request = ++historyRequest;
    const spanMs = RANGES.find((r) => r.name === picked)?.spanMs ?? 0;
    const toMs = Date.now();
    const fromMs = toMs - spanMs;
    const from = new Date(fromMs).toISOString();
    const to = new Date(toMs).toISOString();
    setHistoryBusy(true);
    setHistoryError(null);
    try {
      const answers = await Promise.all(charts().map((c) => fetchHistory({ series: c.series, from, to, maxPoints: HISTORY_POINTS })));
      if (request !== historyRequest) return;
      setHistoryPoints(new Map(answers.map((a) => [a.series, a.points.map((p) => ({ atMs: new Date(p.at).getTime(), value: p.avg }))])));
      setSpan({ fromMs, toMs });
    } catch (failure) {
      if (request === historyRequest) setHistoryError(toRequestError(failure));
    } finally {
      if (request === historyRequest) setHistoryBusy(false);
    }
  };

  createEffect(
    on(range, (picked) => {
      if (picked === "live") {
        historyRequest++;
        setHistoryBusy(false);
        setHistoryError(null);
        showLiveSpan();
      } else void loadHistory(picked);
    }),
  );

  return {
    sample,
    charts,
    range,
    pickRange: setRange,
    /** The points each chart shows for the range picked, by series. */
    points: (series: string): ChartPoint[] => (range() === "live" ? livePoints() : historyPoints()).get(series) ?? [],
    span,
    loading: () => load.busy() || historyBusy(),
    error: () => load.error() ?? historyError(),
    liveError,
    retry: () => void (range() === "live" ? load.run() : loadHistory(range())),
  };
}

export type MetricsPageState = ReturnType<typeof createMetricsPage>;
