// The signed-in shell's state: makes sure someone is signed in (else sends them to sign-in,
// returning here afterwards), signs out, and fetches the system line for the footer.

import { useLocation, useNavigate } from "@solidjs/router";
import { createEffect, createSignal, on } from "solid-js";
import { currentUser, loadCurrentUser, logout, sessionEndedOnPurpose } from "../lib/auth";
import { type GraphQLRequestError, toRequestError } from "../lib/graphql";
import { hasPermission } from "../lib/permissions";
import { fetchSystemSummary, type SystemSummary } from "../lib/system";
import { signInPath } from "../pages/SignIn/signInPath";

export function createSession() {
  const navigate = useNavigate();
  const location = useLocation();
  const [loadError, setLoadError] = createSignal<GraphQLRequestError | null>(null);
  const [signingOut, setSigningOut] = createSignal(false);
  const [signOutError, setSignOutError] = createSignal<GraphQLRequestError | null>(null);
  const [system, setSystem] = createSignal<SystemSummary | null>(null);

  // Asked afresh whenever no user is known here, since another tab may have signed in meanwhile.
  const [checking, setChecking] = createSignal(!currentUser());
  const loadUser = () => {
    setChecking(true);
    setLoadError(null);
    loadCurrentUser()
      .catch((error: unknown) => setLoadError(toRequestError(error)))
      .finally(() => setChecking(false));
  };
  if (checking()) loadUser();

  // A lapsed session returns here after signing in again; signing out on purpose starts afresh.
  // Only a change of user triggers this; the navigation it starts must not trigger it again.
  createEffect(
    on([checking, currentUser], ([stillChecking, user]) => {
      if (stillChecking || user !== null) return;
      navigate(sessionEndedOnPurpose() ? "/login" : signInPath(location.pathname + location.search), { replace: true });
    }),
  );

  createEffect(() => {
    // The footer is a nicety: when it cannot be fetched the page works on without it.
    if (hasPermission(currentUser(), "system:read")) fetchSystemSummary().then(setSystem, () => setSystem(null));
    else setSystem(null);
  });

  async function signOut() {
    setSigningOut(true);
    setSignOutError(null);
    try {
      await logout();
    } catch (error) {
      setSignOutError(toRequestError(error));
    } finally {
      setSigningOut(false);
    }
  }

  return { user: currentUser, loadError, retry: loadUser, system, signingOut, signOutError, signOut };
}
