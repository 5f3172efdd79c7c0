// The Account page's state, for every signed-in user: their password, two-factor sign-in,
// sessions and API keys. Each section's state has its own factory; this one loads what they
// share (the account summary) and wires them together. Views only read these and call actions.

import { createSignal } from "solid-js";
import { createAction } from "../../lib/action";
import { currentUser } from "../../lib/auth";
import { hasPermission } from "../../lib/permissions";
import { type AccountSummary, fetchAccount } from "./accountOperations";
import { createApiKeyManager } from "./createApiKeyManager";
import { createPasswordChange } from "./createPasswordChange";
import { createSessionList } from "./createSessionList";
import { createTotpSettings } from "./createTotpSettings";

export function createAccount() {
  const [summary, setSummary] = createSignal<AccountSummary | null>(null);
  const load = createAction(async () => setSummary(await fetchAccount()));
  void load.run();

  const sessions = createSessionList();
  // Changing the password ends the other sessions: show the list as it now is.
  const password = createPasswordChange({ onChanged: sessions.reload });
  const totp = createTotpSettings({
    enabled: () => summary()?.totpEnabled,
    setEnabled: (totpEnabled) => setSummary((account) => (account ? { ...account, totpEnabled } : account)),
  });
  const apiKeys = createApiKeyManager({
    mayListEveryone: () => hasPermission(currentUser(), "keys:manage"),
  });

  return {
    summary,
    summaryError: load.error,
    reloadSummary: () => void load.run(),
    password,
    totp,
    sessions,
    apiKeys,
  };
}
