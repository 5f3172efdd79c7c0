// The two fields of an entry, the same in the new-entry form and the editor: the value as JSON
// text, and the time to live in seconds (empty: it never expires).

import { Field } from "../../components/Field";
import { TextField } from "../../components/TextField";

interface KvFieldProps {
  value: string;
  onInput: (text: string) => void;
  /** What is wrong with the text, if anything; the field is then marked invalid. */
  problem: string | null;
  /** Classes for the label besides `field`. */
  class?: string;
  testId?: string;
}

export function KvValueField(props: KvFieldProps & { rows: number; placeholder?: string }) {
  return (
    <Field class={props.class} label="Value (JSON)">
      <textarea
        data-testid={props.testId}
        class="code"
        rows={props.rows}
        spellcheck={false}
        autocapitalize="none"
        placeholder={props.placeholder}
        value={props.value}
        onInput={(event) => props.onInput(event.currentTarget.value)}
        aria-invalid={props.problem !== null}
      />
    </Field>
  );
}

export function KvTtlField(props: KvFieldProps) {
  return (
    <TextField
      class={props.class}
      label="TTL seconds"
      testId={props.testId}
      inputmode="numeric"
      placeholder="never expires"
      value={props.value}
      onInput={props.onInput}
      aria-invalid={props.problem !== null}
    />
  );
}
