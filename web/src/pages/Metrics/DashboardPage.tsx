// The home page: the host's health at a glance. Charts of CPU, memory, disk, temperature and
// network over the range picked (live since the page opened, or from the history), the latest
// figures with disk gauges, and the Pi's throttling warning; firing alerts show in the layout's banner.

import { For, Show } from "solid-js";
import { ErrorMessage } from "../../components/ErrorMessage";
import { PageTitle } from "../../components/PageTitle";
import { createMetricsPage } from "./createMetricsPage";
import { LineChart } from "./LineChart";
import { LiveFigures, ThrottlingWarning } from "./LiveFigures";
import { RANGES } from "./metricsDisplay";

export default function DashboardPage() {
  const metrics = createMetricsPage();
  return (
    <section class="page metrics-page">
      <PageTitle title="Dashboard">
        <Show when={metrics.loading()}>
          <span class="muted" data-testid="metrics-loading">
            Loading…
          </span>
        </Show>
      </PageTitle>
      <ErrorMessage error={metrics.error()} onRetry={metrics.retry} />
      <ErrorMessage error={metrics.liveError()} retryLabel="Reload" onRetry={metrics.retry} />
      <Show when={metrics.sample()}>
        {(sample) => (
          <>
            <ThrottlingWarning sample={sample()} />
            <fieldset class="metrics-ranges" aria-label="Range">
              <For each={RANGES}>
                {(range) => (
                  <button
                    type="button"
                    data-testid={`metrics-range-${range.name}`}
                    aria-pressed={metrics.range() === range.name}
                    classList={{ "metrics-range-picked": metrics.range() === range.name }}
                    onClick={() => metrics.pickRange(range.name)}
                  >
                    {range.label}
                  </button>
                )}
              </For>
            </fieldset>
            <div class="metrics-charts">
              <For each={metrics.charts()}>
                {(chart) => (
                  <LineChart
                    title={chart.title}
                    series={chart.series}
                    points={metrics.points(chart.series)}
                    fromMs={metrics.span().fromMs}
                    toMs={metrics.span().toMs}
                    minMax={chart.minMax}
                    format={chart.format}
                  />
                )}
              </For>
            </div>
            <LiveFigures sample={sample()} />
          </>
        )}
      </Show>
    </section>
  );
}
