// The entries as a table on wide screens and as stacked cards on phones (the same markup; the
// stylesheet labels each cell from its data-label there, so each cell holds one element).

import { For, Show } from "solid-js";
import { formatInstant, previewJson } from "../../lib/format";
import type { AuditEntry } from "./auditOperations";

const actorLabel = (entry: AuditEntry) => entry.actorName ?? entry.actorId ?? "—";

export function AuditTable(props: { entries: readonly AuditEntry[]; isFresh: (id: string) => boolean }) {
  return (
    <div class="list-card audit-table-wrap">
      <table class="audit-table">
        <thead>
          <tr>
            <th scope="col">Time</th>
            <th scope="col">Actor</th>
            <th scope="col">Action</th>
            <th scope="col">Target</th>
            <th scope="col">Result</th>
            <th scope="col">IP</th>
          </tr>
        </thead>
        <tbody>
          <For each={props.entries}>
            {(entry) => (
              <tr
                data-testid="audit-row"
                data-action={entry.action}
                data-result={entry.result}
                classList={{ fresh: props.isFresh(entry.id) }}
              >
                <td data-label="Time" class="audit-time">
                  <time datetime={entry.at}>{formatInstant(entry.at)}</time>
                </td>
                <td data-label="Actor" class="audit-actor" title={entry.actorId ?? undefined}>
                  <div>
                    {actorLabel(entry)} <small class="muted">{entry.actorKind}</small>
                  </div>
                </td>
                <td data-label="Action" class="audit-action">
                  <div>
                    <code>{entry.action}</code>
                    <Show when={entry.detail}>{(detail) => <small class="muted audit-detail">{detail()}</small>}</Show>
                  </div>
                </td>
                <td data-label="Target" class="audit-target">
                  <Show when={entry.target !== null && entry.target !== undefined} fallback={<span class="muted">—</span>}>
                    <code title={JSON.stringify(entry.target, null, 2)}>{previewJson(entry.target)}</code>
                  </Show>
                </td>
                <td data-label="Result" class="audit-result">
                  <div>
                    <span class="badge" classList={{ "badge-good": entry.result === "ok", "badge-bad": entry.result !== "ok" }}>
                      {entry.result}
                    </span>
                  </div>
                </td>
                <td data-label="IP" class="audit-ip" title={entry.userAgent ?? undefined}>
                  <div>{entry.ip ?? <span class="muted">—</span>}</div>
                </td>
              </tr>
            )}
          </For>
        </tbody>
      </table>
    </div>
  );
}
