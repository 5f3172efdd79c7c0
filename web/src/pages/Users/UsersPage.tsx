// Admins manage who may sign in: create users, change their role, disable, reset a password, delete.

import { Show } from "solid-js";
import { ErrorMessage } from "../../components/ErrorMessage";
import { PageTitle } from "../../components/PageTitle";
import { createUserAdmin } from "./createUserAdmin";
import { UserList } from "./UserList";
import { UserNewForm } from "./UserNewForm";

export default function UsersPage() {
  const admin = createUserAdmin();
  return (
    <section class="page users-page">
      <PageTitle title="Users" />
      <div class="split-layout">
        <aside class="split-aside">
          <UserNewForm form={admin.newUser} />
        </aside>
        <div class="split-main">
          <ErrorMessage error={admin.list.error()} onRetry={admin.list.reload} />
          <Show when={admin.list.loading() && !admin.list.loaded()}>
            <p class="muted">Loading users…</p>
          </Show>
          <Show when={admin.list.users().length > 0}>
            <UserList admin={admin} />
          </Show>
        </div>
      </div>
    </section>
  );
}
