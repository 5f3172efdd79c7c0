// The Account page's API keys: creating one (with the current password; its secret is shown
// once), listing the user's keys page by page and revoking them (after asking), and for admins
// everyone's.

import { type Accessor, createSignal } from "solid-js";
import { createAction, createRowActions } from "../../lib/action";
import { confirmAction } from "../../lib/confirm";
import { createLiveList } from "../../lib/createLiveList";
import { endOfLocalDay, localDayInput } from "../../lib/format";
import { createFormChecks } from "../../lib/formChecks";
import { prependMissing } from "../../lib/liveList";
import { type ApiKey, type CreatedApiKey, createApiKey, fetchApiKeyPage, fetchApiKeyScopes, revokeApiKey } from "./accountOperations";

const keyOf = (key: ApiKey) => key.id;
/** The longest key name the server takes. */
const MAX_NAME_LENGTH = 64;

export function createApiKeyManager(options: { mayListEveryone: Accessor<boolean> }) {
  // ---- The scopes the user may grant ----
  const [scopes, setScopes] = createSignal<readonly string[]>([]);
  const loadScopes = createAction(async () => setScopes(await fetchApiKeyScopes()));
  void loadScopes.run();

  // ---- The list, newest first, a page at a time ----
  const [everyone, setEveryone] = createSignal(false);
  // Keys have no live feed: the list changes only by the user's own actions, applied below. The
  // shared list still gives paging, and drops the answer of a load that a newer one replaced (when
  // "everyone's" is switched while a page loads).
  const list = createLiveList<ApiKey, ApiKey, { everyone: boolean }>({
    params: () => ({ everyone: everyone() && options.mayListEveryone() }),
    fetchPage: fetchApiKeyPage,
    watch: () => () => {},
    applyChange: (keys, changed) =>
      keys.some((each) => each.id === changed.id)
        ? keys.map((each) => (each.id === changed.id ? changed : each))
        : prependMissing(keys, changed, keyOf),
    keyOf,
  });

  const rows = createRowActions<"revoke">();
  async function revoke(key: ApiKey) {
    const goAhead = await confirmAction({
      question: `Revoke the API key “${key.name}”${options.mayListEveryone() && key.owner ? ` of ${key.owner.username}` : ""}?`,
      detail: "Whatever uses it is refused from now on. A revoked key cannot be used again.",
      confirmLabel: "Revoke key",
    });
    if (!goAhead) return;
    const done = await rows.run(key.id, "revoke", () => revokeApiKey(key.id));
    if (done !== undefined) list.apply({ ...key, revokedAt: key.revokedAt ?? new Date().toISOString() });
  }

  // ---- The new-key form ----
  const [name, setName] = createSignal("");
  const [chosen, setChosen] = createSignal<ReadonlySet<string>>(new Set());
  const [expiresOn, setExpiresOn] = createSignal("");
  const [password, setPassword] = createSignal("");
  const [created, setCreated] = createSignal<CreatedApiKey | null>(null);
  const checks = createFormChecks({
    name: {
      empty: () => name().trim() === "",
      required: "Name the key, e.g. after what uses it.",
      check: () => (name().trim().length > MAX_NAME_LENGTH ? `The name can have at most ${MAX_NAME_LENGTH} characters.` : null),
    },
    scopes: { empty: () => chosen().size === 0, required: "Choose at least one scope." },
    password: { empty: () => password() === "", required: "Enter your current password." },
  });
  const create = createAction(async () => {
    const result = await createApiKey({
      name: name().trim(),
      scopes: scopes().filter((scope) => chosen().has(scope)),
      expiresAt: expiresOn() ? endOfLocalDay(expiresOn()) : null,
      password: password(),
    });
    setCreated(result);
    list.apply(result.apiKey);
    setName("");
    setChosen(new Set<string>());
    setExpiresOn("");
    setPassword("");
    checks.reset();
  });
  const editing =
    <T>(set: (value: T) => void) =>
    (value: T) => {
      set(value);
      create.clearError();
    };
  const toggleScope = (scope: string, granted: boolean) => {
    const next = new Set(chosen());
    if (granted) next.add(scope);
    else next.delete(scope);
    setChosen(next);
    create.clearError();
  };

  return {
    scopes,
    scopesError: loadScopes.error,
    reloadScopes: () => void loadScopes.run(),
    list: {
      ...list.view,
      everyone,
      setEveryone,
      mayListEveryone: options.mayListEveryone,
    },
    rowBusy: rows.busy,
    rowError: rows.error,
    revoke,
    newKey: {
      name,
      setName: editing(setName),
      chosen,
      toggleScope,
      expiresOn,
      setExpiresOn: editing(setExpiresOn),
      password,
      setPassword: editing(setPassword),
      /** The earliest expiry day the form offers: today (the key then lasts until midnight). */
      firstExpiryDay: () => localDayInput(new Date()),
      problem: checks.problem,
      busy: create.busy,
      error: create.error,
      canCreate: () => !create.busy(),
      create: () => {
        if (checks.passes()) void create.run();
      },
    },
    created,
    dismissCreated: () => setCreated(null),
  };
}

export type ApiKeyManager = ReturnType<typeof createApiKeyManager>;
