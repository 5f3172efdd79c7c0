// The first-start page's state: the one-time token from the setup link, the first admin's
// credentials, and whether setup is still needed: a link opened again once it was done says so
// and points to sign-in, instead of failing.

import { useNavigate, useSearchParams } from "@solidjs/router";
import { createSignal } from "solid-js";
import { createAction } from "../../lib/action";
import { fetchHealth, setup } from "../../lib/auth";
import { passwordLengthProblem, usernameProblem } from "../../lib/credentials";
import { createFormChecks } from "../../lib/formChecks";
import { type GraphQLRequestError, toRequestError } from "../../lib/graphql";
import { HOME_PATH } from "../SignIn/signInPath";

export function createSetupForm() {
  const navigate = useNavigate();
  const [searchParams] = useSearchParams<{ token: string }>();
  const tokenFromLink = searchParams.token ?? "";
  const [token, setToken] = createSignal(tokenFromLink);
  const [username, setUsername] = createSignal("");
  const [password, setPassword] = createSignal("");
  const [confirmation, setConfirmation] = createSignal("");
  const [checking, setChecking] = createSignal(true);
  // Set once the server says it has its first admin: the setup link has done its work.
  const [alreadySetUp, setAlreadySetUp] = createSignal(false);
  // Shown until the first attempt to set up, which then shows its own outcome.
  const [checkError, setCheckError] = createSignal<GraphQLRequestError | null>(null);

  fetchHealth().then(
    (health) => {
      setAlreadySetUp(!health.setupRequired);
      setChecking(false);
    },
    (failure: unknown) => {
      setCheckError(toRequestError(failure));
      setChecking(false);
    },
  );

  const checks = createFormChecks({
    token: { empty: () => token().trim() === "", required: "Paste the token from the setup link." },
    username: { empty: () => username().trim() === "", required: "Choose a username.", check: () => usernameProblem(username().trim()) },
    password: { empty: () => password() === "", required: "Choose a password.", check: () => passwordLengthProblem(password()) },
    confirmation: {
      empty: () => confirmation() === "",
      required: "Type the password again.",
      check: () => (confirmation() === password() ? null : "The passwords do not match."),
    },
  });

  const create = createAction(async () => {
    try {
      await setup(token().trim(), username().trim(), password());
    } catch (failure) {
      // Someone finished setup since this page opened (another tab, or the link used before).
      if (toRequestError(failure).code === "CONFLICT") return setAlreadySetUp(true);
      throw failure;
    }
    navigate(HOME_PATH, { replace: true });
  });

  // A refusal was of what was typed: once it changes, it no longer applies.
  const editing = (set: (text: string) => void) => (text: string) => {
    set(text);
    create.clearError();
  };

  function submit() {
    if (!checks.passes()) return;
    setCheckError(null);
    void create.run();
  }

  return {
    tokenFromLink: tokenFromLink !== "",
    token,
    setToken: editing(setToken),
    username,
    setUsername: editing(setUsername),
    password,
    setPassword: editing(setPassword),
    confirmation,
    setConfirmation: editing(setConfirmation),
    problem: checks.problem,
    checking,
    alreadySetUp,
    busy: create.busy,
    error: () => create.error() ?? checkError(),
    canSubmit: () => !create.busy(),
    submit,
  };
}
