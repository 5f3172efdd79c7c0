// The entries as rows: a table-like grid on wide screens, stacked cards on narrow ones. The open
// entry's editor unfolds under its row. With a selection (for those who may change data) each row
// has a checkbox before it.

import { createMemo, For, type JSX, Show } from "solid-js";
import { formatInstant, previewJson } from "../../lib/format";
import type { KvSelection } from "./createKvSelection";
import { describeExpiry } from "./kvDisplay";
import type { KvEntry } from "./kvOperations";

export function KvList(props: {
  entries: readonly KvEntry[];
  selectedKey: string | null;
  nowMs: number;
  onOpen: (entry: KvEntry) => void;
  editor: JSX.Element;
  /** The ticked entries, when rows can be ticked. */
  selection?: KvSelection;
}) {
  // Rows are keyed by key, not by entry object, so a live update of the open entry keeps its
  // editor (and the caret in it) in place.
  const keys = createMemo(() => props.entries.map((entry) => entry.key));
  const byKey = createMemo(() => new Map(props.entries.map((entry) => [entry.key, entry])));

  return (
    <div class="kv-list" classList={{ selectable: props.selection !== undefined }}>
      <div class="kv-list-header" aria-hidden="true">
        <span>Key</span>
        <span>Value</span>
        <span>Version</span>
        <span>Expiry</span>
      </div>
      <ul class="kv-items">
        <For each={keys()}>
          {(key) => {
            const entry = () => byKey().get(key) as KvEntry;
            const open = () => props.selectedKey === key;
            return (
              <li class="kv-item" classList={{ open: open(), ticked: props.selection?.isSelected(key) }}>
                <div class="kv-line">
                  <Show when={props.selection}>
                    {(selection) => (
                      <label class="kv-select">
                        <input
                          type="checkbox"
                          data-testid="kv-select"
                          data-key={key}
                          aria-label={`Select ${key}`}
                          checked={selection().isSelected(key)}
                          onChange={() => selection().toggle(key)}
                        />
                      </label>
                    )}
                  </Show>
                  <button
                    type="button"
                    class="kv-row"
                    data-testid="kv-row"
                    data-key={key}
                    aria-expanded={open()}
                    onClick={() => props.onOpen(entry())}
                  >
                    <span class="kv-key">{key}</span>
                    <code class="kv-value" data-testid="kv-row-value">
                      {previewJson(entry().value)}
                    </code>
                    <span class="kv-version">
                      <span class="kv-label">version </span>
                      {entry().version}
                    </span>
                    <span class="kv-expiry" title={entry().expiresAt ? formatInstant(entry().expiresAt as string) : undefined}>
                      {describeExpiry(entry().expiresAt, props.nowMs)}
                    </span>
                  </button>
                </div>
                <Show when={open()}>{props.editor}</Show>
              </li>
            );
          }}
        </For>
      </ul>
    </div>
  );
}
