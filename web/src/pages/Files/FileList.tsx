// The files of the folder as rows: name, size and date, with Download at hand. A row opens to
// rename, move, share and delete the file (for those who may change files).

import { createSignal, For, Show } from "solid-js";
import { RowErrorMessage } from "../../components/ErrorMessage";
import { Form } from "../../components/Form";
import { TextField } from "../../components/TextField";
import { formatInstant } from "../../lib/format";
import type { FilesBrowser } from "./createFilesBrowser";
import { formatBytes } from "./fileDisplay";
import type { StoredFile } from "./filesOperations";
import { ShareLinksPanel } from "./ShareLinksPanel";

function FileEditor(props: { file: StoredFile; browser: FilesBrowser }) {
  const [name, setName] = createSignal(props.file.name);
  const [folder, setFolder] = createSignal(props.file.folder);
  const actions = props.browser.files;
  const busy = () => actions.busy() !== null;
  return (
    <div class="file-editor" data-testid="file-editor">
      <p class="muted file-meta">
        {props.file.mimeType} · sha256 <code class="file-sha">{props.file.sha256}</code>
        {props.file.uploaderName ? ` · uploaded by ${props.file.uploaderName}` : ""}
      </p>
      <Form class="file-edit-row" onSubmit={() => actions.rename(props.file, name())}>
        <TextField label="Name" testId="file-rename-input" value={name()} onInput={setName} autocapitalize="none" spellcheck={false} />
        <button type="submit" class="beside-field" disabled={busy() || name() === props.file.name} data-testid="file-rename">
          Rename
        </button>
      </Form>
      <Form class="file-edit-row" onSubmit={() => actions.move(props.file, folder())}>
        <TextField
          label="Folder"
          testId="file-move-input"
          value={folder()}
          onInput={setFolder}
          placeholder="top folder"
          autocapitalize="none"
          spellcheck={false}
        />
        <button type="submit" class="beside-field" disabled={busy() || folder() === props.file.folder} data-testid="file-move">
          Move
        </button>
      </Form>
      <ShareLinksPanel fileId={props.file.id} fileName={props.file.name} />
      <div class="actions">
        <button type="button" class="danger" disabled={busy()} onClick={() => actions.remove(props.file)} data-testid="file-delete">
          Delete file
        </button>
      </div>
    </div>
  );
}

export function FileList(props: { browser: FilesBrowser }) {
  const browser = props.browser;
  const [openId, setOpenId] = createSignal<string | null>(null);
  const searching = () => browser.search.applied().trim() !== "";
  return (
    <ul class="file-list" data-testid="file-list">
      <For each={browser.list.entries() as readonly StoredFile[]}>
        {(file) => {
          const open = () => openId() === file.id;
          return (
            <li class="file-item" classList={{ open: open() }} data-testid="file-row" data-name={file.name}>
              <div class="file-line">
                <button
                  type="button"
                  class="file-name"
                  aria-expanded={browser.canWrite() ? open() : undefined}
                  disabled={!browser.canWrite()}
                  onClick={() => setOpenId(open() ? null : file.id)}
                >
                  <span class="file-title">{file.name}</span>
                  <Show when={searching() && file.folder}>
                    <span class="muted file-folder"> in {file.folder}</span>
                  </Show>
                </button>
                <span class="file-size">{formatBytes(file.sizeBytes)}</span>
                <span class="file-date muted">{formatInstant(file.createdAt)}</span>
                <button type="button" class="file-download" onClick={() => browser.files.download(file)} data-testid="file-download">
                  {browser.files.busy()?.id === file.id && browser.files.busy()?.what === "download" ? "Starting…" : "Download"}
                </button>
              </div>
              <RowErrorMessage error={browser.files.rowErrors()[file.id] || null} />
              <Show when={open()}>
                <FileEditor file={file} browser={browser} />
              </Show>
            </li>
          );
        }}
      </For>
    </ul>
  );
}
