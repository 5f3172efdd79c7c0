// Who did what, when, from where, and whether it worked: the audit log, filtered and live, each
// entry's details a tap away, and exports of what the filter matches.

import { Show } from "solid-js";
import { PagedList } from "../../components/PagedList";
import { PageTitle } from "../../components/PageTitle";
import { AuditEntryDetails } from "./AuditEntryDetails";
import { AuditExport } from "./AuditExport";
import { AuditFilters } from "./AuditFilters";
import { AuditTable } from "./AuditTable";
import { createAuditLog } from "./createAuditLog";

export default function AuditPage() {
  const audit = createAuditLog();
  return (
    <section class="page audit-page">
      <PageTitle title="Audit log" live={audit.live} />

      <AuditFilters filter={audit.filter} />
      <AuditExport export={audit.export} />

      <PagedList
        list={audit.list}
        emptyText={audit.filter.isFiltered() ? "No entries match this filter." : "The audit log is empty."}
        loadMoreTestId="audit-load-more"
      >
        <AuditTable entries={audit.list.entries()} isFresh={audit.list.isFresh} onOpen={audit.details.open} />
      </PagedList>

      <Show when={audit.details.entry()}>{(entry) => <AuditEntryDetails entry={entry()} onClose={audit.details.close} />}</Show>
    </section>
  );
}
