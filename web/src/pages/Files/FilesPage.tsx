// Browse, upload, download, organise and share files.

import { For, Show } from "solid-js";
import { ErrorMessage } from "../../components/ErrorMessage";
import { Form } from "../../components/Form";
import { PagedList } from "../../components/PagedList";
import { PageTitle } from "../../components/PageTitle";
import { TextField } from "../../components/TextField";
import { createResumableUploadQueue } from "../../lib/createResumableUploadQueue";
import { createFilesBrowser } from "./createFilesBrowser";
import { FileList } from "./FileList";
import { breadcrumbs, childPath } from "./fileDisplay";
import type { FileOrder } from "./filesOperations";
import { StorageBar } from "./StorageBar";
import { UploadPanel } from "./UploadPanel";

const ORDERS: { value: FileOrder; label: string }[] = [
  { value: "NAME", label: "Name" },
  { value: "NEWEST", label: "Newest" },
  { value: "OLDEST", label: "Oldest" },
  { value: "LARGEST", label: "Largest" },
  { value: "SMALLEST", label: "Smallest" },
];

export default function FilesPage() {
  const browser = createFilesBrowser();
  const uploads = createResumableUploadQueue({ onUploaded: (fileId) => void browser.showUploaded(fileId) });
  const searching = () => browser.search.applied().trim() !== "";
  return (
    <section class="page files-page">
      <PageTitle title="Files" live={browser.live} />
      <StorageBar storage={browser.storage()} />

      <nav class="breadcrumbs" aria-label="Folder" data-testid="breadcrumbs">
        <For each={breadcrumbs(browser.folder())}>
          {(crumb, i) => (
            <>
              <Show when={i() > 0}>
                <span class="muted"> / </span>
              </Show>
              <button
                type="button"
                class="link-button"
                onClick={() => browser.openFolder(crumb.path)}
                aria-current={crumb.path === browser.folder() ? "page" : undefined}
              >
                {crumb.name}
              </button>
            </>
          )}
        </For>
      </nav>

      <Show when={browser.canWrite()}>
        <UploadPanel queue={uploads} folder={browser.folder()} />
      </Show>

      <div class="files-toolbar">
        <TextField
          class="files-search"
          label="Search all folders"
          testId="files-search"
          type="search"
          value={browser.search.input()}
          onInput={browser.search.change}
          placeholder="part of a name"
        />
        <label class="field files-order">
          <span>Order</span>
          <select
            value={browser.sortBy()}
            onChange={(event) => browser.setSortBy(event.currentTarget.value as FileOrder)}
            data-testid="files-order"
          >
            <For each={ORDERS}>{(order) => <option value={order.value}>{order.label}</option>}</For>
          </select>
        </label>
      </div>

      <Show when={!searching()}>
        <ErrorMessage error={browser.foldersError()} />
        <ul class="folder-list" data-testid="folder-list">
          <For each={browser.folders()}>
            {(folder) => (
              <li class="folder-item" data-testid="folder-row" data-path={folder.path}>
                <button type="button" class="folder-name" onClick={() => browser.openFolder(folder.path)}>
                  {folder.name}/
                </button>
                <Show when={browser.canWrite()}>
                  <button
                    type="button"
                    class="danger"
                    onClick={() => browser.newFolder.remove(folder.path)}
                    aria-label={`Delete folder ${folder.name}`}
                  >
                    Delete
                  </button>
                </Show>
              </li>
            )}
          </For>
        </ul>
        <Show when={browser.canWrite()}>
          <Form class="new-folder" onSubmit={browser.newFolder.create}>
            <TextField
              label="New folder"
              testId="new-folder-name"
              value={browser.newFolder.name()}
              onInput={browser.newFolder.setName}
              placeholder={childPath(browser.folder(), "name")}
              autocapitalize="none"
            />
            <button
              type="submit"
              class="beside-field"
              disabled={browser.newFolder.busy() || browser.newFolder.name().trim() === ""}
              data-testid="new-folder-create"
            >
              Create folder
            </button>
          </Form>
          <ErrorMessage error={browser.newFolder.error()} />
        </Show>
      </Show>

      <PagedList list={browser.list} emptyText={searching() ? "No file name contains this." : "No files in this folder yet."}>
        <FileList browser={browser} />
      </PagedList>
    </section>
  );
}
