// The open entry: its value as editable JSON for those who may change data, read-only otherwise.

import { Match, Show, Switch } from "solid-js";
import { ErrorMessage } from "../../components/ErrorMessage";
import { Saved } from "../../components/Saved";
import { formatInstant } from "../../lib/format";
import type { KvEditorState } from "./createKvBrowser";
import { KvTtlField, KvValueField } from "./KvFields";
import { describeExpiry, formatJson } from "./kvDisplay";

const MIN_ROWS = 3;
const MAX_ROWS = 18;

export function KvEditor(props: { editor: KvEditorState; canEdit: boolean; nowMs: number }) {
  const editor = props.editor;
  const rows = () => Math.min(MAX_ROWS, Math.max(MIN_ROWS, editor.valueText().split("\n").length));
  const busy = () => editor.busy() !== null;
  return (
    <Show when={editor.opened()}>
      {(entry) => (
        <div class="kv-editor">
          <p class="kv-meta muted">
            Version {entry().version} · updated <time title={formatInstant(entry().updatedAt)}>{formatInstant(entry().updatedAt)}</time>
            <Show when={entry().expiresAt}>{(expiresAt) => <> · {describeExpiry(expiresAt(), props.nowMs)}</>}</Show>
          </p>

          <Switch>
            <Match when={editor.remoteChange() === "changed"}>
              <ErrorMessage error="This entry was changed by someone else since you opened it.">
                <button type="button" onClick={() => void editor.reload()} disabled={busy()}>
                  {editor.busy() === "reloading" ? "Reloading…" : "Reload"}
                </button>
                <Show when={props.canEdit}>
                  <button type="button" onClick={() => void editor.overwrite()} disabled={busy()}>
                    Overwrite with mine
                  </button>
                </Show>
              </ErrorMessage>
            </Match>
            <Match when={editor.remoteChange()}>
              {(gone) => (
                <ErrorMessage error={gone() === "expired" ? "This entry has expired." : "This entry was deleted by someone else."}>
                  <Show when={props.canEdit}>
                    <button type="button" onClick={() => void editor.overwrite()} disabled={busy()}>
                      Save mine as new
                    </button>
                  </Show>
                </ErrorMessage>
              )}
            </Match>
          </Switch>

          <Show when={props.canEdit} fallback={<pre class="kv-readonly">{formatJson(entry().value)}</pre>}>
            <KvValueField
              testId="kv-edit-value"
              rows={rows()}
              value={editor.valueText()}
              onInput={editor.setValueText}
              problem={editor.valueProblem()}
            />
            <ErrorMessage error={editor.valueProblem()} />
            <KvTtlField class="field-short" value={editor.ttlText()} onInput={editor.setTtlText} problem={editor.ttlProblem()} />
            <ErrorMessage error={editor.ttlProblem()} />
          </Show>

          <ErrorMessage error={editor.error()} />
          <Saved notice={editor.saved()} testId="kv-edit-saved" />

          <div class="actions">
            <Show when={props.canEdit}>
              <button
                type="button"
                class="primary"
                data-testid="kv-edit-save"
                disabled={!editor.canSave()}
                onClick={() => void editor.save()}
              >
                {editor.busy() === "saving" ? "Saving…" : "Save"}
              </button>
            </Show>
            <button type="button" onClick={editor.close}>
              Close
            </button>
            <Show when={props.canEdit}>
              <button
                type="button"
                class="danger"
                data-testid="kv-delete"
                disabled={!editor.canDelete()}
                onClick={() => void editor.remove()}
              >
                {editor.busy() === "deleting" ? "Deleting…" : "Delete"}
              </button>
            </Show>
          </div>
        </div>
      )}
    </Show>
  );
}
