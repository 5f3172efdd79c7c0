// A chosen import file before it is sent: how many entries it sets and which keys, what in it
// cannot be set, whether existing entries may be replaced; then the import's progress, and the
// entries the server refused (nothing is imported then).

import { For, Show } from "solid-js";
import { ErrorMessage } from "../../components/ErrorMessage";
import { type KvTransfer, type PendingImport, refusedEntries } from "./createKvTransfer";
import { countOfEntries } from "./kvDisplay";

/** How many keys, problems and refusals are shown; the counts say how many there are in all. */
const SHOWN = 8;

function ShortList(props: { items: readonly string[]; testId: string }) {
  return (
    <ul class="kv-import-list" data-testid={props.testId}>
      <For each={props.items.slice(0, SHOWN)}>{(item) => <li>{item}</li>}</For>
      <Show when={props.items.length > SHOWN}>
        <li class="muted">and {props.items.length - SHOWN} more</li>
      </Show>
    </ul>
  );
}

export function KvImportPreview(props: { pending: PendingImport; transfer: KvTransfer }) {
  const transfer = props.transfer;
  const plan = () => props.pending.plan;
  const refused = () => refusedEntries(transfer.importError()).map((entry) => `${entry.key} (entry ${entry.index + 1}): ${entry.message}`);
  return (
    <section class="card kv-import" aria-label="Import" data-testid="kv-import-preview">
      <h2>Import {props.pending.fileName}</h2>
      <p data-testid="kv-import-summary">
        {countOfEntries(plan().entries.length)}
        <Show when={plan().expiring > 0}>, {plan().expiring} with a time to live</Show>:
      </p>
      <ShortList items={plan().entries.map((entry) => entry.key)} testId="kv-import-keys" />

      <Show when={plan().problems.length > 0}>
        <ErrorMessage error={`${plan().problems.length} of the file's entries cannot be set; fix the file and choose it again.`} />
        <ShortList items={plan().problems} testId="kv-import-problems" />
      </Show>

      <label class="toggle kv-import-replace">
        <input
          type="checkbox"
          data-testid="kv-import-replace"
          checked={transfer.replaceExisting()}
          onChange={(event) => transfer.setReplaceExisting(event.currentTarget.checked)}
        />
        Replace entries that exist already
      </label>

      <ErrorMessage error={transfer.importError()} />
      <Show when={refused().length > 0}>
        <ShortList items={refused()} testId="kv-import-refused" />
      </Show>

      <div class="actions">
        <button
          type="button"
          class="primary"
          data-testid="kv-import-submit"
          disabled={!transfer.canImport()}
          onClick={transfer.startImport}
        >
          {transfer.importing() ? `Importing ${countOfEntries(plan().entries.length)}…` : `Import ${countOfEntries(plan().entries.length)}`}
        </button>
        <button type="button" disabled={transfer.importing()} onClick={transfer.cancelImport}>
          Cancel
        </button>
      </div>
    </section>
  );
}
