// A small badge telling whether a page's live updates are flowing.

export type LiveState = "live" | "connecting" | "offline" | "failed";

const LABELS: Record<LiveState, string> = {
  live: "live",
  connecting: "connecting…",
  offline: "offline, retrying",
  failed: "not live",
};

const HINTS: Record<LiveState, string> = {
  live: "Changes by others appear as they happen.",
  connecting: "Connecting to the server for live changes.",
  offline: "The live connection is down; reconnecting by itself.",
  failed: "Live changes stopped; see the error.",
};

export function LiveStatus(props: { state: LiveState }) {
  return (
    <span class={`live-status live-status-${props.state}`} title={HINTS[props.state]} data-testid="live-status" aria-live="polite">
      {LABELS[props.state]}
    </span>
  );
}
