// A form that stays on the page: submitting it (the button, or Enter in a field) calls `onSubmit`
// instead of navigating; and the submit button that says when the form's action is under way.
// Attributes not named here (class, data-testid…) go to the element as given.

import { type JSX, splitProps } from "solid-js";

export type FormProps = Omit<JSX.FormHTMLAttributes<HTMLFormElement>, "onSubmit"> & {
  /** Called on submit; nothing is called when absent (a filter form that applies as one types). */
  onSubmit?: () => void;
};

export function Form(props: FormProps) {
  const [own, form] = splitProps(props, ["onSubmit"]);
  return (
    <form
      {...form}
      onSubmit={(event) => {
        event.preventDefault();
        own.onSubmit?.();
      }}
    />
  );
}

export interface SubmitButtonProps {
  /** The button's text, e.g. "Create user". */
  label: string;
  /** Its text while the form's action runs, e.g. "Creating…". */
  busyLabel: string;
  busy: boolean;
  disabled: boolean;
  testId: string;
  /** How the button looks: the form's main action, or one that removes or turns something off. */
  kind?: "primary" | "danger";
}

export function SubmitButton(props: SubmitButtonProps) {
  return (
    <button type="submit" class={props.kind ?? "primary"} data-testid={props.testId} disabled={props.disabled}>
      {props.busy ? props.busyLabel : props.label}
    </button>
  );
}
