// The sign-in page's state: the form, whether the server still waits for setup, and the outcome.

import { useNavigate, useSearchParams } from "@solidjs/router";
import { createSignal } from "solid-js";
import { fetchHealth, login } from "../../lib/auth";
import { type GraphQLRequestError, toRequestError } from "../../lib/graphql";
import { pathAfterSignIn } from "./signInPath";

export function createSignInForm() {
  const navigate = useNavigate();
  const [searchParams] = useSearchParams<{ next: string }>();
  const [username, setUsername] = createSignal("");
  const [password, setPassword] = createSignal("");
  const [busy, setBusy] = createSignal(false);
  const [error, setError] = createSignal<GraphQLRequestError | null>(null);
  const [setupRequired, setSetupRequired] = createSignal(false);

  fetchHealth().then(
    (health) => setSetupRequired(health.setupRequired),
    (failure: unknown) => setError(toRequestError(failure)),
  );

  async function submit() {
    if (busy()) return;
    setBusy(true);
    setError(null);
    try {
      await login(username().trim(), password());
      navigate(pathAfterSignIn(searchParams.next), { replace: true });
    } catch (failure) {
      setError(toRequestError(failure));
    } finally {
      setBusy(false);
    }
  }

  return {
    username,
    setUsername,
    password,
    setPassword,
    busy,
    error,
    setupRequired,
    canSubmit: () => username().trim() !== "" && password() !== "" && !busy(),
    submit,
  };
}
