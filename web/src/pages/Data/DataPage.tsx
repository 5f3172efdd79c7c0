// Browse, edit and watch the key-value store.

import { Show } from "solid-js";
import { ErrorMessage } from "../../components/ErrorMessage";
import { LiveStatus } from "../../components/LiveStatus";
import { TextField } from "../../components/TextField";
import { createKvBrowser } from "./createKvBrowser";
import { KvEditor } from "./KvEditor";
import { KvList } from "./KvList";
import { KvNewEntryForm } from "./KvNewEntryForm";

export default function DataPage() {
  const kv = createKvBrowser();
  return (
    <section class="page data-page">
      <div class="page-title">
        <h1>Data</h1>
        <LiveStatus state={kv.live.state()} />
      </div>
      <ErrorMessage error={kv.live.error()}>
        <button type="button" onClick={kv.live.retry}>
          Retry live updates
        </button>
      </ErrorMessage>

      <div class="data-layout" classList={{ "with-aside": kv.canEdit() }}>
        <Show when={kv.canEdit()}>
          <aside class="data-aside">
            <KvNewEntryForm form={kv.newEntry} />
          </aside>
        </Show>

        <div class="data-browse">
          <TextField
            class="kv-prefix"
            label="Key prefix"
            testId="kv-prefix"
            type="search"
            autocapitalize="none"
            spellcheck={false}
            placeholder="all keys"
            value={kv.prefix.input()}
            onInput={kv.prefix.change}
          />

          <ErrorMessage error={kv.list.error()}>
            <button type="button" onClick={kv.list.reload}>
              Try again
            </button>
          </ErrorMessage>

          <Show when={kv.list.loading() === "first" && kv.list.entries().length === 0}>
            <p class="muted">Loading entries…</p>
          </Show>
          <Show when={kv.list.loading() === null && !kv.list.error() && kv.list.entries().length === 0}>
            <p class="muted empty">{kv.prefix.applied() ? "No keys start with this prefix." : "The store is empty."}</p>
          </Show>
          <Show when={kv.list.entries().length > 0}>
            <KvList
              entries={kv.list.entries()}
              selectedKey={kv.editor.selectedKey()}
              nowMs={kv.nowMs()}
              onOpen={kv.editor.open}
              editor={<KvEditor editor={kv.editor} canEdit={kv.canEdit()} nowMs={kv.nowMs()} />}
            />
          </Show>
          <Show when={kv.list.hasNextPage()}>
            <button type="button" class="load-more" disabled={kv.list.loading() !== null} onClick={kv.list.loadMore}>
              {kv.list.loading() === "more" ? "Loading…" : "Load more"}
            </button>
          </Show>
        </div>
      </div>
    </section>
  );
}
