// The banner every signed-in page shows while the data disk is low or full: how much is free, what
// takes the space, and where to free it.

import { A } from "@solidjs/router";
import { For, Show } from "solid-js";
import { formatBytes } from "../lib/format";
import { createDiskStatus } from "./createDiskStatus";

const USAGE_LABELS: Record<string, string> = {
  database: "database",
  "emergency-space": "emergency space",
  files: "files",
  programs: "programs",
  runs: "runs",
  other: "other programs",
};

export function DiskBanner() {
  const disk = createDiskStatus();
  const trouble = () => {
    const current = disk();
    return current && current.state !== "OK" ? current : null;
  };
  return (
    <Show when={trouble()}>
      {(current) => (
        <aside class="disk-banner" role="alert" data-testid="disk-banner" data-state={current().state}>
          <p>
            <strong>{current().state === "FULL" ? "The disk is full." : "The disk is almost full."}</strong>{" "}
            {formatBytes(current().freeBytes)} free of {formatBytes(current().totalBytes)}. Outpost keeps{" "}
            {formatBytes(current().reserveBytes)} free so you can still sign in and delete; new data is refused until there is room.
          </p>
          <p data-testid="disk-banner-usage">
            Using the space:{" "}
            <For each={current().usage.filter((use) => use.bytes > 0)}>
              {(use, index) => (
                <>
                  {index() > 0 ? " · " : ""}
                  {USAGE_LABELS[use.name] ?? use.name} {formatBytes(use.bytes)}
                </>
              )}
            </For>
          </p>
          <A href="/data" data-testid="disk-banner-free-space">
            Delete data to free space
          </A>
        </aside>
      )}
    </Show>
  );
}
