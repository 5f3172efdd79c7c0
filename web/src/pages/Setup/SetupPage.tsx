import { A } from "@solidjs/router";
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
        <Show
          when={!form.alreadySetUp()}
          fallback={
            <div class="card auth-card" data-testid="setup-done">
              <h1>Outpost is already set up</h1>
              <p>Setup is already done: Outpost has its first administrator, so this setup link no longer works.</p>
              <p>
                <A href="/login" data-testid="setup-done-signin">
                  Sign in instead
                </A>
              </p>
            </div>
          }
        >
          <Form class="card auth-card" onSubmit={form.submit}>
            <h1>Set up Outpost</h1>
            <p class="muted">Create the first administrator. This works once, with the link from the server log.</p>
            <Show when={!form.tokenFromLink}>
              <TextField
                label="Setup token"
                name="token"
                autocomplete="off"
                spellcheck={false}
                value={form.token()}
                problem={form.problem("token")}
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
              value={form.username()}
              problem={form.problem("username")}
              onInput={form.setUsername}
              hint={USERNAME_HINT}
            />
            <TextField
              label="Password"
              testId="setup-password"
              name="password"
              type="password"
              autocomplete="new-password"
              value={form.password()}
              problem={form.problem("password")}
              onInput={form.setPassword}
              hint={PASSWORD_HINT}
            />
            <TextField
              label="Confirm password"
              testId="setup-confirm"
              name="confirm"
              type="password"
              autocomplete="new-password"
              value={form.confirmation()}
              problem={form.problem("confirmation")}
              onInput={form.setConfirmation}
            />
            <ErrorMessage error={form.error()} />
            <SubmitButton
              label="Create admin"
              busyLabel="Creating…"
              busy={form.busy()}
              disabled={!form.canSubmit()}
              testId="setup-submit"
            />
          </Form>
        </Show>
      </Show>
    </main>
  );
}
