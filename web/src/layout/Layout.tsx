// The frame around every signed-in page: header with navigation and the user, the disk and alert
// banners, footer with the system line.

import { A, type RouteSectionProps } from "@solidjs/router";
import { For, Show, Suspense } from "solid-js";
import { capabilities, mayOpen } from "../capabilities";
import { ConfirmDialog } from "../components/ConfirmDialog";
import { ErrorMessage } from "../components/ErrorMessage";
import { refreshSession } from "../lib/graphql";
import { hasPermission } from "../lib/permissions";
import { TunnelIndicator } from "../pages/Tunnels/TunnelIndicator";
import { AlertBanner } from "./AlertBanner";
import { createSession } from "./createSession";
import { DiskBanner } from "./DiskBanner";

/**
 * GraphiQL is opened with the access cookie, which lapses after some idle minutes: a plain click
 * renews the session first (a click that opens a new tab keeps the browser's own handling).
 */
function openGraphiQL(event: MouseEvent) {
  if (event.button !== 0 || event.ctrlKey || event.metaKey || event.shiftKey) return;
  event.preventDefault();
  void refreshSession()
    .catch(() => true)
    .then((current) => current && window.location.assign("/graphql"));
}

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
                  <A href={capability.path} data-testid={capability.navTestId} activeClass="active" end={capability.path === "/"}>
                    {capability.label}
                  </A>
                )}
              </For>
              <Show when={hasPermission(user(), "schema:read")}>
                {/* The server's own page, not one of this app's: rel="external" makes it a full navigation. */}
                <a href="/graphql" rel="external" data-testid="nav-graphiql" onClick={openGraphiQL}>
                  GraphiQL
                </a>
              </Show>
            </nav>
            <div class="app-user">
              <TunnelIndicator />
              <span data-testid="current-user" class="current-user">
                {user().username} <span class="role">{user().role}</span>
              </span>
              <button type="button" data-testid="signout" disabled={session.signingOut()} onClick={() => void session.signOut()}>
                {session.signingOut() ? "Signing out…" : "Sign out"}
              </button>
            </div>
          </header>
          <DiskBanner />
          <AlertBanner />
          <ErrorMessage error={session.signOutError()} />
          <main class="app-main">
            <Suspense fallback={<p class="muted">Loading…</p>}>{props.children}</Suspense>
          </main>
          <ConfirmDialog />
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
