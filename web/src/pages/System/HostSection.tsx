// The machine Outpost runs on: its name, operating system, kernel, architecture, board and uptime.

import { formatDuration } from "./systemDisplay";
import type { SystemInfo } from "./systemOperations";

export function HostSection(props: { info: SystemInfo }) {
  return (
    <section class="card system-section" data-testid="system-host">
      <h2>Host</h2>
      <dl class="facts">
        <dt>Hostname</dt>
        <dd data-testid="system-hostname">{props.info.hostname}</dd>
        <dt>Operating system</dt>
        <dd>{props.info.os}</dd>
        <dt>Kernel</dt>
        <dd>{props.info.kernel}</dd>
        <dt>Architecture</dt>
        <dd>{props.info.arch}</dd>
        <dt>Board</dt>
        <dd>{props.info.boardModel ?? <span class="muted">not reported</span>}</dd>
        <dt>Up for</dt>
        <dd>{formatDuration(props.info.uptimeSeconds)}</dd>
      </dl>
    </section>
  );
}
