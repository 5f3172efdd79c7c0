// The entries as a table on wide screens and as stacked cards on phones (the same markup; the
// stylesheet labels each cell from its data-label there, so each cell holds one element). A tap
// anywhere on a row opens its details; the action is a button, so a keyboard reaches them too.

import { For, Show } from "solid-js";
import { formatInstant } from "../../lib/format";
import { AuditResult } from "./AuditResult";
import { actorLabel, targetText } from "./auditDisplay";
import type { AuditEntry } from "./auditOperations";

export function AuditTable(props: {
  entries: readonly AuditEntry[];
  isFresh: (id: string) => boolean;
  onOpen: (entry: AuditEntry) => void;
}) {
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
                onClick={() => props.onOpen(entry)}
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
                    <button type="button" class="link-button" data-testid="audit-open" aria-haspopup="dialog">
                      <code>{entry.action}</code>
                    </button>
                    <Show when={entry.detail}>{(detail) => <small class="muted audit-detail">{detail()}</small>}</Show>
                  </div>
                </td>
                <td data-label="Target" class="audit-target">
                  <Show when={targetText(entry)} fallback={<span class="muted">—</span>}>
                    {(text) => (
                      <span data-testid="audit-target" title={entry.target ? JSON.stringify(entry.target, null, 2) : undefined}>
                        {text()}
                      </span>
                    )}
                  </Show>
                </td>
                <td data-label="Result" class="audit-result">
                  <div>
                    <AuditResult result={entry.result} />
                  </div>
                </td>
                <td data-label="IP" class="audit-ip">
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
