import { Show } from "solid-js";
import { ErrorMessage } from "../../components/ErrorMessage";
import { createSetupForm } from "./createSetupForm";

export default function SetupPage() {
  const form = createSetupForm();
  return (
    <main class="auth-page">
      <Show when={!form.checking()} fallback={<p class="muted">Checking the server…</p>}>
        <form
          class="card auth-card"
          onSubmit={(event) => {
            event.preventDefault();
            void form.submit();
          }}
        >
          <h1>Set up Outpost</h1>
          <p class="muted">Create the first administrator. This works once, with the link from the server log.</p>
          <Show when={!form.tokenFromLink}>
            <label class="field">
              <span>Setup token</span>
              <input
                name="token"
                autocomplete="off"
                spellcheck={false}
                required
                value={form.token()}
                onInput={(event) => form.setToken(event.currentTarget.value)}
              />
              <small class="muted">The token at the end of the setup link in the server log.</small>
            </label>
          </Show>
          <label class="field">
            <span>Username</span>
            <input
              data-testid="setup-username"
              name="username"
              autocomplete="username"
              autocapitalize="none"
              spellcheck={false}
              required
              value={form.username()}
              onInput={(event) => form.setUsername(event.currentTarget.value)}
            />
            <small class="muted">Letters, digits, dots, dashes or underscores.</small>
          </label>
          <label class="field">
            <span>Password</span>
            <input
              data-testid="setup-password"
              name="password"
              type="password"
              autocomplete="new-password"
              required
              value={form.password()}
              onInput={(event) => form.setPassword(event.currentTarget.value)}
            />
            <small class="muted">At least 8 characters.</small>
          </label>
          <label class="field">
            <span>Confirm password</span>
            <input
              data-testid="setup-confirm"
              name="confirm"
              type="password"
              autocomplete="new-password"
              required
              value={form.confirmation()}
              onInput={(event) => form.setConfirmation(event.currentTarget.value)}
            />
          </label>
          <ErrorMessage error={form.mismatch() ? "The passwords do not match." : null} />
          <ErrorMessage error={form.error()} />
          <button class="primary" type="submit" data-testid="setup-submit" disabled={!form.canSubmit()}>
            {form.busy() ? "Creating…" : "Create admin"}
          </button>
        </form>
      </Show>
    </main>
  );
}
