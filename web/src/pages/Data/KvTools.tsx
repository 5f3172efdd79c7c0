// The actions on many entries above the list: export the prefix, import a file, and (for those who
// may change data) select all shown and delete the selected; with what the last one did or why it failed.

import { createEffect, Show } from "solid-js";
import { ErrorMessage } from "../../components/ErrorMessage";
import { Saved, type SavedNotice } from "../../components/Saved";
import type { KvSelection } from "./createKvSelection";
import type { KvTransfer } from "./createKvTransfer";
import { KvImportPreview } from "./KvImportPreview";

export function KvTools(props: {
  transfer: KvTransfer;
  selection: KvSelection;
  /** What the last export, import or deletion did. */
  notice: SavedNotice | null;
  canEdit: boolean;
  listedCount: number;
}) {
  const transfer = props.transfer;
  const selection = props.selection;
  let fileInput: HTMLInputElement | undefined;
  const count = () => selection.keys().length;
  return (
    <>
      <div class="kv-tools">
        <button
          type="button"
          data-testid="kv-export"
          title="Download the entries under this prefix as a JSON file"
          disabled={transfer.exporting()}
          onClick={transfer.exportPrefix}
        >
          {transfer.exporting() ? "Exporting…" : "Export JSON"}
        </button>
        <Show when={props.canEdit}>
          <button type="button" data-testid="kv-import" disabled={transfer.importing()} onClick={() => fileInput?.click()}>
            Import JSON…
          </button>
          <input
            ref={fileInput}
            type="file"
            hidden
            accept="application/json,.json"
            data-testid="kv-import-file"
            onChange={(event) => {
              const input = event.currentTarget;
              void transfer.chooseFile(input.files?.[0]);
              // Choosing the same file again (after fixing it) must fire again.
              input.value = "";
            }}
          />
          <Show when={props.listedCount > 0}>
            <label class="toggle">
              <input
                type="checkbox"
                data-testid="kv-select-all"
                checked={selection.allShownSelected()}
                // "Some selected" has no attribute; the property is kept in step instead.
                ref={(box) => createEffect(() => (box.indeterminate = selection.someShownSelected()))}
                onChange={(event) => selection.tickAllShown(event.currentTarget.checked)}
              />
              Select all shown
            </label>
          </Show>
          <Show when={count() > 0}>
            <button
              type="button"
              class="danger"
              data-testid="kv-delete-selected"
              disabled={selection.deleting()}
              onClick={() => void selection.deleteSelected()}
            >
              {selection.deleting() ? "Deleting…" : `Delete ${count()} selected`}
            </button>
            <button type="button" disabled={selection.deleting()} onClick={selection.clear}>
              Clear selection
            </button>
          </Show>
        </Show>
      </div>

      <ErrorMessage error={transfer.exportError()} />
      <ErrorMessage error={transfer.fileProblem()} />
      <ErrorMessage error={selection.error()} />
      <Saved notice={props.notice} testId="kv-tools-notice" />
      <Show when={transfer.pending()}>{(pending) => <KvImportPreview pending={pending()} transfer={transfer} />}</Show>
    </>
  );
}
