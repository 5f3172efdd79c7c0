// Every signed-in user's own settings: password, two-factor sign-in, sessions, API keys.

import { Show } from "solid-js";
import { ErrorMessage } from "../../components/ErrorMessage";
import { PageTitle } from "../../components/PageTitle";
import { ApiKeysSection } from "./ApiKeysSection";
import { createAccount } from "./createAccount";
import { PasswordSection } from "./PasswordSection";
import { SessionsSection } from "./SessionsSection";
import { TotpSection } from "./TotpSection";

export default function AccountPage() {
  const account = createAccount();
  return (
    <section class="page account-page">
      <PageTitle title="Account">
        <Show when={account.summary()}>
          {(summary) => (
            <span class="muted">
              {summary().username} <span class="role">{summary().role}</span>
            </span>
          )}
        </Show>
      </PageTitle>
      <ErrorMessage error={account.summaryError()} onRetry={account.reloadSummary} />
      <div class="account-grid">
        <PasswordSection form={account.password} />
        <TotpSection totp={account.totp} />
        <SessionsSection sessions={account.sessions} />
        <ApiKeysSection keys={account.apiKeys} />
      </div>
    </section>
  );
}
