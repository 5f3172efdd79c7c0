// A labelled one-line input in the `.field` layout the forms share: caption, input, optional hint,
// and its problem (which also marks the input invalid).
// Attributes not named here (type, name, autocomplete, placeholder, min, aria-invalid, ref…) go
// to the input as given.

import { type JSX, splitProps } from "solid-js";
import { Field, type FieldProps } from "./Field";

export type TextFieldProps = Omit<JSX.InputHTMLAttributes<HTMLInputElement>, "value" | "onInput" | "class"> &
  Omit<FieldProps, "children"> & {
    value: string;
    /** Called with the input's text on every change. */
    onInput: (value: string) => void;
    /** The input's data-testid. */
    testId?: string;
  };

export function TextField(props: TextFieldProps) {
  const [own, input] = splitProps(props, ["label", "value", "onInput", "testId", "hint", "class", "problem"]);
  return (
    <Field label={own.label} hint={own.hint} class={own.class} problem={own.problem}>
      <input
        aria-invalid={own.problem ? true : undefined}
        {...input}
        data-testid={own.testId}
        value={own.value}
        onInput={(event) => own.onInput(event.currentTarget.value)}
      />
    </Field>
  );
}
