// This Outpost server: its version, the Bun runtime it runs on, what it was built for, and since when it runs.

import { formatInstant } from "../../lib/format";
import type { SystemInfo } from "./systemOperations";

export function ServerSection(props: { info: SystemInfo }) {
  return (
    <section class="card system-section" data-testid="system-server">
      <h2>Outpost</h2>
      <dl class="facts">
        <dt>Version</dt>
        <dd data-testid="system-version">{props.info.version}</dd>
        <dt>Bun</dt>
        <dd>{props.info.bunVersion}</dd>
        <dt>Build target</dt>
        <dd>{props.info.buildTarget}</dd>
        <dt>Started</dt>
        <dd>
          <time datetime={props.info.startedAt}>{formatInstant(props.info.startedAt)}</time>
        </dd>
      </dl>
    </section>
  );
}
