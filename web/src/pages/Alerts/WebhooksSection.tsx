// Webhooks told of every alert change, a form to add one, and the latest deliveries with how each
// went (status, error, next retry).

import { For, Show } from "solid-js";
import { ErrorMessage, RowErrorMessage } from "../../components/ErrorMessage";
import { Form, SubmitButton } from "../../components/Form";
import { Saved } from "../../components/Saved";
import { TextField } from "../../components/TextField";
import { formatInstant } from "../../lib/format";
import type { AlertsPageState } from "./createAlertsPage";

export function WebhooksSection(props: { page: AlertsPageState }) {
  const page = props.page;
  return (
    <section class="alerts-section" data-testid="alert-webhooks">
      <h2>Webhooks</h2>
      <p class="muted">Each alert change is posted as JSON; failed deliveries are retried for about 40 minutes.</p>
      <ErrorMessage error={page.webhooksError()} />
      <Show when={page.webhooks()}>
        {(webhooks) => (
          <Show when={webhooks().length > 0} fallback={<p class="muted">No webhooks yet.</p>}>
            <ul class="plain-list card alerts-list">
              <For each={webhooks()}>
                {(webhook) => (
                  <li class="list-item alerts-row" data-testid="webhook-row">
                    <div class="alerts-row-main">
                      <strong>{webhook.name}</strong>
                      <Show when={webhook.hasSecret}>
                        <span class="badge">secret in {webhook.secretHeader}</span>
                      </Show>
                      <code class="alerts-url">{webhook.url}</code>
                    </div>
                    <div class="actions">
                      <button
                        type="button"
                        data-testid="webhook-test"
                        disabled={page.webhookActions.busy(webhook.id) !== undefined}
                        onClick={() => page.sendTest(webhook)}
                      >
                        {page.webhookActions.busy(webhook.id) === "test" ? "Sending…" : "Send test"}
                      </button>
                      <button
                        type="button"
                        data-testid="webhook-secret-change"
                        aria-expanded={page.secretFormFor() === webhook.id}
                        onClick={() => page.openSecretForm(page.secretFormFor() === webhook.id ? null : webhook)}
                      >
                        Change secret
                      </button>
                      <button
                        type="button"
                        class="danger"
                        disabled={page.webhookActions.busy(webhook.id) !== undefined}
                        onClick={() => page.removeWebhook(webhook)}
                      >
                        {page.webhookActions.busy(webhook.id) === "delete" ? "Deleting…" : "Delete"}
                      </button>
                    </div>
                    <Show when={page.secretFormFor() === webhook.id}>
                      <Form onSubmit={() => page.saveSecret(webhook)}>
                        <SecretField
                          label="New secret"
                          testId="webhook-new-secret"
                          value={page.newSecret()}
                          onInput={page.setNewSecret}
                          hint={`Sent in ${webhook.secretHeader} with every delivery from now on, those waiting included. Left empty, the webhook gets no secret.`}
                        />
                        <div class="actions">
                          <SubmitButton
                            label={page.newSecret() === "" ? "Remove secret" : "Save secret"}
                            busyLabel="Saving…"
                            busy={page.webhookActions.busy(webhook.id) === "secret"}
                            disabled={page.webhookActions.busy(webhook.id) !== undefined}
                            testId="webhook-secret-save"
                            kind={page.newSecret() === "" ? "danger" : "primary"}
                          />
                          <button type="button" onClick={() => page.openSecretForm(null)}>
                            Cancel
                          </button>
                        </div>
                      </Form>
                    </Show>
                    <RowErrorMessage error={page.webhookActions.error(webhook.id)} />
                  </li>
                )}
              </For>
            </ul>
          </Show>
        )}
      </Show>
      <Form class="card" onSubmit={page.addWebhook}>
        <h3>New webhook</h3>
        <TextField label="Name" testId="webhook-name" maxLength={100} value={page.webhookName()} onInput={page.setWebhookName} />
        <TextField
          label="URL"
          testId="webhook-url"
          type="url"
          maxLength={2000}
          placeholder="https://"
          value={page.webhookUrl()}
          onInput={page.setWebhookUrl}
        />
        <SecretField
          label="Secret (optional)"
          testId="webhook-secret"
          value={page.webhookSecret()}
          onInput={page.setWebhookSecret}
          hint="Sent in the X-Outpost-Secret header, so the receiver knows the message is from this box. It is not shown again."
        />
        <ErrorMessage error={page.addWebhookError()} />
        <Saved notice={page.webhookSaved()} />
        <div class="actions">
          <SubmitButton
            label="Add webhook"
            busyLabel="Adding…"
            busy={page.addingWebhook()}
            disabled={page.addingWebhook() || page.webhookName().trim() === "" || page.webhookUrl().trim() === ""}
            testId="webhook-add"
          />
        </div>
      </Form>
      <h3>Deliveries</h3>
      <Show when={page.deliveries().length > 0} fallback={<p class="muted">Nothing sent yet.</p>}>
        <ul class="plain-list card alerts-list" data-testid="deliveries">
          <For each={page.deliveries()}>
            {(delivery) => (
              <li class="list-item alerts-row" data-testid="delivery-row" data-state={delivery.state}>
                <div class="alerts-row-main">
                  <span
                    class={delivery.state === "DELIVERED" ? "badge badge-good" : delivery.state === "FAILED" ? "badge badge-bad" : "badge"}
                  >
                    {delivery.state.toLowerCase()}
                  </span>
                  <strong>{delivery.event}</strong>
                  <span class="muted">
                    to {page.webhookNameOf(delivery.webhookId)} · {formatInstant(delivery.createdAt)} · {delivery.attempts}{" "}
                    {delivery.attempts === 1 ? "attempt" : "attempts"}
                    {delivery.lastStatus !== null ? ` · HTTP ${delivery.lastStatus}` : ""}
                  </span>
                </div>
                <Show when={delivery.lastError}>
                  <small class="alerts-delivery-error">{delivery.lastError}</small>
                </Show>
                <Show when={delivery.nextAttemptAt}>{(at) => <small class="muted">next try {formatInstant(at())}</small>}</Show>
              </li>
            )}
          </For>
        </ul>
      </Show>
    </section>
  );
}

/** A webhook secret as typed: hidden, without autofill, at most as long as the server takes. */
function SecretField(props: { label: string; testId: string; value: string; onInput: (value: string) => void; hint: string }) {
  return <TextField {...props} type="password" autocomplete="off" maxLength={1000} />;
}
