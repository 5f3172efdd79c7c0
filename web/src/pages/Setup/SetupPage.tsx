import { Show } from "solid-js";
import { ErrorMessage } from "../../components/ErrorMessage";
import { TextField } from "../../components/TextField";
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
            <TextField
              label="Setup token"
              name="token"
              autocomplete="off"
              spellcheck={false}
              required
              value={form.token()}
              onInput={form.setToken}
              hint="The token at the end of the setup link in the server log."
            />
          </Show>
          <TextField
            label="Username"
            testId="setup-username"
            name="username"
            autocomplete="username"
            autocapitalize="none"
            spellcheck={false}
            required
            value={form.username()}
            onInput={form.setUsername}
            hint="Letters, digits, dots, dashes or underscores."
          />
          <TextField
            label="Password"
            testId="setup-password"
            name="password"
            type="password"
            autocomplete="new-password"
            required
            value={form.password()}
            onInput={form.setPassword}
            hint="At least 8 characters."
          />
          <TextField
            label="Confirm password"
            testId="setup-confirm"
            name="confirm"
            type="password"
            autocomplete="new-password"
            required
            value={form.confirmation()}
            onInput={form.setConfirmation}
          />
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
