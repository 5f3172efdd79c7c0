// Changing one's own password; the other sessions are signed out by the server.

import { ErrorMessage } from "../../components/ErrorMessage";
import { Form, SubmitButton } from "../../components/Form";
import { Saved } from "../../components/Saved";
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
        problem={form.problem("current")}
        onInput={form.setCurrent}
      />
      <TextField
        label="New password"
        testId="account-new-password"
        type="password"
        autocomplete="new-password"
        value={form.next()}
        problem={form.problem("next")}
        onInput={form.setNext}
        hint={PASSWORD_HINT}
      />
      <TextField
        label="Confirm new password"
        testId="account-confirm-password"
        type="password"
        autocomplete="new-password"
        value={form.confirmation()}
        problem={form.problem("confirmation")}
        onInput={form.setConfirmation}
      />
      <ErrorMessage error={form.error()} />
      <Saved notice={form.changed()} />
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
