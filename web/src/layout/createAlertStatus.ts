// The alerts open now, for the banner on every page: read when the signed-in shell opens and kept
// current by the alertEvents subscription.

import { createEffect, createSignal, on, onCleanup } from "solid-js";
import { currentUser } from "../lib/auth";
import { hasPermission } from "../lib/permissions";
import { applyAlertChange } from "../pages/Alerts/alertsDisplay";
import { type AlertRow, fetchOpenAlerts, watchAlerts } from "../pages/Alerts/alertsOperations";

export function createAlertStatus() {
  const [open, setOpen] = createSignal<readonly AlertRow[]>([]);
  createEffect(
    on(
      () => hasPermission(currentUser(), "alerts:read"),
      (mayRead) => {
        setOpen([]);
        if (!mayRead) return;
        // A failed read keeps the alerts shown: a banner must not vanish while the server is unreachable.
        fetchOpenAlerts().then(setOpen, () => {});
        const stop = watchAlerts(
          (_kind, alert) => setOpen((open) => applyAlertChange(open, alert)),
          () => {},
        );
        onCleanup(stop);
      },
    ),
  );
  return open;
}
