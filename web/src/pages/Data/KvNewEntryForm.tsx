// Creates an entry that must not exist yet (expectedVersion 0), so it never overwrites one.

import { ErrorMessage } from "../../components/ErrorMessage";
import { TextField } from "../../components/TextField";
import type { KvNewEntryState } from "./createKvBrowser";

export function KvNewEntryForm(props: { form: KvNewEntryState }) {
  const form = props.form;
  return (
    <form
      class="card kv-new"
      onSubmit={(event) => {
        event.preventDefault();
        void form.create();
      }}
    >
      <h2>New entry</h2>
      <div class="kv-new-fields">
        <TextField
          class="kv-new-key"
          label="Key"
          testId="kv-new-key"
          autocapitalize="none"
          spellcheck={false}
          placeholder="e.g. config/site"
          value={form.key()}
          onInput={form.setKey}
        />
        <TextField
          class="kv-new-ttl"
          label="TTL seconds"
          testId="kv-new-ttl"
          inputmode="numeric"
          placeholder="never expires"
          value={form.ttlText()}
          onInput={form.setTtlText}
          aria-invalid={form.ttlProblem() !== null}
        />
        <label class="field kv-new-value">
          <span>Value (JSON)</span>
          <textarea
            data-testid="kv-new-value"
            class="code"
            rows={3}
            spellcheck={false}
            autocapitalize="none"
            placeholder='{"enabled": true}'
            value={form.valueText()}
            onInput={(event) => form.setValueText(event.currentTarget.value)}
            aria-invalid={form.valueProblem() !== null}
          />
        </label>
      </div>
      <ErrorMessage error={form.valueProblem()} />
      <ErrorMessage error={form.ttlProblem()} />
      <ErrorMessage error={form.error()} />
      <div class="actions">
        <button type="submit" class="primary" data-testid="kv-new-submit" disabled={!form.canCreate()}>
          {form.busy() ? "Creating…" : "Create"}
        </button>
      </div>
    </form>
  );
}
