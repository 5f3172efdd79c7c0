// Changing one's own password; the other sessions are signed out by the server.

import { Show } from "solid-js";
import { ErrorMessage } from "../../components/ErrorMessage";
import { Form, SubmitButton } from "../../components/Form";
import { TextField } from "../../components/TextField";
import { PASSWORD_HINT } from "../../lib/credentials";
import type { PasswordChange } from "./createPasswordChange";

export function PasswordSection(props: { form: PasswordChange }) {
  const form = props.form;
  return (
    <Form class="card account-section" data-testid="account-password" onSubmit={form.submit}>
      <h2>Password</h2>
      {/* Lets password managers tie the new password to the account. */}
      <input type="text" name="username" autocomplete="username" hidden />
      <TextField
        label="Current password"
        testId="account-current-password"
        type="password"
        autocomplete="current-password"
        value={form.current()}
        onInput={form.setCurrent}
      />
      <TextField
        label="New password"
        testId="account-new-password"
        type="password"
        autocomplete="new-password"
        value={form.next()}
        onInput={form.setNext}
        hint={PASSWORD_HINT}
      />
      <TextField
        label="Confirm new password"
        testId="account-confirm-password"
        type="password"
        autocomplete="new-password"
        value={form.confirmation()}
        aria-invalid={form.confirmation() !== "" && form.confirmation() !== form.next()}
        onInput={form.setConfirmation}
      />
      <ErrorMessage error={form.problem()} />
      <ErrorMessage error={form.error()} />
      <Show when={form.changed()}>
        <p class="success" data-testid="success" role="status">
          Password changed. Your other sessions were signed out.
        </p>
      </Show>
      <div class="actions">
        <SubmitButton
          label="Change password"
          busyLabel="Changing…"
          busy={form.busy()}
          disabled={!form.canSubmit()}
          testId="account-change-password"
        />
      </div>
    </Form>
  );
}
