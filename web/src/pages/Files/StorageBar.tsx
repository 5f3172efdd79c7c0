// How full the file store is: the bar of used against the quota, and the free disk.

import { Show } from "solid-js";
import { formatBytes, percent } from "./fileDisplay";
import type { Storage } from "./filesOperations";

export function StorageBar(props: { storage: Storage | null }) {
  return (
    <Show when={props.storage}>
      {(storage) => {
        const used = () => storage().usedBytes + storage().pendingBytes;
        return (
          <div class="storage-bar" data-testid="storage-bar">
            <div class="storage-text">
              <span>
                {formatBytes(used())} of {formatBytes(storage().quotaBytes)} used · {storage().fileCount} files
              </span>
              <span class="muted">{formatBytes(storage().freeDiskBytes)} free on disk</span>
            </div>
            <progress max={100} value={percent(used(), storage().quotaBytes)} aria-label="Storage used" />
          </div>
        );
      }}
    </Show>
  );
}
