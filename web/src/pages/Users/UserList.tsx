// The users as rows: a table-like grid on wide screens, stacked cards on phones. Each row carries
// its own actions, their progress, errors and outcome, and the new-password form when it is open.
// An admin's own password and second factor are changed under Account, so their row offers neither.

import { createMemo, For, Show } from "solid-js";
import { RowErrorMessage } from "../../components/ErrorMessage";
import { Form, SubmitButton } from "../../components/Form";
import { Saved } from "../../components/Saved";
import { TextField } from "../../components/TextField";
import type { Role } from "../../lib/auth";
import { formatInstant } from "../../lib/format";
import { ROLE_CHOICES, type UserAdmin } from "./createUserAdmin";
import type { User } from "./userOperations";

export function UserList(props: { admin: UserAdmin }) {
  const admin = props.admin;
  // Rows are keyed by id, so an updated user keeps its row (and an open form in it) in place.
  const ids = createMemo(() => admin.list.users().map((user) => user.id));
  const byId = createMemo(() => new Map(admin.list.users().map((user) => [user.id, user])));

  return (
    <div class="list-card">
      <div class="user-grid list-header" aria-hidden="true">
        <span>User</span>
        <span>Role</span>
        <span>Status</span>
        <span>2FA</span>
        <span class="user-actions-heading">Actions</span>
      </div>
      <ul class="plain-list">
        <For each={ids()}>
          {(id) => {
            const user = () => byId().get(id) as User;
            return <UserRow user={user()} admin={admin} />;
          }}
        </For>
      </ul>
    </div>
  );
}

function UserRow(props: { user: User; admin: UserAdmin }) {
  const admin = props.admin;
  const busy = () => admin.rows.busy(props.user.id);
  const resetOpen = () => admin.reset.openFor() === props.user.id;
  let roleSelect: HTMLSelectElement | undefined;

  return (
    <li class="list-item" data-testid="user-row" data-username={props.user.username} data-role={props.user.role}>
      <div class="user-grid">
        <span class="user-name">
          {props.user.username}
          <Show when={admin.isSelf(props.user)}>
            <span class="badge">you</span>
          </Show>
          <small class="muted user-created">since {formatInstant(props.user.createdAt)}</small>
        </span>
        <label class="user-role">
          <span class="cell-label">Role</span>
          <select
            ref={roleSelect}
            data-testid="user-role"
            aria-label={`Role of ${props.user.username}`}
            value={props.user.role}
            disabled={busy() !== undefined}
            onChange={(event) => {
              // A refused change must not leave the select showing a role the user does not have.
              void admin.rows.changeRole(props.user, event.currentTarget.value as Role).finally(() => {
                if (roleSelect) roleSelect.value = props.user.role;
              });
            }}
          >
            <For each={ROLE_CHOICES}>{(role) => <option value={role}>{role}</option>}</For>
          </select>
        </label>
        <span class="user-status">
          <span class="cell-label">Status </span>
          <span
            class="badge"
            classList={{ "badge-bad": props.user.disabled, "badge-good": !props.user.disabled }}
            data-testid="user-status"
          >
            {props.user.disabled ? "disabled" : "active"}
          </span>
        </span>
        <span class="user-totp">
          <span class="cell-label">2FA </span>
          <span class="badge" classList={{ "badge-good": props.user.totpEnabled }} data-testid="user-totp">
            {props.user.totpEnabled ? "on" : "off"}
          </span>
        </span>
        <span class="user-actions actions">
          <button
            type="button"
            data-testid="user-toggle-disabled"
            disabled={busy() !== undefined}
            onClick={() => void admin.rows.toggleDisabled(props.user)}
          >
            {busy() === "disabled" ? (props.user.disabled ? "Enabling…" : "Disabling…") : props.user.disabled ? "Enable" : "Disable"}
          </button>
          <Show when={!admin.isSelf(props.user)}>
            <button
              type="button"
              data-testid="user-reset-password"
              aria-expanded={resetOpen()}
              disabled={busy() !== undefined}
              onClick={() => (resetOpen() ? admin.reset.close() : admin.reset.open(props.user))}
            >
              Reset password
            </button>
          </Show>
          <Show when={props.user.totpEnabled && !admin.isSelf(props.user)}>
            <button
              type="button"
              data-testid="user-remove-totp"
              disabled={busy() !== undefined}
              onClick={() => void admin.rows.removeTotp(props.user)}
            >
              {busy() === "totp" ? "Removing…" : "Remove 2FA"}
            </button>
          </Show>
          <button
            type="button"
            class="danger"
            data-testid="user-delete"
            disabled={busy() !== undefined}
            onClick={() => void admin.rows.remove(props.user)}
          >
            {busy() === "delete" ? "Deleting…" : "Delete"}
          </button>
        </span>
      </div>

      <Show when={resetOpen()}>
        <Form class="row-form" onSubmit={() => void admin.reset.submit(props.user)}>
          <TextField
            label={`New password for ${props.user.username}`}
            testId="user-reset-password-input"
            type="password"
            autocomplete="new-password"
            ref={(input) => queueMicrotask(() => input.focus())}
            value={admin.reset.password()}
            problem={admin.reset.problem()}
            onInput={admin.reset.setPassword}
            hint="Their sessions end and their API keys are revoked; they sign in with this password from now on."
          />
          <Show when={props.user.totpEnabled}>
            <label class="toggle">
              <input
                type="checkbox"
                data-testid="user-reset-remove-totp"
                checked={admin.reset.removesTotp()}
                onChange={(event) => admin.reset.setRemovesTotp(event.currentTarget.checked)}
              />
              Also remove two-factor sign-in (a lost phone)
            </label>
          </Show>
          <div class="actions">
            <SubmitButton
              label="Set password"
              busyLabel="Setting…"
              busy={busy() === "password"}
              disabled={!admin.reset.canSubmit(props.user)}
              testId="user-reset-password-submit"
            />
            <button type="button" data-testid="user-reset-password-cancel" onClick={admin.reset.close}>
              Cancel
            </button>
          </div>
        </Form>
      </Show>
      <RowErrorMessage error={admin.rows.error(props.user.id)} />
      <Saved class="row-message" notice={admin.rows.notice(props.user.id)} />
    </li>
  );
}
