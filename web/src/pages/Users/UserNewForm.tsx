// Creates a user with a first password and a role; they can change the password themselves.

import { For, Show } from "solid-js";
import { ErrorMessage } from "../../components/ErrorMessage";
import { TextField } from "../../components/TextField";
import type { Role } from "../../lib/auth";
import { MIN_PASSWORD_LENGTH, ROLE_CHOICES, type UserAdmin } from "./createUserAdmin";

export function UserNewForm(props: { form: UserAdmin["newUser"] }) {
  const form = props.form;
  return (
    <form
      class="card"
      onSubmit={(event) => {
        event.preventDefault();
        form.create();
      }}
    >
      <h2>New user</h2>
      <TextField
        label="Username"
        testId="user-new-username"
        name="username"
        autocomplete="off"
        autocapitalize="none"
        spellcheck={false}
        value={form.username()}
        onInput={form.setUsername}
        hint="Letters, digits, dots, dashes or underscores."
      />
      <TextField
        label="Password"
        testId="user-new-password"
        name="new-password"
        type="password"
        autocomplete="new-password"
        value={form.password()}
        aria-invalid={form.passwordProblem() !== null}
        onInput={form.setPassword}
        hint={`At least ${MIN_PASSWORD_LENGTH} characters. Tell it to the user; they can change it under Account.`}
      />
      <label class="field">
        <span>Role</span>
        <select data-testid="user-new-role" value={form.role()} onChange={(event) => form.setRole(event.currentTarget.value as Role)}>
          <For each={ROLE_CHOICES}>{(role) => <option value={role}>{role}</option>}</For>
        </select>
        <small class="muted">Viewers read; operators also change data; admins also manage users and the server.</small>
      </label>
      <ErrorMessage error={form.passwordProblem()} />
      <ErrorMessage error={form.error()} />
      <Show when={form.created()}>
        {(username) => (
          <p class="success" data-testid="success" role="status">
            Created {username()}.
          </p>
        )}
      </Show>
      <div class="actions">
        <button type="submit" class="primary" data-testid="user-new-submit" disabled={!form.canCreate()}>
          {form.busy() ? "Creating…" : "Create user"}
        </button>
      </div>
    </form>
  );
}
