// Creates an entry that must not exist yet (expectedVersion 0), so it never overwrites one. On a
// phone it starts folded to its key field, so the list stays in view; it unfolds while it has the
// focus or holds anything typed.

import { createSignal } from "solid-js";
import { ErrorMessage } from "../../components/ErrorMessage";
import { Form, SubmitButton } from "../../components/Form";
import { Saved } from "../../components/Saved";
import { TextField } from "../../components/TextField";
import type { KvNewEntryState } from "./createKvBrowser";
import { KvTtlField, KvValueField } from "./KvFields";

export function KvNewEntryForm(props: { form: KvNewEntryState }) {
  const form = props.form;
  const [focused, setFocused] = createSignal(false);
  const folded = () => !focused() && form.key() === "" && form.valueText() === "" && form.ttlText() === "" && form.error() === null;
  return (
    <Form
      class="card kv-new"
      classList={{ folded: folded() }}
      onSubmit={form.create}
      onFocusIn={() => setFocused(true)}
      onFocusOut={(event) => setFocused(event.currentTarget.contains(event.relatedTarget as Node | null))}
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
        <KvTtlField class="kv-new-ttl" testId="kv-new-ttl" value={form.ttlText()} onInput={form.setTtlText} problem={form.ttlProblem()} />
        <KvValueField
          class="kv-new-value"
          testId="kv-new-value"
          rows={3}
          placeholder='{"enabled": true}'
          value={form.valueText()}
          onInput={form.setValueText}
          problem={form.valueProblem()}
        />
      </div>
      <ErrorMessage error={form.valueProblem()} />
      <ErrorMessage error={form.ttlProblem()} />
      <ErrorMessage error={form.error()} />
      <Saved notice={form.created()} testId="kv-new-created" />
      <div class="actions kv-new-actions">
        <SubmitButton label="Create" busyLabel="Creating…" busy={form.busy()} disabled={!form.canCreate()} testId="kv-new-submit" />
      </div>
    </Form>
  );
}
