// The time limit of a run or shell command, shared by the Programs page's two forms.
import { TextField } from "../../components/TextField";
import type { TimeLimit } from "./createRunForms";

/** Whole seconds a run may take; empty for the server's default. */
export function TimeLimitField(props: { timeLimit: TimeLimit; problem: string | null; testId: string }) {
  return (
    <TextField
      label="Time limit (seconds)"
      class="field-short"
      inputMode="numeric"
      value={props.timeLimit.text()}
      onInput={props.timeLimit.setText}
      hint={props.timeLimit.hint()}
      problem={props.problem}
      testId={props.testId}
      autocomplete="off"
    />
  );
}
