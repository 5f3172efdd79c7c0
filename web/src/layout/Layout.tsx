// The frame around every signed-in page: header with navigation and the user, footer with the
// system line.

import { A, type RouteSectionProps } from "@solidjs/router";
import { For, Show, Suspense } from "solid-js";
import { capabilities, mayOpen } from "../capabilities";
import { ErrorMessage } from "../components/ErrorMessage";
import { createSession } from "./createSession";

export default function Layout(props: RouteSectionProps) {
  const session = createSession();
  return (
    <Show
      when={session.user()}
      fallback={
        <main class="auth-page">
          <Show when={session.loadError()} fallback={<p class="muted">Loading…</p>}>
            <div class="card auth-card">
              <ErrorMessage error={session.loadError()} onRetry={session.retry} />
            </div>
          </Show>
        </main>
      }
    >
      {(user) => (
        <div class="shell">
          <header class="app-header">
            <A href="/" class="brand" end>
              Outpost
            </A>
            <nav class="app-nav" aria-label="Main">
              <For each={capabilities.filter((capability) => mayOpen(capability, user()))}>
                {(capability) => (
                  <A href={capability.path} data-testid={capability.navTestId} activeClass="active">
                    {capability.label}
                  </A>
                )}
              </For>
            </nav>
            <div class="app-user">
              <span data-testid="current-user" class="current-user">
                {user().username} <span class="role">{user().role}</span>
              </span>
              <button type="button" data-testid="signout" disabled={session.signingOut()} onClick={() => void session.signOut()}>
                {session.signingOut() ? "Signing out…" : "Sign out"}
              </button>
            </div>
          </header>
          <ErrorMessage error={session.signOutError()} />
          <main class="app-main">
            <Suspense fallback={<p class="muted">Loading…</p>}>{props.children}</Suspense>
          </main>
          <footer class="app-footer muted">
            <Show when={session.system()}>
              {(system) => (
                <span>
                  {system().hostname} · {system().arch} · Outpost {system().version}
                </span>
              )}
            </Show>
          </footer>
        </div>
      )}
    </Show>
  );
}
