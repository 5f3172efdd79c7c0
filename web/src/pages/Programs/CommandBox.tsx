// The Programs page's shell command box (for those who may exec): the command, where it runs and
// its time limit.
import { For, Show } from "solid-js";
import { ErrorMessage } from "../../components/ErrorMessage";
import { Field } from "../../components/Field";
import { Form, SubmitButton } from "../../components/Form";
import { TextField } from "../../components/TextField";
import type { ProgramsState } from "./createPrograms";
import { createCommandForm } from "./createRunForms";
import { TimeLimitField } from "./TimeLimitField";

export function CommandBox(props: { state: ProgramsState }) {
  const form = createCommandForm(props.state.runLimits, (request) => void props.state.exec.run(request));
  return (
    <Form class="programs-command" onSubmit={form.submit}>
      <TextField
        label="Shell command"
        value={form.command()}
        onInput={form.setCommand}
        problem={form.problem("command")}
        testId="exec-command"
        autocomplete="off"
      />
      <Field label="Run in">
        <select data-testid="exec-place" value={form.placeValue()} onChange={(event) => form.choosePlace(event.currentTarget.value)}>
          <option value="home">The server's home folder</option>
          <For each={props.state.programs()}>
            {(program) => <option value={form.programPlace(program.id)}>Folder of {program.name}</option>}
          </For>
          <option value="path">Another folder…</option>
        </select>
      </Field>
      <Show when={form.typesFolder()}>
        <TextField
          label="Folder"
          value={form.folder()}
          onInput={form.setFolder}
          problem={form.problem("folder")}
          placeholder="/home/pi/project"
          testId="exec-folder"
          autocomplete="off"
          autocapitalize="none"
          spellcheck={false}
        />
      </Show>
      <TimeLimitField timeLimit={form.timeLimit} problem={form.problem("timeLimit")} testId="exec-time-limit" />
      <SubmitButton
        label="Run command"
        busyLabel="Starting…"
        busy={props.state.exec.busy()}
        disabled={!form.command().trim()}
        testId="exec-submit"
      />
      <ErrorMessage error={props.state.exec.error()} />
    </Form>
  );
}
