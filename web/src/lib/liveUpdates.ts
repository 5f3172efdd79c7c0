// What the live pages (Data, Audit) share about their subscriptions: the state their live badge
// shows, and a reload after the socket reconnects.

import { createEffect, on } from "solid-js";
import type { LiveState } from "../components/LiveStatus";
import { connectionStatus } from "./graphql";

/** The live badge's state: failed while the page's subscription has an error, else the socket's. */
export function liveState(subscriptionFailed: boolean): LiveState {
  if (subscriptionFailed) return "failed";
  const status = connectionStatus();
  return status === "connected" ? "live" : status;
}

/**
 * Calls `reload` each time the socket is connected once it has been connected before (so also at
 * once when it already is), because events sent while it was down were never delivered. Call it
 * inside a component or a page's `createX`, after the page's own subscribe and load effects.
 */
export function reloadOnReconnect(reload: () => void): void {
  let wasConnected = connectionStatus() === "connected";
  createEffect(
    on(connectionStatus, (status) => {
      if (status !== "connected") return;
      if (wasConnected) reload();
      wasConnected = true;
    }),
  );
}
