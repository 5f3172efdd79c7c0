// The data disk's state for the banner on every page: asked when the signed-in shell opens and every
// 30 seconds after, so a disk filling up (or freed) shows without a reload.

import { createEffect, createSignal, onCleanup } from "solid-js";
import { currentUser } from "../lib/auth";
import { query } from "../lib/graphql";
import { graphql, type ResultOf } from "../lib/operation";
import { hasPermission } from "../lib/permissions";

const DISK_STATUS = graphql("query DiskStatus { system { disk { state freeBytes totalBytes reserveBytes usage { name bytes } } } }");

export type DiskStatus = ResultOf<typeof DISK_STATUS>["system"]["disk"];

const POLL_MS = 30_000;

export function createDiskStatus() {
  const [status, setStatus] = createSignal<DiskStatus | null>(null);
  const poll = () => {
    if (!hasPermission(currentUser(), "system:read")) {
      setStatus(null);
      return;
    }
    // A failed poll keeps the last state shown: the page reports an unreachable server itself, and
    // the banner must not flicker away while the disk is still full.
    query(DISK_STATUS).then(
      ({ system }) => setStatus(system.disk),
      () => {},
    );
  };
  createEffect(poll);
  const timer = setInterval(poll, POLL_MS);
  onCleanup(() => clearInterval(timer));
  return status;
}
