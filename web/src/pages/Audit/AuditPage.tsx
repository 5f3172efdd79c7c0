// Who did what, when, from where, and whether it worked: the audit log, filtered and live.

import { Show } from "solid-js";
import { ErrorMessage } from "../../components/ErrorMessage";
import { LiveStatus } from "../../components/LiveStatus";
import { AuditFilters } from "./AuditFilters";
import { AuditTable } from "./AuditTable";
import { createAuditLog } from "./createAuditLog";

export default function AuditPage() {
  const audit = createAuditLog();
  return (
    <section class="page audit-page">
      <div class="page-title">
        <h1>Audit log</h1>
        <LiveStatus state={audit.live.state()} />
      </div>
      <ErrorMessage error={audit.live.error()}>
        <button type="button" onClick={audit.live.retry}>
          Retry live updates
        </button>
      </ErrorMessage>

      <AuditFilters filter={audit.filter} />

      <ErrorMessage error={audit.list.error()}>
        <button type="button" onClick={audit.list.reload}>
          Try again
        </button>
      </ErrorMessage>
      <Show when={audit.list.loading() === "first" && audit.list.entries().length === 0}>
        <p class="muted">Loading entries…</p>
      </Show>
      <Show when={audit.list.loading() === null && !audit.list.error() && audit.list.entries().length === 0}>
        <p class="muted empty">{audit.filter.isFiltered() ? "No entries match this filter." : "The audit log is empty."}</p>
      </Show>
      <Show when={audit.list.entries().length > 0}>
        <AuditTable entries={audit.list.entries()} isFresh={audit.list.isFresh} />
      </Show>
      <Show when={audit.list.hasNextPage()}>
        <button
          type="button"
          class="load-more"
          data-testid="audit-load-more"
          disabled={audit.list.loading() !== null}
          onClick={audit.list.loadMore}
        >
          {audit.list.loading() === "more" ? "Loading…" : "Load more"}
        </button>
      </Show>
    </section>
  );
}
