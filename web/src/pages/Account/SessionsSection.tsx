// Where the user is signed in: each session's client, address and times; ending one, or all (and,
// when asked, revoking every API key as well).

import { For, Show } from "solid-js";
import { ErrorMessage, RowErrorMessage } from "../../components/ErrorMessage";
import { formatInstant } from "../../lib/format";
import { describeUserAgent } from "./accountDisplay";
import type { SessionList } from "./createSessionList";

export function SessionsSection(props: { sessions: SessionList }) {
  const sessions = props.sessions;
  return (
    <section class="card account-section account-wide" data-testid="account-sessions">
      <div class="section-title">
        <h2>Sessions</h2>
        <div class="actions">
          <label class="toggle">
            <input
              type="checkbox"
              data-testid="sessions-include-keys"
              checked={sessions.revokeAll.includeApiKeys()}
              disabled={sessions.revokeAll.busy()}
              onChange={(event) => sessions.revokeAll.setIncludeApiKeys(event.currentTarget.checked)}
            />
            Also revoke my API keys
          </label>
          <button
            type="button"
            class="danger"
            data-testid="sessions-revoke-all"
            disabled={sessions.revokeAll.busy()}
            onClick={() => void sessions.revokeAll.run()}
            title={
              sessions.revokeAll.includeApiKeys()
                ? "Ends every session, this one too, and revokes every API key of yours; you sign in again afterwards."
                : "Ends every session, this one too; you sign in again afterwards. Your API keys keep working."
            }
          >
            {sessions.revokeAll.busy() ? "Signing out…" : "Sign out everywhere"}
          </button>
        </div>
      </div>
      <ErrorMessage error={sessions.revokeAll.error()} />
      <ErrorMessage error={sessions.error()} onRetry={sessions.reload} />
      <Show when={sessions.loading() && !sessions.loaded()}>
        <p class="muted">Loading sessions…</p>
      </Show>
      <ul class="plain-list session-list">
        <For each={sessions.sessions()}>
          {(session) => (
            <li class="list-item session-row" data-testid="session-row" data-current={session.current}>
              <div class="session-main">
                <span class="session-client" title={session.userAgent ?? undefined}>
                  {describeUserAgent(session.userAgent)}
                  <Show when={session.current}>
                    <span class="badge badge-good" data-testid="session-current">
                      this session
                    </span>
                  </Show>
                </span>
                <span class="muted session-facts">
                  <Show when={session.ip}>{(ip) => <>{ip()} · </>}</Show>
                  signed in {formatInstant(session.createdAt)} · last used {formatInstant(session.lastUsedAt)} · expires{" "}
                  {formatInstant(session.expiresAt)}
                </span>
              </div>
              <button
                type="button"
                data-testid="session-revoke"
                disabled={sessions.rowBusy(session.id) !== undefined}
                onClick={() => void sessions.revoke(session)}
              >
                {sessions.rowBusy(session.id) ? "Ending…" : session.current ? "Sign out" : "End session"}
              </button>
              <RowErrorMessage error={sessions.rowError(session.id)} />
            </li>
          )}
        </For>
      </ul>
    </section>
  );
}
