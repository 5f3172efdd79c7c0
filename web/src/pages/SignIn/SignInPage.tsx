import { Show } from "solid-js";
import { ErrorMessage } from "../../components/ErrorMessage";
import { Form, SubmitButton } from "../../components/Form";
import { TextField } from "../../components/TextField";
import { createSignInForm } from "./createSignInForm";

/** "45 s", "4 min 10 s". */
function describeWait(seconds: number): string {
  if (seconds < 60) return `${seconds} s`;
  const rest = seconds % 60;
  return rest === 0 ? `${seconds / 60} min` : `${Math.floor(seconds / 60)} min ${rest} s`;
}

export default function SignInPage() {
  const form = createSignInForm();
  return (
    <main class="auth-page">
      <Form class="card auth-card" onSubmit={form.submit}>
        <h1>Outpost</h1>
        <p class="muted">Sign in to continue.</p>
        <Show when={form.signedOutBecause()}>
          {(because) => (
            <p class="note" data-testid="signed-out-reason" role="status">
              {because()}
            </p>
          )}
        </Show>
        <Show when={form.setupRequired()}>
          <p class="note">Outpost has no users yet. Open the one-time setup link printed in the server log to create the first admin.</p>
        </Show>
        <TextField
          label="Username"
          testId="login-username"
          name="username"
          autocomplete="username"
          autocapitalize="none"
          spellcheck={false}
          value={form.username()}
          problem={form.problem("username")}
          onInput={form.setUsername}
        />
        <TextField
          label="Password"
          testId="login-password"
          name="password"
          type="password"
          autocomplete="current-password"
          value={form.password()}
          problem={form.problem("password")}
          onInput={form.setPassword}
        />
        <Show when={form.totpRequired()}>
          <TextField
            label="Authentication code"
            testId="login-totp"
            name="totp"
            autocomplete="one-time-code"
            autocapitalize="none"
            spellcheck={false}
            ref={(input) => queueMicrotask(() => input.focus())}
            value={form.totpCode()}
            problem={form.problem("totpCode")}
            onInput={form.setTotpCode}
            hint="The 6-digit code from your authenticator app, or one of your recovery codes."
          />
        </Show>
        <ErrorMessage
          error={form.waitSeconds() > 0 ? `Too many sign-in attempts. Try again in ${describeWait(form.waitSeconds())}.` : form.error()}
        />
        <SubmitButton
          label={form.totpRequired() ? "Verify" : "Sign in"}
          busyLabel="Signing in…"
          busy={form.busy()}
          disabled={!form.canSubmit()}
          testId="login-submit"
        />
      </Form>
    </main>
  );
}
