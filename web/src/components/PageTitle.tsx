// The title row at the top of a signed-in page: its heading and what stands beside it; for a page
// that shows a live list, the live badge, and under the row the live error with a retry.

import { type JSX, Show } from "solid-js";
import type { LiveConnection } from "../lib/createLiveList";
import { ErrorMessage } from "./ErrorMessage";
import { LiveStatus } from "./LiveStatus";

export function PageTitle(props: { title: string; live?: LiveConnection; children?: JSX.Element }) {
  return (
    <>
      <div class="page-title">
        <h1>{props.title}</h1>
        <Show when={props.live}>{(live) => <LiveStatus state={live().state()} />}</Show>
        {props.children}
      </div>
      <Show when={props.live}>
        {(live) => <ErrorMessage error={live().error()} onRetry={live().retry} retryLabel="Retry live updates" />}
      </Show>
    </>
  );
}
