// A labelled one-line input in the `.field` layout the forms share: caption, input, optional hint.
// Attributes not named here (type, name, autocomplete, placeholder, min, aria-invalid, ref…) go
// to the input as given.

import { type JSX, Show, splitProps } from "solid-js";

export type TextFieldProps = Omit<JSX.InputHTMLAttributes<HTMLInputElement>, "value" | "onInput" | "class"> & {
  label: string;
  value: string;
  /** Called with the input's text on every change. */
  onInput: (value: string) => void;
  /** The input's data-testid. */
  testId?: string;
  /** A muted line under the input. */
  hint?: string;
  /** Classes for the label besides `field`, e.g. its place in a grid. */
  class?: string;
};

export function TextField(props: TextFieldProps) {
  const [own, input] = splitProps(props, ["label", "value", "onInput", "testId", "hint", "class"]);
  return (
    <label class={own.class ? `field ${own.class}` : "field"}>
      <span>{own.label}</span>
      <input {...input} data-testid={own.testId} value={own.value} onInput={(event) => own.onInput(event.currentTarget.value)} />
      <Show when={own.hint}>
        <small class="muted">{own.hint}</small>
      </Show>
    </label>
  );
}
