// The Account page's API keys: creating one (its secret is shown once), listing and revoking the
// user's keys, and for admins everyone's.

import { type Accessor, createEffect, createSignal, on } from "solid-js";
import { createAction, createRowActions } from "../../lib/action";
import { endOfLocalDay, localDayInput } from "../../lib/format";
import { type GraphQLRequestError, toRequestError } from "../../lib/graphql";
import { type ApiKey, type CreatedApiKey, createApiKey, fetchApiKeyScopes, fetchApiKeys, revokeApiKey } from "./accountOperations";

const newestFirst = (a: ApiKey, b: ApiKey) => b.createdAt.localeCompare(a.createdAt);

export function createApiKeyManager(options: { mayListEveryone: Accessor<boolean> }) {
  // ---- The scopes the user may grant ----
  const [scopes, setScopes] = createSignal<readonly string[]>([]);
  const loadScopes = createAction(async () => setScopes(await fetchApiKeyScopes()));
  void loadScopes.run();

  // ---- The list ----
  const [everyone, setEveryone] = createSignal(false);
  const [keys, setKeys] = createSignal<readonly ApiKey[]>([]);
  const [loaded, setLoaded] = createSignal(false);
  const [loading, setLoading] = createSignal(false);
  const [loadError, setLoadError] = createSignal<GraphQLRequestError | null>(null);
  let generation = 0;
  // Switching between "mine" and "everyone's" while a list loads starts another load; only the
  // newest may fill the list.
  async function load() {
    const mine = ++generation;
    setLoading(true);
    setLoadError(null);
    try {
      const list = await fetchApiKeys({ everyone: everyone() && options.mayListEveryone() });
      if (mine !== generation) return;
      setKeys([...list].sort(newestFirst));
      setLoaded(true);
    } catch (error) {
      if (mine === generation) setLoadError(toRequestError(error));
    } finally {
      if (mine === generation) setLoading(false);
    }
  }
  createEffect(on(everyone, () => void load()));

  const rows = createRowActions<"revoke">();
  async function revoke(key: ApiKey) {
    const done = await rows.run(key.id, "revoke", () => revokeApiKey(key.id));
    if (done !== undefined) {
      const revokedAt = new Date().toISOString();
      setKeys((list) => list.map((each) => (each.id === key.id ? { ...each, revokedAt: each.revokedAt ?? revokedAt } : each)));
    }
  }

  // ---- The new-key form ----
  const [name, setName] = createSignal("");
  const [chosen, setChosen] = createSignal<ReadonlySet<string>>(new Set());
  const [expiresOn, setExpiresOn] = createSignal("");
  const [created, setCreated] = createSignal<CreatedApiKey | null>(null);
  const create = createAction(async () => {
    const result = await createApiKey({
      name: name().trim(),
      scopes: scopes().filter((scope) => chosen().has(scope)),
      expiresAt: expiresOn() ? endOfLocalDay(expiresOn()) : null,
    });
    setCreated(result);
    setKeys((list) => [result.apiKey, ...list.filter((each) => each.id !== result.apiKey.id)]);
    setName("");
    setChosen(new Set<string>());
    setExpiresOn("");
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
    list: {
      keys,
      loaded,
      loading,
      error: loadError,
      reload: () => void load(),
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
      /** The earliest expiry day the form offers: today (the key then lasts until midnight). */
      firstExpiryDay: () => localDayInput(new Date()),
      busy: create.busy,
      error: create.error,
      canCreate: () => name().trim() !== "" && chosen().size > 0 && !create.busy(),
      create: () => void create.run(),
    },
    created,
    dismissCreated: () => setCreated(null),
  };
}

export type ApiKeyManager = ReturnType<typeof createApiKeyManager>;
