// One audit entry with every field, opened from its row: a modal dialog, the width of the screen
// on phones. Escape or the Close button closes it.

import { onMount, Show } from "solid-js";
import { formatInstant } from "../../lib/format";
import { describeUserAgent } from "../Account/accountDisplay";
import { AuditResult } from "./AuditResult";
import type { AuditEntry } from "./auditOperations";

const Missing = () => <span class="muted">—</span>;

export function AuditEntryDetails(props: { entry: AuditEntry; onClose: () => void }) {
  let dialog!: HTMLDialogElement;
  onMount(() => dialog.showModal());
  const entry = () => props.entry;
  return (
    <dialog
      ref={dialog}
      class="dialog audit-details"
      data-testid="audit-details"
      aria-labelledby="audit-details-title"
      onClose={() => props.onClose()}
    >
      <div class="dialog-body">
        <div class="section-title">
          <h2 id="audit-details-title">Audit entry {entry().id}</h2>
          <button type="button" data-testid="audit-details-close" onClick={() => dialog.close()}>
            Close
          </button>
        </div>
        <dl class="facts">
          <dt>Time</dt>
          <dd>
            <time datetime={entry().at}>{formatInstant(entry().at)}</time> <small class="muted">{entry().at}</small>
          </dd>
          <dt>Actor</dt>
          <dd>
            {entry().actorName ?? <Missing />} <span class="badge">{entry().actorKind}</span>
            <Show when={entry().actorId}>{(id) => <small class="muted fact-id">{id()}</small>}</Show>
          </dd>
          <dt>Action</dt>
          <dd>
            <code>{entry().action}</code>
          </dd>
          <dt>Target</dt>
          <dd data-testid="audit-details-target">
            {entry().targetLabel ?? <Missing />}
            <Show when={entry().target}>{(target) => <pre class="fact-json">{JSON.stringify(target(), null, 2)}</pre>}</Show>
          </dd>
          <dt>Result</dt>
          <dd>
            <AuditResult result={entry().result} />
          </dd>
          <dt>Detail</dt>
          <dd>{entry().detail ?? <Missing />}</dd>
          <dt>IP address</dt>
          <dd>{entry().ip ?? <Missing />}</dd>
          <dt>Client</dt>
          <dd data-testid="audit-details-user-agent">
            <Show when={entry().userAgent} fallback={<Missing />}>
              {(userAgent) => (
                <>
                  {describeUserAgent(userAgent())}
                  <small class="muted fact-id">{userAgent()}</small>
                </>
              )}
            </Show>
          </dd>
        </dl>
      </div>
    </dialog>
  );
}
