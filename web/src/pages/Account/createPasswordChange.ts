// The Account page's password form: the current password, the new one twice.

import { createSignal } from "solid-js";
import { type SavedNotice, savedNotice } from "../../components/Saved";
import { createAction } from "../../lib/action";
import { passwordLengthProblem } from "../../lib/credentials";
import { createFormChecks } from "../../lib/formChecks";
import { changePassword } from "./accountOperations";

export function createPasswordChange({ onChanged }: { onChanged: () => void }) {
  const [current, setCurrent] = createSignal("");
  const [next, setNext] = createSignal("");
  const [confirmation, setConfirmation] = createSignal("");
  const [changed, setChanged] = createSignal<SavedNotice | null>(null);
  const checks = createFormChecks({
    current: { empty: () => current() === "", required: "Enter your current password." },
    next: {
      empty: () => next() === "",
      required: "Choose a new password.",
      check: () =>
        passwordLengthProblem(next(), { noun: "new password" }) ??
        (next() === current() ? "The new password must differ from the current one." : null),
    },
    confirmation: {
      empty: () => confirmation() === "",
      required: "Type the new password again.",
      check: () => (confirmation() === next() ? null : "The new passwords do not match."),
    },
  });
  const action = createAction(async () => {
    await changePassword(current(), next());
    setCurrent("");
    setNext("");
    setConfirmation("");
    checks.reset();
    setChanged(savedNotice("Password changed. Your other sessions were signed out."));
    onChanged();
  });
  const editing = (set: (text: string) => void) => (text: string) => {
    set(text);
    action.clearError();
    setChanged(null);
  };

  return {
    current,
    setCurrent: editing(setCurrent),
    next,
    setNext: editing(setNext),
    confirmation,
    setConfirmation: editing(setConfirmation),
    problem: checks.problem,
    changed,
    busy: action.busy,
    error: action.error,
    canSubmit: () => !action.busy(),
    submit: () => {
      if (checks.passes()) void action.run();
    },
  };
}

export type PasswordChange = ReturnType<typeof createPasswordChange>;
