// The audit log's filter bar: actor, action, result, and a range of days.

import { For, Show, splitProps } from "solid-js";
import { Field } from "../../components/Field";
import { Form } from "../../components/Form";
import { TextField, type TextFieldProps } from "../../components/TextField";
import { resultChoiceLabel } from "./auditDisplay";
import { type AuditFilterInput, MAX_FILTER_TEXT_CHARS, RESULT_CHOICES } from "./auditFilter";
import type { AuditLog } from "./createAuditLog";

export function AuditFilters(props: { filter: AuditLog["filter"] }) {
  const filter = props.filter;
  return (
    <Form class="card audit-filters">
      <FilterField filter={filter} part="actor" label="Actor" placeholder="part of a name" />
      <FilterField filter={filter} part="action" label="Action" placeholder="part of it, e.g. login" />
      <Field label="Result">
        <select
          data-testid="audit-filter-result"
          value={filter.input().result}
          onChange={(event) => filter.change("result", event.currentTarget.value)}
        >
          <option value="">any</option>
          <For each={RESULT_CHOICES}>{(result) => <option value={result}>{resultChoiceLabel(result)}</option>}</For>
        </select>
      </Field>
      <FilterField filter={filter} part="from" label="From" type="date" max={filter.input().to || undefined} />
      <FilterField filter={filter} part="to" label="To" type="date" min={filter.input().from || undefined} />
      <Show when={filter.isFiltered()}>
        <div class="audit-filters-clear">
          <button type="button" data-testid="audit-filter-clear" onClick={filter.clear}>
            Clear
          </button>
        </div>
      </Show>
    </Form>
  );
}

type FilterFieldProps = Omit<TextFieldProps, "value" | "onInput" | "testId" | "type"> & {
  filter: AuditLog["filter"];
  /** The part of the filter the field edits. */
  part: Exclude<keyof AuditFilterInput, "result">;
  /** A day picker, or (by default) a search box for text. */
  type?: "date" | "search";
};

/** A field bound to one part of the filter; a text one takes what is typed as it is (no capitals, no spell check). */
function FilterField(props: FilterFieldProps) {
  const [own, field] = splitProps(props, ["filter", "part", "type"]);
  const isText = () => (own.type ?? "search") === "search";
  return (
    <TextField
      {...field}
      testId={`audit-filter-${own.part}`}
      type={own.type ?? "search"}
      autocapitalize={isText() ? "none" : undefined}
      spellcheck={isText() ? false : undefined}
      maxLength={isText() ? MAX_FILTER_TEXT_CHARS : undefined}
      value={own.filter.input()[own.part]}
      onInput={(value) => own.filter.change(own.part, value)}
    />
  );
}
