// A labelled text box of several lines in the `.field` layout the forms share, with its problem
// (which also marks it invalid); the many-line sibling of TextField.
import { Field } from "./Field";

export function TextAreaField(props: {
  label: string;
  hint?: string;
  rows: number;
  value: string;
  onInput: (value: string) => void;
  problem: string | null;
  testId: string;
}) {
  return (
    <Field label={props.label} hint={props.hint} problem={props.problem}>
      <textarea
        data-testid={props.testId}
        rows={props.rows}
        aria-invalid={props.problem ? true : undefined}
        value={props.value}
        onInput={(event) => props.onInput(event.currentTarget.value)}
      />
    </Field>
  );
}
