// The latest sample as figures: CPU (total, per core, load), memory and swap, each file system's
// use as a gauge, network and disk rates, temperatures, the busiest processes, and the Raspberry
// Pi's throttling warning.

import { For, Show } from "solid-js";
import { formatBytes } from "../../lib/format";
import { formatDuration } from "../System/systemDisplay";
import { formatCelsius, formatPercent, formatRate } from "./metricsDisplay";
import type { MetricsSample } from "./metricsOperations";

function Gauge(props: { percent: number; label: string }) {
  return <meter class="metrics-gauge" min={0} max={100} low={70} high={85} optimum={0} value={props.percent} aria-label={props.label} />;
}

export function ThrottlingWarning(props: { sample: MetricsSample }) {
  const t = () => props.sample.throttling;
  const now = () => {
    const flags = t();
    if (!flags) return [];
    return [
      flags.underVoltage && "under-voltage",
      flags.frequencyCapped && "frequency capped",
      flags.throttled && "throttled",
      flags.softTemperatureLimit && "soft temperature limit",
    ].filter((flag): flag is string => Boolean(flag));
  };
  return (
    <Show when={t() && (now().length > 0 || t()?.underVoltageOccurred || t()?.throttledOccurred)}>
      <div class="metrics-throttling" role="alert" data-testid="metrics-throttling">
        <Show
          when={now().length > 0}
          fallback="The board was under-voltage or throttled since it started; check its power supply and cooling."
        >
          The board is {now().join(", ")} now; check its power supply and cooling.
        </Show>
      </div>
    </Show>
  );
}

export function LiveFigures(props: { sample: MetricsSample }) {
  const s = () => props.sample;
  return (
    <div class="metrics-figures">
      <section class="card metrics-card" data-testid="metrics-cpu">
        <h2>CPU</h2>
        <p class="metrics-big" data-testid="metrics-cpu-percent">
          {formatPercent(s().cpu.total.percent)}
        </p>
        <p class="muted">
          user {formatPercent(s().cpu.total.userPercent)} · system {formatPercent(s().cpu.total.systemPercent)} · iowait{" "}
          {formatPercent(s().cpu.total.iowaitPercent)}
          <Show when={s().cpu.total.stealPercent > 0}> · steal {formatPercent(s().cpu.total.stealPercent)}</Show>
        </p>
        <p class="muted">
          load {s().cpu.load1.toFixed(2)} {s().cpu.load5.toFixed(2)} {s().cpu.load15.toFixed(2)}
        </p>
        <div class="metrics-cores">
          <For each={s().cpu.cores}>{(core, i) => <Gauge percent={core.percent} label={`core ${i()}`} />}</For>
        </div>
      </section>
      <section class="card metrics-card" data-testid="metrics-memory">
        <h2>Memory</h2>
        <p class="metrics-big">{formatPercent(s().memory.percent)}</p>
        <Gauge percent={s().memory.percent} label="memory used" />
        <p class="muted">
          {formatBytes(s().memory.usedBytes)} of {formatBytes(s().memory.totalBytes)}
          <Show when={s().memory.swapTotalBytes > 0}>
            {" "}
            · swap {formatBytes(s().memory.swapUsedBytes)} of {formatBytes(s().memory.swapTotalBytes)}
          </Show>
        </p>
      </section>
      <section class="card metrics-card" data-testid="metrics-host">
        <h2>Host</h2>
        <dl class="facts">
          <dt>Up for</dt>
          <dd>{formatDuration(s().uptimeSeconds)}</dd>
          <dt>Processes</dt>
          <dd>
            {s().processCount} ({s().threadCount} threads)
          </dd>
          <Show when={s().boardModel}>
            <dt>Board</dt>
            <dd>{s().boardModel}</dd>
          </Show>
          <For each={s().temperatures}>
            {(t) => (
              <>
                <dt>{t.sensor}</dt>
                <dd>{formatCelsius(t.celsius)}</dd>
              </>
            )}
          </For>
        </dl>
      </section>
      <section class="card metrics-card metrics-wide" data-testid="metrics-filesystems">
        <h2>Disks</h2>
        <ul class="plain-list">
          <For each={s().filesystems}>
            {(fs) => (
              <li class="metrics-fs" data-testid="metrics-fs" data-mount={fs.mountPoint}>
                <div class="metrics-fs-head">
                  <code>{fs.mountPoint}</code>
                  <span class="muted">
                    {formatBytes(fs.usedBytes)} of {formatBytes(fs.sizeBytes)} · {formatPercent(fs.usedPercent)}
                  </span>
                </div>
                <Gauge percent={fs.usedPercent} label={`${fs.mountPoint} used`} />
              </li>
            )}
          </For>
        </ul>
        <Show when={s().disks.length > 0}>
          <p class="muted">
            <For each={s().disks}>
              {(disk) => (
                <span class="metrics-rate">
                  {disk.device}: read {formatRate(disk.readBps)}, write {formatRate(disk.writeBps)}
                </span>
              )}
            </For>
          </p>
        </Show>
      </section>
      <section class="card metrics-card metrics-wide" data-testid="metrics-network">
        <h2>Network</h2>
        <Show when={s().network.length > 0} fallback={<p class="muted">No network interfaces.</p>}>
          <ul class="plain-list">
            <For each={s().network}>
              {(net) => (
                <li class="metrics-net">
                  <code>{net.name}</code>
                  <span>
                    in {formatRate(net.rxBps)} · out {formatRate(net.txBps)}
                  </span>
                  <Show when={net.rxErrors + net.txErrors > 0}>
                    <span class="badge badge-bad">{net.rxErrors + net.txErrors} errors</span>
                  </Show>
                </li>
              )}
            </For>
          </ul>
        </Show>
      </section>
      <Show when={s().topProcesses}>
        {(top) => (
          <section class="card metrics-card metrics-wide" data-testid="metrics-top-processes">
            <h2>Busiest processes</h2>
            <div class="metrics-top">
              <TopList title="By CPU" rows={top().byCpu} figure={(p) => formatPercent(p.cpuPercent)} />
              <TopList title="By memory" rows={top().byMemory} figure={(p) => formatBytes(p.memoryBytes)} />
            </div>
          </section>
        )}
      </Show>
    </div>
  );
}

type TopRow = NonNullable<MetricsSample["topProcesses"]>["byCpu"][number];

function TopList(props: { title: string; rows: readonly TopRow[]; figure: (row: TopRow) => string }) {
  return (
    <div>
      <h3>{props.title}</h3>
      <ol class="plain-list">
        <For each={props.rows}>
          {(row) => (
            <li class="metrics-net" data-testid="metrics-top-process">
              <code>{row.name}</code>
              <span class="muted">pid {row.pid}</span>
              <span>{props.figure(row)}</span>
            </li>
          )}
        </For>
      </ol>
    </div>
  );
}
