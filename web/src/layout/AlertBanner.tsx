// The banner every signed-in page shows while alerts are open: how many, the worst first, and a
// link to the Alerts page to acknowledge them.

import { A } from "@solidjs/router";
import { For, Show } from "solid-js";
import { describeAlert } from "../pages/Alerts/alertsDisplay";
import { createAlertStatus } from "./createAlertStatus";

/** Alerts named in the banner; the rest are counted. */
const NAMED = 3;

export function AlertBanner() {
  const open = createAlertStatus();
  const firing = () => open().filter((alert) => alert.state === "FIRING");
  const worstFirst = () => [...firing()].sort((a, b) => (a.severity === b.severity ? 0 : a.severity === "CRITICAL" ? -1 : 1));
  return (
    <Show when={firing().length > 0}>
      <aside
        class="alert-banner"
        role="alert"
        data-testid="alert-banner"
        data-severity={worstFirst()[0]?.severity === "CRITICAL" ? "critical" : "warning"}
      >
        <p>
          <strong>{firing().length === 1 ? "1 alert is firing" : `${firing().length} alerts are firing`}:</strong>{" "}
          <For each={worstFirst().slice(0, NAMED)}>
            {(alert, index) => (
              <>
                {index() > 0 ? " · " : ""}
                {describeAlert(alert)}
              </>
            )}
          </For>
          {firing().length > NAMED ? ` and ${firing().length - NAMED} more` : ""}
        </p>
        <A href="/alerts" data-testid="alert-banner-open">
          See alerts
        </A>
      </aside>
    </Show>
  );
}
