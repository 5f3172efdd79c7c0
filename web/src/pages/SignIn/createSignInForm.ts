// The sign-in page's state: the form, whether the server still waits for setup, and the outcome.
// A user with two-factor sign-in is asked for a code after the password; after too many attempts
// the form waits out the time the server names. Why the user was signed out comes from lib/auth.

import { useNavigate, useSearchParams } from "@solidjs/router";
import { createSignal, onCleanup } from "solid-js";
import { fetchHealth, login, signedOutBecause } from "../../lib/auth";
import { createFormChecks } from "../../lib/formChecks";
import { type GraphQLRequestError, toRequestError } from "../../lib/graphql";
import { pathAfterSignIn } from "./signInPath";

export function createSignInForm() {
  const navigate = useNavigate();
  const [searchParams] = useSearchParams<{ next: string }>();
  const [username, setUsername] = createSignal("");
  const [password, setPassword] = createSignal("");
  const [totpCode, setTotpCode] = createSignal("");
  // Set once the server has said this user needs a second factor.
  const [totpRequired, setTotpRequired] = createSignal(false);
  const [busy, setBusy] = createSignal(false);
  const [error, setError] = createSignal<GraphQLRequestError | null>(null);
  const [setupRequired, setSetupRequired] = createSignal(false);
  // When the server accepts attempts again after LIMIT_EXCEEDED, and a clock to count down to it.
  const [retryAtMs, setRetryAtMs] = createSignal<number | null>(null);
  const [nowMs, setNowMs] = createSignal(Date.now());
  let clock: ReturnType<typeof setInterval> | undefined;
  onCleanup(() => clearInterval(clock));
  const checks = createFormChecks({
    username: { empty: () => username().trim() === "", required: "Enter your username." },
    password: { empty: () => password() === "", required: "Enter your password." },
    totpCode: {
      empty: () => totpRequired() && totpCode().trim() === "",
      required: "Enter the code from your authenticator app, or a recovery code.",
    },
  });

  fetchHealth().then(
    (health) => setSetupRequired(health.setupRequired),
    (failure: unknown) => setError(toRequestError(failure)),
  );

  const waitSeconds = () => {
    const at = retryAtMs();
    return at === null ? 0 : Math.max(0, Math.ceil((at - nowMs()) / 1000));
  };

  function waitUntil(atMs: number) {
    setRetryAtMs(atMs);
    setNowMs(Date.now());
    clearInterval(clock);
    clock = setInterval(() => {
      setNowMs(Date.now());
      if (Date.now() >= atMs) {
        clearInterval(clock);
        setRetryAtMs(null);
        setError(null);
      }
    }, 1000);
  }

  // A different user, or a new password, may not need the second factor: ask the server afresh.
  // The refusal was of what was typed: once it changes, the refusal no longer applies (a wait does).
  const forgetRefusal = () => {
    if (retryAtMs() === null) setError(null);
  };
  const changingCredentials = (set: (text: string) => void) => (text: string) => {
    set(text);
    forgetRefusal();
    if (totpRequired()) {
      setTotpRequired(false);
      setTotpCode("");
    }
  };
  // The server counts failures per username: another one is not blocked by this one's wait.
  const changingUsername = (text: string) => {
    changingCredentials(setUsername)(text);
    if (retryAtMs() !== null) {
      clearInterval(clock);
      setRetryAtMs(null);
      setError(null);
    }
  };

  async function submit() {
    if (busy() || waitSeconds() > 0 || !checks.passes()) return;
    setBusy(true);
    setError(null);
    const code = totpRequired() ? totpCode().replace(/\s+/g, "") : "";
    try {
      await login(username().trim(), password(), code || undefined);
      navigate(pathAfterSignIn(searchParams.next), { replace: true });
    } catch (thrown) {
      const failure = toRequestError(thrown);
      if (failure.code === "UNAUTHENTICATED" && failure.details.totpRequired === true) {
        // The first request only learns that a code is needed: that is a question, not an error.
        if (code) setError(failure);
        setTotpRequired(true);
        setTotpCode("");
      } else {
        if (failure.code === "LIMIT_EXCEEDED") {
          const seconds = Number(failure.details.retryAfterSeconds);
          if (Number.isFinite(seconds) && seconds > 0) waitUntil(Date.now() + seconds * 1000);
        }
        setError(failure);
      }
    } finally {
      setBusy(false);
    }
  }

  return {
    username,
    setUsername: changingUsername,
    password,
    setPassword: changingCredentials(setPassword),
    totpRequired,
    totpCode,
    setTotpCode: (text: string) => {
      setTotpCode(text);
      forgetRefusal();
    },
    busy,
    error,
    /** Seconds until the server takes attempts again; 0 when it does now. */
    waitSeconds,
    setupRequired,
    signedOutBecause,
    problem: checks.problem,
    canSubmit: () => !busy() && waitSeconds() === 0,
    submit,
  };
}
