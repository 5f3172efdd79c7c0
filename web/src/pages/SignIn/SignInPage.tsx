import { Show } from "solid-js";
import { ErrorMessage } from "../../components/ErrorMessage";
import { createSignInForm } from "./createSignInForm";

export default function SignInPage() {
  const form = createSignInForm();
  return (
    <main class="auth-page">
      <form
        class="card auth-card"
        onSubmit={(event) => {
          event.preventDefault();
          void form.submit();
        }}
      >
        <h1>Outpost</h1>
        <p class="muted">Sign in to continue.</p>
        <Show when={form.setupRequired()}>
          <p class="note">Outpost has no users yet. Open the one-time setup link printed in the server log to create the first admin.</p>
        </Show>
        <label class="field">
          <span>Username</span>
          <input
            data-testid="login-username"
            name="username"
            autocomplete="username"
            autocapitalize="none"
            spellcheck={false}
            required
            value={form.username()}
            onInput={(event) => form.setUsername(event.currentTarget.value)}
          />
        </label>
        <label class="field">
          <span>Password</span>
          <input
            data-testid="login-password"
            name="password"
            type="password"
            autocomplete="current-password"
            required
            value={form.password()}
            onInput={(event) => form.setPassword(event.currentTarget.value)}
          />
        </label>
        <ErrorMessage error={form.error()} />
        <button class="primary" type="submit" data-testid="login-submit" disabled={!form.canSubmit()}>
          {form.busy() ? "Signing in…" : "Sign in"}
        </button>
      </form>
    </main>
  );
}
