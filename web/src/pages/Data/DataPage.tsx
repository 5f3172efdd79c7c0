// Browse, edit and watch the key-value store; export, import and delete many entries at once.

import { Show } from "solid-js";
import { PagedList } from "../../components/PagedList";
import { PageTitle } from "../../components/PageTitle";
import { TextField } from "../../components/TextField";
import { createKvBrowser } from "./createKvBrowser";
import { KvEditor } from "./KvEditor";
import { KvList } from "./KvList";
import { KvNewEntryForm } from "./KvNewEntryForm";
import { KvTools } from "./KvTools";

export default function DataPage() {
  const kv = createKvBrowser();
  return (
    <section class="page data-page">
      <PageTitle title="Data" live={kv.live} />

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

          <KvTools
            transfer={kv.transfer}
            selection={kv.selection}
            notice={kv.toolsNotice()}
            canEdit={kv.canEdit()}
            listedCount={kv.list.entries().length}
          />

          <PagedList list={kv.list} emptyText={kv.prefix.applied() ? "No keys start with this prefix." : "The store is empty."}>
            <KvList
              entries={kv.list.entries()}
              selectedKey={kv.editor.selectedKey()}
              nowMs={kv.nowMs()}
              onOpen={kv.editor.open}
              selection={kv.canEdit() ? kv.selection : undefined}
              editor={<KvEditor editor={kv.editor} canEdit={kv.canEdit()} nowMs={kv.nowMs()} />}
            />
          </PagedList>
        </div>
      </div>
    </section>
  );
}
