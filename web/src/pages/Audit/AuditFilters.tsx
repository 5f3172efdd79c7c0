// The audit log's filter bar: actor, action, result, and a range of days.

import { For, Show } from "solid-js";
import { TextField } from "../../components/TextField";
import { RESULT_CHOICES } from "./auditFilter";
import type { AuditLog } from "./createAuditLog";

export function AuditFilters(props: { filter: AuditLog["filter"] }) {
  const filter = props.filter;
  return (
    <form class="card audit-filters" onSubmit={(event) => event.preventDefault()}>
      <TextField
        label="Actor"
        testId="audit-filter-actor"
        type="search"
        autocapitalize="none"
        spellcheck={false}
        placeholder="part of a name"
        value={filter.input().actor}
        onInput={(value) => filter.change("actor", value)}
      />
      <TextField
        label="Action"
        testId="audit-filter-action"
        type="search"
        autocapitalize="none"
        spellcheck={false}
        placeholder="e.g. mutation.login"
        value={filter.input().action}
        onInput={(value) => filter.change("action", value)}
      />
      <label class="field">
        <span>Result</span>
        <select
          data-testid="audit-filter-result"
          value={filter.input().result}
          onChange={(event) => filter.change("result", event.currentTarget.value)}
        >
          <option value="">any</option>
          <For each={RESULT_CHOICES}>{(result) => <option value={result}>{result === "error" ? "any error" : result}</option>}</For>
        </select>
      </label>
      <TextField
        label="From"
        testId="audit-filter-from"
        type="date"
        max={filter.input().to || undefined}
        value={filter.input().from}
        onInput={(value) => filter.change("from", value)}
      />
      <TextField
        label="To"
        testId="audit-filter-to"
        type="date"
        min={filter.input().from || undefined}
        value={filter.input().to}
        onInput={(value) => filter.change("to", value)}
      />
      <Show when={filter.isFiltered()}>
        <div class="audit-filters-clear">
          <button type="button" data-testid="audit-filter-clear" onClick={filter.clear}>
            Clear
          </button>
        </div>
      </Show>
    </form>
  );
}
