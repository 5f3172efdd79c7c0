// API keys for scripts and other machines: create one with scopes, an optional expiry and the
// current password (its secret is shown once), see when each was last used, revoke it. Admins may
// list everyone's. The list comes a page at a time.

import { For, Show } from "solid-js";
import { CopyButton } from "../../components/CopyButton";
import { ErrorMessage, RowErrorMessage } from "../../components/ErrorMessage";
import { FieldProblem } from "../../components/Field";
import { Form, SubmitButton } from "../../components/Form";
import { PagedList } from "../../components/PagedList";
import { TextField } from "../../components/TextField";
import { formatDay, formatInstant } from "../../lib/format";
import type { ApiKey } from "./accountOperations";
import type { ApiKeyManager } from "./createApiKeyManager";

const SCOPE_HINTS: Record<string, string> = {
  read: "read everything the role may read",
  "kv:read": "read the key-value store",
  "kv:write": "change the key-value store",
  "system:read": "read system facts",
  "audit:read": "read the audit log",
  "users:manage": "manage users",
  "keys:manage": "manage everyone's API keys",
};

const isExpired = (key: ApiKey) => key.expiresAt !== null && Date.parse(key.expiresAt) <= Date.now();

export function ApiKeysSection(props: { keys: ApiKeyManager }) {
  const keys = props.keys;
  const form = keys.newKey;
  return (
    <section class="card account-section account-wide" data-testid="account-apikeys">
      <h2>API keys</h2>
      <p class="muted">
        For scripts and other machines: send <code>Authorization: Bearer &lt;key&gt;</code>. A key can do only what its scopes and your role
        allow.
      </p>

      <Show when={keys.created()}>
        {(created) => (
          <div class="created-secret" role="status">
            <p class="note">
              Key “{created().apiKey.name}” created. Copy it now: <strong>it is not shown again.</strong>
            </p>
            <div class="secret-line">
              <input
                class="code secret"
                data-testid="apikey-secret"
                readonly
                value={created().secret}
                onFocus={(event) => event.currentTarget.select()}
              />
              <CopyButton text={created().secret} testId="apikey-copy" />
              <button type="button" data-testid="apikey-secret-done" onClick={keys.dismissCreated}>
                Done
              </button>
            </div>
          </div>
        )}
      </Show>

      <Form class="apikey-form" onSubmit={form.create}>
        <div class="apikey-form-fields">
          <TextField
            label="Name"
            testId="apikey-name"
            autocomplete="off"
            placeholder="e.g. backup script"
            value={form.name()}
            problem={form.problem("name")}
            onInput={form.setName}
          />
          <TextField
            label="Expires after (optional)"
            testId="apikey-expires"
            type="date"
            min={form.firstExpiryDay()}
            value={form.expiresOn()}
            onInput={form.setExpiresOn}
          />
        </div>
        <fieldset class="scopes">
          <legend>Scopes</legend>
          <ErrorMessage error={keys.scopesError()} onRetry={keys.reloadScopes} />
          <For each={keys.scopes()}>
            {(scope) => (
              <label class="scope">
                <input
                  type="checkbox"
                  data-testid="apikey-scope"
                  data-scope={scope}
                  checked={form.chosen().has(scope)}
                  onChange={(event) => form.toggleScope(scope, event.currentTarget.checked)}
                />
                <code>{scope}</code>
                <Show when={SCOPE_HINTS[scope]}>{(hint) => <small class="muted">{hint()}</small>}</Show>
              </label>
            )}
          </For>
          <FieldProblem problem={form.problem("scopes")} />
        </fieldset>
        <TextField
          label="Your current password"
          testId="apikey-password"
          type="password"
          autocomplete="current-password"
          value={form.password()}
          problem={form.problem("password")}
          onInput={form.setPassword}
          hint="A key keeps working after you sign out, so creating one asks for your password."
        />
        <ErrorMessage error={form.error()} />
        <div class="actions">
          <SubmitButton label="Create key" busyLabel="Creating…" busy={form.busy()} disabled={!form.canCreate()} testId="apikey-create" />
        </div>
      </Form>

      <div class="section-title apikey-list-title">
        <h3>{keys.list.everyone() ? "Everyone's keys" : "Your keys"}</h3>
        <Show when={keys.list.mayListEveryone()}>
          <label class="toggle">
            <input
              type="checkbox"
              data-testid="apikey-show-all"
              checked={keys.list.everyone()}
              onChange={(event) => keys.list.setEveryone(event.currentTarget.checked)}
            />
            Show everyone's keys
          </label>
        </Show>
      </div>
      <PagedList list={keys.list} emptyText="No API keys yet." loadMoreTestId="apikey-load-more">
        <ul class="plain-list apikey-list">
          <For each={keys.list.entries()}>
            {(key) => {
              const ended = () => key.revokedAt !== null || isExpired(key);
              return (
                <li class="list-item apikey-row" classList={{ ended: ended() }} data-testid="apikey-row" data-name={key.name}>
                  <div class="apikey-main">
                    <span class="apikey-name">
                      {key.name}
                      <Show when={keys.list.everyone()}>
                        <span class="badge" data-testid="apikey-owner">
                          {key.owner?.username ?? "deleted user"}
                        </span>
                      </Show>
                      <Show when={key.revokedAt}>
                        <span class="badge badge-bad" data-testid="apikey-revoked">
                          revoked
                        </span>
                      </Show>
                      <Show when={!key.revokedAt && isExpired(key)}>
                        <span class="badge badge-bad">expired</span>
                      </Show>
                    </span>
                    <span class="apikey-scopes">
                      <code class="muted">{key.prefix}…</code>
                      <For each={key.scopes}>{(scope) => <code class="scope-chip">{scope}</code>}</For>
                    </span>
                    <span class="muted apikey-facts">
                      created {formatInstant(key.createdAt)} · last used {key.lastUsedAt ? formatInstant(key.lastUsedAt) : "never"} ·{" "}
                      {key.expiresAt ? `expires ${formatDay(key.expiresAt)}` : "never expires"}
                      <Show when={key.revokedAt}>{(at) => <> · revoked {formatInstant(at())}</>}</Show>
                    </span>
                  </div>
                  <Show when={!key.revokedAt}>
                    <button
                      type="button"
                      class="danger"
                      data-testid="apikey-revoke"
                      disabled={keys.rowBusy(key.id) !== undefined}
                      onClick={() => void keys.revoke(key)}
                    >
                      {keys.rowBusy(key.id) ? "Revoking…" : "Revoke"}
                    </button>
                  </Show>
                  <RowErrorMessage error={keys.rowError(key.id)} />
                </li>
              );
            }}
          </For>
        </ul>
      </PagedList>
    </section>
  );
}
