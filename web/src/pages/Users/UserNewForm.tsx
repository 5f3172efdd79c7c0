// Creates a user with a first password and a role; they can change the password themselves.

import { For } from "solid-js";
import { ErrorMessage } from "../../components/ErrorMessage";
import { Field } from "../../components/Field";
import { Form, SubmitButton } from "../../components/Form";
import { Saved } from "../../components/Saved";
import { TextField } from "../../components/TextField";
import type { Role } from "../../lib/auth";
import { PASSWORD_HINT, USERNAME_HINT } from "../../lib/credentials";
import { ROLE_CHOICES, type UserAdmin } from "./createUserAdmin";

export function UserNewForm(props: { form: UserAdmin["newUser"] }) {
  const form = props.form;
  return (
    <Form class="card" onSubmit={form.create}>
      <h2>New user</h2>
      <TextField
        label="Username"
        testId="user-new-username"
        name="username"
        autocomplete="off"
        autocapitalize="none"
        spellcheck={false}
        value={form.username()}
        problem={form.problem("username")}
        onInput={form.setUsername}
        hint={USERNAME_HINT}
      />
      <TextField
        label="Password"
        testId="user-new-password"
        name="new-password"
        type="password"
        autocomplete="new-password"
        value={form.password()}
        problem={form.problem("password")}
        onInput={form.setPassword}
        hint={`${PASSWORD_HINT} Tell it to the user; they can change it under Account.`}
      />
      <Field label="Role" hint="Viewers read; operators also change data; admins also manage users and the server.">
        <select data-testid="user-new-role" value={form.role()} onChange={(event) => form.setRole(event.currentTarget.value as Role)}>
          <For each={ROLE_CHOICES}>{(role) => <option value={role}>{role}</option>}</For>
        </select>
      </Field>
      <ErrorMessage error={form.error()} />
      <Saved notice={form.created()} />
      <div class="actions">
        <SubmitButton label="Create user" busyLabel="Creating…" busy={form.busy()} disabled={!form.canCreate()} testId="user-new-submit" />
      </div>
    </Form>
  );
}
