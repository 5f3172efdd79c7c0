// The audit log's filter bar: actor, action, result, and a range of days.

import { For, Show } from "solid-js";
import { RESULT_CHOICES } from "./auditFilter";
import type { AuditLog } from "./createAuditLog";

export function AuditFilters(props: { filter: AuditLog["filter"] }) {
  const filter = props.filter;
  return (
    <form class="card audit-filters" onSubmit={(event) => event.preventDefault()}>
      <label class="field">
        <span>Actor</span>
        <input
          data-testid="audit-filter-actor"
          type="search"
          autocapitalize="none"
          spellcheck={false}
          placeholder="part of a name"
          value={filter.input().actor}
          onInput={(event) => filter.change("actor", event.currentTarget.value)}
        />
      </label>
      <label class="field">
        <span>Action</span>
        <input
          data-testid="audit-filter-action"
          type="search"
          autocapitalize="none"
          spellcheck={false}
          placeholder="e.g. mutation.login"
          value={filter.input().action}
          onInput={(event) => filter.change("action", event.currentTarget.value)}
        />
      </label>
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
      <label class="field">
        <span>From</span>
        <input
          data-testid="audit-filter-from"
          type="date"
          max={filter.input().to || undefined}
          value={filter.input().from}
          onInput={(event) => filter.change("from", event.currentTarget.value)}
        />
      </label>
      <label class="field">
        <span>To</span>
        <input
          data-testid="audit-filter-to"
          type="date"
          min={filter.input().from || undefined}
          value={filter.input().to}
          onInput={(event) => filter.change("to", event.currentTarget.value)}
        />
      </label>
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
