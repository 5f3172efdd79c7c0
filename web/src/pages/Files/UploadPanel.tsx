// Choosing files to upload (picker, or dropped anywhere on the panel) and the uploads in progress:
// a bar per file and one for all, with pause, resume and cancel.

import { createSignal, For, Show } from "solid-js";
import type { QueuedUpload, ResumableUploadQueue, UploadState } from "../../lib/createResumableUploadQueue";
import { formatBytes, percent } from "./fileDisplay";

const STATE_LABELS: Record<UploadState, string> = {
  waiting: "waiting",
  uploading: "uploading",
  retrying: "connection lost, resuming…",
  paused: "paused",
  done: "done",
  failed: "failed",
  cancelled: "cancelled",
};

function UploadRow(props: { upload: QueuedUpload }) {
  const upload = props.upload;
  const shown = () => percent(upload.sentBytes(), upload.sizeBytes || 1);
  return (
    <li class="upload-item" data-testid="upload-row" data-name={upload.name} data-state={upload.state()}>
      <div class="upload-line">
        <span class="upload-name">{upload.name}</span>
        <span class="muted upload-state" data-testid="upload-state">
          {STATE_LABELS[upload.state()]} · {formatBytes(upload.sentBytes())} of {formatBytes(upload.sizeBytes)}
        </span>
      </div>
      <progress
        class="upload-progress"
        max={100}
        value={shown()}
        data-testid="upload-progress"
        aria-label={`${upload.name}: ${shown()} %`}
      />
      <Show when={upload.error()}>
        <div class="error" role="alert">
          <span data-testid="error">{upload.error()}</span>
        </div>
      </Show>
      <div class="actions">
        <Show when={upload.state() === "uploading" || upload.state() === "retrying"}>
          <button type="button" onClick={upload.pause}>
            Pause
          </button>
        </Show>
        <Show when={upload.state() === "paused" || upload.state() === "failed"}>
          <button type="button" onClick={upload.resume}>
            {upload.state() === "failed" ? "Try again" : "Resume"}
          </button>
        </Show>
        <Show when={upload.state() !== "done" && upload.state() !== "cancelled"}>
          <button type="button" class="danger" onClick={upload.cancel}>
            Cancel
          </button>
        </Show>
      </div>
    </li>
  );
}

export function UploadPanel(props: { queue: ResumableUploadQueue; folder: string }) {
  const [dragging, setDragging] = createSignal(false);
  let picker: HTMLInputElement | undefined;
  const add = (files: FileList | null | undefined) => {
    if (files && files.length > 0) props.queue.add([...files], props.folder);
  };
  const overall = () => props.queue.overall();
  return (
    // biome-ignore lint/a11y/noStaticElementInteractions: a drop target for dragged files; the Upload files button is the keyboard and touch way.
    <section
      class="upload-panel"
      classList={{ dragging: dragging() }}
      data-testid="upload-panel"
      onDragOver={(event) => {
        event.preventDefault();
        setDragging(true);
      }}
      onDragLeave={() => setDragging(false)}
      onDrop={(event) => {
        event.preventDefault();
        setDragging(false);
        add(event.dataTransfer?.files);
      }}
    >
      <div class="upload-choose">
        <button type="button" class="primary" onClick={() => picker?.click()} data-testid="upload-choose">
          Upload files
        </button>
        <span class="muted">or drop them here; any size, resumed if the connection drops.</span>
        <input
          ref={picker}
          type="file"
          multiple
          hidden
          data-testid="upload-input"
          onChange={(event) => {
            add(event.currentTarget.files);
            event.currentTarget.value = "";
          }}
        />
      </div>
      <Show when={props.queue.uploads().length > 0}>
        <div class="upload-overall" data-testid="upload-overall">
          <span>
            {overall().active ? "Uploading" : "Uploaded"} {formatBytes(overall().sentBytes)} of {formatBytes(overall().totalBytes)}
          </span>
          <progress max={100} value={percent(overall().sentBytes, overall().totalBytes || 1)} aria-label="All uploads" />
          <Show when={!overall().active}>
            <button type="button" class="upload-clear" onClick={props.queue.clearFinished}>
              Clear
            </button>
          </Show>
        </div>
        <ul class="upload-list">
          <For each={props.queue.uploads()}>{(upload) => <UploadRow upload={upload} />}</For>
        </ul>
      </Show>
    </section>
  );
}
