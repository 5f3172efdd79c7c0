// Every signed-in user's own settings: password, two-factor sign-in, sessions, API keys.

import { Show } from "solid-js";
import { ErrorMessage } from "../../components/ErrorMessage";
import { ApiKeysSection } from "./ApiKeysSection";
import { createAccount } from "./createAccount";
import { PasswordSection } from "./PasswordSection";
import { SessionsSection } from "./SessionsSection";
import { TotpSection } from "./TotpSection";

export default function AccountPage() {
  const account = createAccount();
  return (
    <section class="page account-page">
      <div class="page-title">
        <h1>Account</h1>
        <Show when={account.summary()}>
          {(summary) => (
            <span class="muted">
              {summary().username} <span class="role">{summary().role}</span>
            </span>
          )}
        </Show>
      </div>
      <ErrorMessage error={account.summaryError()}>
        <button type="button" onClick={account.reloadSummary}>
          Try again
        </button>
      </ErrorMessage>
      <div class="account-grid">
        <PasswordSection form={account.password} />
        <TotpSection totp={account.totp} />
        <SessionsSection sessions={account.sessions} />
        <ApiKeysSection keys={account.apiKeys} />
      </div>
    </section>
  );
}
