import { Show } from "solid-js";
import { ErrorMessage } from "../../components/ErrorMessage";
import { Form, SubmitButton } from "../../components/Form";
import { TextField } from "../../components/TextField";
import { PASSWORD_HINT, USERNAME_HINT } from "../../lib/credentials";
import { createSetupForm } from "./createSetupForm";

export default function SetupPage() {
  const form = createSetupForm();
  return (
    <main class="auth-page">
      <Show when={!form.checking()} fallback={<p class="muted">Checking the server…</p>}>
        <Form class="card auth-card" onSubmit={form.submit}>
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
            hint={USERNAME_HINT}
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
            hint={PASSWORD_HINT}
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
          <SubmitButton label="Create admin" busyLabel="Creating…" busy={form.busy()} disabled={!form.canSubmit()} testId="setup-submit" />
        </Form>
      </Show>
    </main>
  );
}
