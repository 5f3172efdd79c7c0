// The host Outpost runs on and the server itself: facts for anyone who may read them, and the
// background jobs for those who may list them. Each part is a card of the grid.

import { Show } from "solid-js";
import { ErrorMessage } from "../../components/ErrorMessage";
import { PageTitle } from "../../components/PageTitle";
import { createSystemPage } from "./createSystemPage";
import { HostSection } from "./HostSection";
import { JobsSection } from "./JobsSection";
import { ServerSection } from "./ServerSection";

export default function SystemPage() {
  const system = createSystemPage();
  return (
    <section class="page system-page">
      <PageTitle title="System">
        <button type="button" data-testid="system-refresh" disabled={system.loading()} onClick={system.refresh}>
          {system.loading() ? "Refreshing…" : "Refresh"}
        </button>
      </PageTitle>
      <ErrorMessage error={system.error()} onRetry={system.refresh} />
      <Show
        when={system.info()}
        fallback={
          <Show when={system.loading()}>
            <p class="muted">Loading…</p>
          </Show>
        }
      >
        {(info) => (
          <div class="system-grid">
            <HostSection info={info()} />
            <ServerSection info={info()} />
            <Show when={system.jobs()}>{(jobs) => <JobsSection jobs={jobs()} />}</Show>
          </div>
        )}
      </Show>
    </section>
  );
}
