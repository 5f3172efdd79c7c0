// Alerts: those open now (acknowledge them), the rules that raise them (with an editor for those
// who manage alerts), the webhooks told of them with their deliveries, and past alerts.

import { For, Show } from "solid-js";
import { ErrorMessage, RowErrorMessage } from "../../components/ErrorMessage";
import { PageTitle } from "../../components/PageTitle";
import { formatInstant } from "../../lib/format";
import { describeAlert, describeRule } from "./alertsDisplay";
import type { AlertRow } from "./alertsOperations";
import { createAlertsPage } from "./createAlertsPage";
import { RuleEditor } from "./RuleEditor";
import { WebhooksSection } from "./WebhooksSection";

function AlertLine(props: { alert: AlertRow }) {
  return (
    <div class="alerts-row-main">
      <span class={props.alert.severity === "CRITICAL" ? "badge badge-bad" : "badge alerts-warning"} data-testid="alert-severity">
        {props.alert.severity.toLowerCase()}
      </span>
      <strong data-testid="alert-description">{describeAlert(props.alert)}</strong>
      <span class="muted">
        fired {formatInstant(props.alert.firedAt)}
        {props.alert.acknowledgedBy ? ` · acknowledged by ${props.alert.acknowledgedBy}` : ""}
        {props.alert.resolvedAt ? ` · resolved ${formatInstant(props.alert.resolvedAt)}` : ""}
      </span>
    </div>
  );
}

export default function AlertsPage() {
  const page = createAlertsPage();
  return (
    <section class="page alerts-page">
      <PageTitle title="Alerts" />
      <ErrorMessage error={page.liveError()} onRetry={page.reloadOpen} retryLabel="Reload alerts" />

      <section class="alerts-section">
        <h2>Open</h2>
        <ErrorMessage error={page.openError()} onRetry={page.reloadOpen} />
        <Show when={page.open()} fallback={<p class="muted">Loading…</p>}>
          {(open) => (
            <Show
              when={open().length > 0}
              fallback={
                <p class="muted" data-testid="alerts-none-open">
                  No alert is open.
                </p>
              }
            >
              <ul class="plain-list card alerts-list" data-testid="alerts-open">
                <For each={open()}>
                  {(alert) => (
                    <li class="list-item alerts-row" data-testid="alert-row" data-state={alert.state}>
                      <AlertLine alert={alert} />
                      <Show when={page.mayManage() && alert.state === "FIRING"}>
                        <div class="actions">
                          <button
                            type="button"
                            data-testid="alert-acknowledge"
                            disabled={page.alertActions.busy(alert.id) !== undefined}
                            onClick={() => page.acknowledge(alert)}
                          >
                            {page.alertActions.busy(alert.id) ? "Acknowledging…" : "Acknowledge"}
                          </button>
                        </div>
                      </Show>
                      <RowErrorMessage error={page.alertActions.error(alert.id)} />
                    </li>
                  )}
                </For>
              </ul>
            </Show>
          )}
        </Show>
      </section>

      <section class="alerts-section">
        <h2>Rules</h2>
        <ErrorMessage error={page.rulesError()} onRetry={page.reloadRules} />
        <Show when={page.rules()} fallback={<p class="muted">Loading…</p>}>
          {(rules) => (
            <ul class="plain-list card alerts-list" data-testid="alert-rules">
              <For each={rules()}>
                {(rule) => (
                  <li class="list-item alerts-row" data-testid="rule-row" data-enabled={String(rule.enabled)}>
                    <div class="alerts-row-main">
                      <strong>{rule.name}</strong>
                      <Show when={!rule.enabled}>
                        <span class="badge">off</span>
                      </Show>
                      <code>{rule.series}</code>
                      <span class="muted">{describeRule(rule)}</span>
                    </div>
                    <Show when={page.mayManage()}>
                      <div class="actions">
                        <button type="button" data-testid="rule-edit" onClick={() => page.ruleForm.edit(rule)}>
                          Edit
                        </button>
                        <button
                          type="button"
                          data-testid="rule-toggle"
                          disabled={page.ruleActions.busy(rule.id) !== undefined}
                          onClick={() => page.toggleRule(rule)}
                        >
                          {rule.enabled ? "Turn off" : "Turn on"}
                        </button>
                        <button
                          type="button"
                          class="danger"
                          disabled={page.ruleActions.busy(rule.id) !== undefined}
                          onClick={() => page.removeRule(rule)}
                        >
                          {page.ruleActions.busy(rule.id) === "delete" ? "Deleting…" : "Delete"}
                        </button>
                      </div>
                    </Show>
                    <RowErrorMessage error={page.ruleActions.error(rule.id)} />
                  </li>
                )}
              </For>
            </ul>
          )}
        </Show>
        <Show when={page.mayManage()}>
          <RuleEditor form={page.ruleForm} saved={page.ruleSaved()} />
        </Show>
      </section>

      <Show when={page.mayManage()}>
        <WebhooksSection page={page} />
      </Show>

      <section class="alerts-section">
        <h2>History</h2>
        <ErrorMessage error={page.pastError()} onRetry={() => page.loadMorePast()} />
        <Show when={page.past().length > 0} fallback={<p class="muted">No resolved alerts.</p>}>
          <ul class="plain-list card alerts-list" data-testid="alerts-history">
            <For each={page.past()}>
              {(alert) => (
                <li class="list-item alerts-row" data-testid="alert-past-row">
                  <AlertLine alert={alert} />
                </li>
              )}
            </For>
          </ul>
        </Show>
        <Show when={page.hasMorePast()}>
          <button type="button" class="load-more" disabled={page.pastLoading()} onClick={page.loadMorePast}>
            {page.pastLoading() ? "Loading…" : "Show older"}
          </button>
        </Show>
      </section>
    </section>
  );
}
