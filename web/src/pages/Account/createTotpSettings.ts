// The Account page's two-factor sign-in: enrolling an authenticator app (after the password; then
// QR code, secret, a first code), showing the recovery codes once, and turning it off again with
// the password, after asking (the app and the recovery codes stop working for good).

import { type Accessor, createSignal } from "solid-js";
import { type SavedNotice, savedNotice } from "../../components/Saved";
import { createAction } from "../../lib/action";
import { confirmAction } from "../../lib/confirm";
import { beginTotpSetup, confirmTotpSetup, disableTotp, type TotpSetup } from "./accountOperations";

export function createTotpSettings(options: { enabled: Accessor<boolean | undefined>; setEnabled: (enabled: boolean) => void }) {
  const [setup, setSetup] = createSignal<TotpSetup | null>(null);
  const [code, setCode] = createSignal("");
  const [recoveryCodes, setRecoveryCodes] = createSignal<readonly string[] | null>(null);
  const [password, setPassword] = createSignal("");
  const [beginPassword, setBeginPassword] = createSignal("");
  const [disabledNow, setDisabledNow] = createSignal<SavedNotice | null>(null);

  const begin = createAction(async () => {
    setDisabledNow(null);
    setCode("");
    setSetup(await beginTotpSetup(beginPassword()));
    setBeginPassword("");
  });

  const confirm = createAction(async () => {
    const codes = await confirmTotpSetup(code().replace(/\s+/g, ""));
    setSetup(null);
    setCode("");
    setRecoveryCodes(codes);
    options.setEnabled(true);
  });

  const disable = createAction(async () => {
    await disableTotp(password());
    setPassword("");
    setRecoveryCodes(null);
    setDisabledNow(savedNotice("Two-factor sign-in is off."));
    options.setEnabled(false);
  });

  return {
    enabled: options.enabled,
    setup,
    code,
    setCode: (text: string) => {
      setCode(text);
      confirm.clearError();
    },
    recoveryCodes,
    /** The user has stored the recovery codes: they are not shown again. */
    dismissRecoveryCodes: () => setRecoveryCodes(null),
    disabledNow,
    cancelSetup: () => {
      setSetup(null);
      setCode("");
      confirm.clearError();
    },
    begin: {
      password: beginPassword,
      setPassword: (text: string) => {
        setBeginPassword(text);
        begin.clearError();
      },
      run: () => void begin.run(),
      busy: begin.busy,
      error: begin.error,
      canRun: () => beginPassword() !== "" && !begin.busy(),
    },
    confirm: {
      run: () => void confirm.run(),
      busy: confirm.busy,
      error: confirm.error,
      canRun: () => /^\d{6}$/.test(code().replace(/\s+/g, "")) && !confirm.busy(),
    },
    disable: {
      password,
      setPassword: (text: string) => {
        setPassword(text);
        disable.clearError();
      },
      run: async () => {
        const goAhead = await confirmAction({
          question: "Turn off two-factor sign-in?",
          detail: "Your password alone signs you in again. Your authenticator app's codes and your recovery codes stop working for good.",
          confirmLabel: "Turn off",
        });
        if (goAhead) void disable.run();
      },
      busy: disable.busy,
      error: disable.error,
      canRun: () => password() !== "" && !disable.busy(),
    },
  };
}

export type TotpSettings = ReturnType<typeof createTotpSettings>;
