// The Account page's password form: the current password, the new one twice.

import { createSignal } from "solid-js";
import { createAction } from "../../lib/action";
import { MIN_PASSWORD_LENGTH, passwordLengthProblem } from "../../lib/credentials";
import { changePassword } from "./accountOperations";

export function createPasswordChange({ onChanged }: { onChanged: () => void }) {
  const [current, setCurrent] = createSignal("");
  const [next, setNext] = createSignal("");
  const [confirmation, setConfirmation] = createSignal("");
  const [changed, setChanged] = createSignal(false);
  const action = createAction(async () => {
    await changePassword(current(), next());
    setCurrent("");
    setNext("");
    setConfirmation("");
    setChanged(true);
    onChanged();
  });
  const editing = (set: (text: string) => void) => (text: string) => {
    set(text);
    action.clearError();
    setChanged(false);
  };

  const problem = () => {
    const tooShort = passwordLengthProblem(next(), { noun: "new password" });
    if (tooShort) return tooShort;
    if (confirmation() !== "" && confirmation() !== next()) return "The new passwords do not match.";
    return null;
  };

  return {
    current,
    setCurrent: editing(setCurrent),
    next,
    setNext: editing(setNext),
    confirmation,
    setConfirmation: editing(setConfirmation),
    problem,
    changed,
    busy: action.busy,
    error: action.error,
    canSubmit: () => current() !== "" && next().length >= MIN_PASSWORD_LENGTH && confirmation() === next() && !action.busy(),
    submit: () => void action.run(),
  };
}

export type PasswordChange = ReturnType<typeof createPasswordChange>;
