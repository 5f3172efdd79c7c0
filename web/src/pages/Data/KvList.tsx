// The entries as rows: a table-like grid on wide screens, stacked cards on narrow ones. The open
// entry's editor unfolds under its row.

import { createMemo, For, type JSX, Show } from "solid-js";
import { formatInstant, previewJson } from "../../lib/format";
import { describeExpiry } from "./kvDisplay";
import type { KvEntry } from "./kvOperations";

export function KvList(props: {
  entries: readonly KvEntry[];
  selectedKey: string | null;
  nowMs: number;
  onOpen: (entry: KvEntry) => void;
  editor: JSX.Element;
}) {
  // Rows are keyed by key, not by entry object, so a live update of the open entry keeps its
  // editor (and the caret in it) in place.
  const keys = createMemo(() => props.entries.map((entry) => entry.key));
  const byKey = createMemo(() => new Map(props.entries.map((entry) => [entry.key, entry])));

  return (
    <div class="kv-list">
      <div class="kv-list-header" aria-hidden="true">
        <span>Key</span>
        <span>Value</span>
        <span>Version</span>
        <span>Expires</span>
      </div>
      <ul class="kv-items">
        <For each={keys()}>
          {(key) => {
            const entry = () => byKey().get(key) as KvEntry;
            const open = () => props.selectedKey === key;
            return (
              <li class="kv-item" classList={{ open: open() }}>
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
                  <span class="kv-expiry">
                    <span class="kv-label">expires </span>
                    <Show when={entry().expiresAt} fallback="never">
                      {(expiresAt) => <time title={formatInstant(expiresAt())}>{describeExpiry(expiresAt(), props.nowMs)}</time>}
                    </Show>
                  </span>
                </button>
                <Show when={open()}>{props.editor}</Show>
              </li>
            );
          }}
        </For>
      </ul>
    </div>
  );
}
