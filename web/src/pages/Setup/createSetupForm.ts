// The first-start page's state: the one-time token from the setup link, the first admin's
// credentials, and the check that sends the user to sign-in once setup is no longer needed.

import { useNavigate, useSearchParams } from "@solidjs/router";
import { createSignal } from "solid-js";
import { createAction } from "../../lib/action";
import { fetchHealth, setup } from "../../lib/auth";
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
  // Shown until the first attempt to set up, which then shows its own outcome.
  const [checkError, setCheckError] = createSignal<GraphQLRequestError | null>(null);

  fetchHealth().then(
    (health) => {
      if (!health.setupRequired) navigate("/login", { replace: true });
      else setChecking(false);
    },
    (failure: unknown) => {
      setCheckError(toRequestError(failure));
      setChecking(false);
    },
  );

  const mismatch = () => confirmation() !== "" && confirmation() !== password();

  const create = createAction(async () => {
    await setup(token().trim(), username().trim(), password());
    navigate(HOME_PATH, { replace: true });
  });

  function submit() {
    if (mismatch()) return;
    setCheckError(null);
    void create.run();
  }

  return {
    tokenFromLink: tokenFromLink !== "",
    token,
    setToken,
    username,
    setUsername,
    password,
    setPassword,
    confirmation,
    setConfirmation,
    mismatch,
    checking,
    busy: create.busy,
    error: () => create.error() ?? checkError(),
    canSubmit: () =>
      token().trim() !== "" && username().trim() !== "" && password() !== "" && confirmation() === password() && !create.busy(),
    submit,
  };
}
