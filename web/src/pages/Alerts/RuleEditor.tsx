// The form that adds an alert rule or changes the one being edited; the series field suggests the
// names the history holds.

import { createResource, For, Show } from "solid-js";
import { ErrorMessage } from "../../components/ErrorMessage";
import { Field, FieldProblem } from "../../components/Field";
import { Form, SubmitButton } from "../../components/Form";
import { Saved, type SavedNotice } from "../../components/Saved";
import { TextField } from "../../components/TextField";
import { type AlertComparison, fetchSeriesNames } from "./alertsOperations";
import type { RuleForm } from "./createRuleForm";

export function RuleEditor(props: { form: RuleForm; saved: SavedNotice | null }) {
  const form = props.form;
  // Suggestions only: without them the field still takes any name.
  const [seriesNames] = createResource(() => fetchSeriesNames().catch(() => [] as readonly string[]));
  return (
    <Form class="card rule-editor" data-testid="rule-editor" onSubmit={form.save}>
      <h3>{form.editing() ? "Change rule" : "New rule"}</h3>
      <TextField
        label="Name"
        testId="rule-name"
        maxLength={100}
        value={form.name()}
        problem={form.problem("name")}
        onInput={form.setName}
      />
      <TextField
        label="Series"
        testId="rule-series"
        maxLength={200}
        list="alert-series-names"
        autocapitalize="none"
        spellcheck={false}
        value={form.series()}
        problem={form.problem("series")}
        onInput={form.setSeries}
        hint="As Metrics names it; * stands for any text (disk.*.usedPercent watches each disk)."
      />
      <datalist id="alert-series-names">
        <For each={seriesNames() ?? []}>{(name) => <option value={name} />}</For>
      </datalist>
      <div class="rule-levels">
        <Field label="Alert when the value is">
          <select
            data-testid="rule-comparison"
            value={form.comparison()}
            onChange={(event) => form.setComparison(event.currentTarget.value as AlertComparison)}
          >
            <option value="ABOVE">at or above</option>
            <option value="BELOW">at or below</option>
          </select>
        </Field>
        <TextField
          label="Warning level"
          testId="rule-warning"
          inputMode="decimal"
          value={form.warning()}
          problem={form.problem("warning")}
          onInput={form.setWarning}
        />
        <TextField
          label="Critical level"
          testId="rule-critical"
          inputMode="decimal"
          value={form.critical()}
          problem={form.problem("critical")}
          onInput={form.setCritical}
        />
        <TextField
          label="For (seconds)"
          testId="rule-for"
          inputMode="numeric"
          value={form.forSeconds()}
          problem={form.problem("forSeconds")}
          onInput={form.setForSeconds}
        />
        <TextField
          label="Hysteresis"
          testId="rule-hysteresis"
          inputMode="decimal"
          value={form.hysteresis()}
          problem={form.problem("hysteresis")}
          onInput={form.setHysteresis}
          hint="How far back past the level before it resolves."
        />
      </div>
      <FieldProblem problem={form.levelProblem()} />
      <ErrorMessage error={form.error()} />
      <Saved notice={props.saved} />
      <div class="actions">
        <SubmitButton
          label={form.editing() ? "Save rule" : "Add rule"}
          busyLabel="Saving…"
          busy={form.busy()}
          disabled={form.busy()}
          testId="rule-save"
        />
        <Show when={form.editing()}>
          <button type="button" onClick={form.cancel}>
            Cancel
          </button>
        </Show>
      </div>
    </Form>
  );
}
