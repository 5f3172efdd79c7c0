// The server's background jobs: when each runs, how its last run went, and when it runs next.

import { For, Show } from "solid-js";
import { formatInstant } from "../../lib/format";
import { describeSchedule, formatRunDuration } from "./systemDisplay";
import type { Job } from "./systemOperations";

export function JobsSection(props: { jobs: readonly Job[] }) {
  return (
    <section class="card system-section system-wide" data-testid="system-jobs">
      <h2>Background jobs</h2>
      <Show when={props.jobs.length > 0} fallback={<p class="muted">No background jobs.</p>}>
        <ul class="plain-list">
          <For each={props.jobs}>
            {(job) => (
              <li class="list-item job-row" data-testid="job-row" data-job={job.name}>
                <div class="job-main">
                  <code class="job-name">{job.name}</code>
                  <span class="badge">{describeSchedule(job)}</span>
                  <Show when={job.running}>
                    <span class="badge badge-good">running</span>
                  </Show>
                  <Show when={job.lastError}>
                    <span class="badge badge-bad">failed</span>
                  </Show>
                </div>
                <span class="muted job-facts">
                  last run{" "}
                  <Show when={job.lastRunAt} fallback="not yet">
                    {(at) => (
                      <>
                        {formatInstant(at())}
                        <Show when={job.lastDurationMs !== null}> ({formatRunDuration(job.lastDurationMs ?? 0)})</Show>
                      </>
                    )}
                  </Show>{" "}
                  · next run{" "}
                  <Show when={job.nextRunAt} fallback="none scheduled">
                    {(at) => formatInstant(at())}
                  </Show>{" "}
                  · {job.runs === 1 ? "1 run" : `${job.runs} runs`}
                </span>
                <Show when={job.lastError}>{(error) => <span class="job-error">{error()}</span>}</Show>
              </li>
            )}
          </For>
        </ul>
      </Show>
    </section>
  );
}
