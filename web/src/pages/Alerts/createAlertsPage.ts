// The Alerts page's state: open alerts kept live, past alerts a page at a time, acknowledging;
// the rules with their editor; and, for those who manage alerts, the webhooks and their latest
// deliveries (read again every few seconds while the page is open, since retries happen later).

import { createEffect, createSignal, on, onCleanup } from "solid-js";
import { type SavedNotice, savedNotice } from "../../components/Saved";
import { createAction, createRowActions } from "../../lib/action";
import { currentUser } from "../../lib/auth";
import { confirmAction } from "../../lib/confirm";
import type { GraphQLRequestError } from "../../lib/graphql";
import { hasPermission } from "../../lib/permissions";
import { applyAlertChange } from "./alertsDisplay";
import {
  type AlertRow,
  type AlertRuleRow,
  acknowledgeAlert,
  changeWebhookSecret,
  createRule,
  createWebhook,
  type DeliveryRow,
  deleteRule,
  deleteWebhook,
  fetchOpenAlerts,
  fetchPastAlerts,
  fetchRules,
  fetchWebhooks,
  setRuleEnabled,
  testWebhook,
  updateRule,
  type WebhookRow,
  watchAlerts,
} from "./alertsOperations";
import { createRuleForm } from "./createRuleForm";

const DELIVERIES_REFRESH_MS = 5000;

export function createAlertsPage() {
  const mayManage = () => hasPermission(currentUser(), "alerts:manage");

  const [open, setOpen] = createSignal<readonly AlertRow[] | null>(null);
  const [past, setPast] = createSignal<readonly AlertRow[]>([]);
  const [pastCursor, setPastCursor] = createSignal<string | null>(null);
  const [hasMorePast, setHasMorePast] = createSignal(false);
  const [liveError, setLiveError] = createSignal<GraphQLRequestError | null>(null);

  const loadOpen = createAction(async () => setOpen(await fetchOpenAlerts()));
  const loadPast = createAction(async (more: boolean) => {
    const page = await fetchPastAlerts(more ? pastCursor() : null);
    setPast(more ? [...past(), ...page.nodes] : page.nodes);
    setPastCursor(page.pageInfo.endCursor);
    setHasMorePast(page.pageInfo.hasNextPage);
  });
  void loadOpen.run();
  void loadPast.run(false);
  const stopWatching = watchAlerts((kind, alert) => {
    setLiveError(null);
    setOpen((list) => (list ? applyAlertChange(list, alert) : list));
    if (kind === "RESOLVED" && !past().some((a) => a.id === alert.id)) setPast([alert, ...past()]);
    if (mayManage()) void loadWebhooks.run();
  }, setLiveError);
  onCleanup(stopWatching);

  const alertActions = createRowActions<"acknowledge">();
  const acknowledge = (alert: AlertRow) =>
    void alertActions.run(alert.id, "acknowledge", async () => {
      const updated = await acknowledgeAlert(alert.id);
      setOpen((list) => list?.map((a) => (a.id === updated.id ? updated : a)) ?? null);
    });

  const [rules, setRules] = createSignal<readonly AlertRuleRow[] | null>(null);
  const loadRules = createAction(async () => setRules(await fetchRules()));
  void loadRules.run();
  const replaceRule = (rule: AlertRuleRow) => setRules((list) => list?.map((r) => (r.id === rule.id ? rule : r)) ?? null);
  const ruleActions = createRowActions<"toggle" | "delete">();
  const [ruleSaved, setRuleSaved] = createSignal<SavedNotice | null>(null);
  const ruleForm = createRuleForm(async (id, input) => {
    if (id) replaceRule(await updateRule(id, input));
    else setRules([...(rules() ?? []), await createRule(input)]);
    setRuleSaved(savedNotice(id ? "Rule saved" : "Rule added"));
  });
  const toggleRule = (rule: AlertRuleRow) =>
    void ruleActions.run(rule.id, "toggle", async () => {
      replaceRule(await setRuleEnabled(rule.id, !rule.enabled));
      if (rule.enabled) void loadOpen.run();
    });
  const removeRule = async (rule: AlertRuleRow) => {
    const goAhead = await confirmAction({
      question: `Delete the rule "${rule.name}"?`,
      detail: "Its open alerts are resolved; its past alerts stay in the history.",
      confirmLabel: "Delete rule",
    });
    if (!goAhead) return;
    await ruleActions.run(rule.id, "delete", async () => {
      await deleteRule(rule.id);
      setRules((list) => list?.filter((r) => r.id !== rule.id) ?? null);
      void loadOpen.run();
    });
  };

  const [webhooks, setWebhooks] = createSignal<readonly WebhookRow[] | null>(null);
  const [deliveries, setDeliveries] = createSignal<readonly DeliveryRow[]>([]);
  const loadWebhooks = createAction(async () => {
    const answer = await fetchWebhooks();
    setWebhooks(answer.alertWebhooks);
    setDeliveries(answer.alertDeliveries);
  });
  // Tracked: the user (and with it what they may do) can arrive or change after the page opened.
  createEffect(
    on(mayManage, (may) => {
      if (!may) return;
      void loadWebhooks.run();
      const timer = setInterval(() => void loadWebhooks.run(), DELIVERIES_REFRESH_MS);
      onCleanup(() => clearInterval(timer));
    }),
  );
  const [webhookName, setWebhookName] = createSignal("");
  const [webhookUrl, setWebhookUrl] = createSignal("");
  const [webhookSecret, setWebhookSecret] = createSignal("");
  const [webhookSaved, setWebhookSaved] = createSignal<SavedNotice | null>(null);
  const addWebhook = createAction(async () => {
    const created = await createWebhook({ name: webhookName(), url: webhookUrl(), secret: webhookSecret() || null });
    setWebhooks([...(webhooks() ?? []), created]);
    setWebhookName("");
    setWebhookUrl("");
    setWebhookSecret("");
    setWebhookSaved(savedNotice("Webhook added"));
  });
  const webhookActions = createRowActions<"test" | "secret" | "delete">();
  // One webhook's secret is changed at a time, in a form under its row.
  const [secretFormFor, setSecretFormFor] = createSignal<string | null>(null);
  const [newSecret, setNewSecret] = createSignal("");
  const openSecretForm = (webhook: WebhookRow | null) => {
    setSecretFormFor(webhook?.id ?? null);
    setNewSecret("");
  };
  const saveSecret = (webhook: WebhookRow) =>
    void webhookActions.run(webhook.id, "secret", async () => {
      const updated = await changeWebhookSecret(webhook, newSecret());
      setWebhooks((list) => list?.map((w) => (w.id === updated.id ? updated : w)) ?? null);
      openSecretForm(null);
    });
  const sendTest = (webhook: WebhookRow) =>
    void webhookActions.run(webhook.id, "test", async () => {
      const delivery = await testWebhook(webhook.id);
      setDeliveries([delivery, ...deliveries()]);
    });
  const removeWebhook = async (webhook: WebhookRow) => {
    const goAhead = await confirmAction({
      question: `Delete the webhook "${webhook.name}"?`,
      detail: "Deliveries waiting for it are dropped, and its delivery history with them.",
      confirmLabel: "Delete webhook",
    });
    if (!goAhead) return;
    await webhookActions.run(webhook.id, "delete", async () => {
      await deleteWebhook(webhook.id);
      setWebhooks((list) => list?.filter((w) => w.id !== webhook.id) ?? null);
      setDeliveries(deliveries().filter((d) => d.webhookId !== webhook.id));
    });
  };

  return {
    mayManage,
    open,
    openError: loadOpen.error,
    reloadOpen: () => void loadOpen.run(),
    liveError,
    alertActions,
    acknowledge,
    past,
    pastError: loadPast.error,
    pastLoading: loadPast.busy,
    hasMorePast,
    loadMorePast: () => void loadPast.run(true),
    rules,
    rulesError: loadRules.error,
    reloadRules: () => void loadRules.run(),
    ruleActions,
    ruleForm,
    ruleSaved,
    toggleRule,
    removeRule: (rule: AlertRuleRow) => void removeRule(rule),
    webhooks,
    deliveries,
    webhooksError: loadWebhooks.error,
    webhookName,
    setWebhookName,
    webhookUrl,
    setWebhookUrl,
    webhookSecret,
    setWebhookSecret,
    addWebhook: () => void addWebhook.run(),
    addingWebhook: addWebhook.busy,
    addWebhookError: addWebhook.error,
    webhookSaved,
    webhookActions,
    secretFormFor,
    openSecretForm,
    newSecret,
    setNewSecret,
    saveSecret,
    sendTest,
    removeWebhook: (webhook: WebhookRow) => void removeWebhook(webhook),
    webhookNameOf: (id: string) => webhooks()?.find((w) => w.id === id)?.name ?? `webhook ${id}`,
  };
}

export type AlertsPageState = ReturnType<typeof createAlertsPage>;
