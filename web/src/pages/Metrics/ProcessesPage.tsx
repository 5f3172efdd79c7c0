// The host's processes: sorted by CPU, memory, pid or name, filtered by command, name or user, and
// (for those who may) sent a signal after a confirmation.

import { For, Show } from "solid-js";
import { ErrorMessage } from "../../components/ErrorMessage";
import { PageTitle } from "../../components/PageTitle";
import { currentUser } from "../../lib/auth";
import { formatBytes } from "../../lib/format";
import { hasPermission } from "../../lib/permissions";
import { createProcessesPage, SIGNAL_EFFECTS } from "./createProcessesPage";
import type { ProcessSignal, ProcessSort } from "./processesOperations";

const SORTS: readonly { value: ProcessSort; label: string }[] = [
  { value: "CPU", label: "CPU" },
  { value: "MEMORY", label: "Memory" },
  { value: "PID", label: "PID" },
  { value: "NAME", label: "Name" },
];

export default function ProcessesPage() {
  const page = createProcessesPage();
  const maySignal = () => hasPermission(currentUser(), "processes:signal");
  return (
    <section class="page processes-page">
      <PageTitle title="Processes">
        <button type="button" data-testid="processes-refresh" disabled={page.loading()} onClick={page.refresh}>
          {page.loading() ? "Refreshing…" : "Refresh"}
        </button>
      </PageTitle>
      <div class="processes-controls">
        <input
          type="search"
          placeholder="Filter by command, name or user"
          aria-label="Filter"
          maxLength={200}
          data-testid="processes-filter"
          value={page.filter()}
          onInput={(event) => page.setFilter(event.currentTarget.value)}
        />
        <label>
          Sort by{" "}
          <select
            data-testid="processes-sort"
            value={page.sortBy()}
            onChange={(event) => page.setSortBy(event.currentTarget.value as ProcessSort)}
          >
            <For each={SORTS}>{(sort) => <option value={sort.value}>{sort.label}</option>}</For>
          </select>
        </label>
      </div>
      <ErrorMessage error={page.error()} onRetry={page.refresh} />
      <ErrorMessage error={page.sendError()} />
      <Show when={page.rows()} fallback={<p class="muted">Loading…</p>}>
        {(rows) => (
          <Show when={rows().length > 0} fallback={<p class="muted">No process matches.</p>}>
            <ul class="plain-list card processes-list">
              <For each={rows()}>
                {(row) => (
                  <li class="list-item process-row" data-testid="process-row" data-pid={row.pid}>
                    <div class="process-main">
                      <code class="process-name" data-testid="process-name">
                        {row.name}
                      </code>
                      <span class="muted">
                        pid {row.pid} · {row.user} · {row.state}
                      </span>
                      <span class="process-figures">
                        <span data-testid="process-cpu">{row.cpuPercent.toFixed(1)} %</span> ·{" "}
                        <span data-testid="process-memory" data-bytes={row.memoryBytes}>
                          {formatBytes(row.memoryBytes)}
                        </span>
                      </span>
                    </div>
                    <code class="process-command">{row.command}</code>
                    <Show when={maySignal() && !row.kernelThread}>
                      <select
                        aria-label={`Send a signal to ${row.pid}`}
                        data-testid="process-signal"
                        disabled={page.sending()}
                        value=""
                        onChange={(event) => {
                          const signal = event.currentTarget.value as ProcessSignal;
                          event.currentTarget.value = "";
                          if (signal) page.send(row, signal);
                        }}
                      >
                        <option value="">Signal…</option>
                        <For each={Object.keys(SIGNAL_EFFECTS) as ProcessSignal[]}>
                          {(signal) => <option value={signal}>{signal}</option>}
                        </For>
                      </select>
                    </Show>
                  </li>
                )}
              </For>
            </ul>
          </Show>
        )}
      </Show>
    </section>
  );
}
