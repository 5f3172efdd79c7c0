// Shells on the box in the browser: open one (or a command), leave and come back to the same
// screen from any device, see how it ended, close it.
import { createSignal, For, Show } from "solid-js";
import { ErrorMessage, RowErrorMessage } from "../../components/ErrorMessage";
import { Form, SubmitButton } from "../../components/Form";
import { PageTitle } from "../../components/PageTitle";
import { TextField } from "../../components/TextField";
import { currentUser } from "../../lib/auth";
import { formatInstant } from "../../lib/format";
import { createTerminals, type TerminalsState } from "./createTerminals";
import { SharePanel } from "./SharePanel";
import { TerminalScreen } from "./TerminalScreen";
import type { TerminalSummary } from "./terminalsOperations";

export default function TerminalsPage() {
  const state = createTerminals();
  // Kept here, not in the row: a share replaces the row's terminal, which redraws the row.
  const [sharingId, setSharingId] = createSignal<string | null>(null);
  return (
    <section class="page terminals-page">
      <PageTitle title="Terminals">
        <button type="button" onClick={() => void state.load.run()} disabled={state.load.busy()}>
          {state.load.busy() ? "Refreshing…" : "Refresh"}
        </button>
      </PageTitle>
      <ErrorMessage error={state.load.error()} onRetry={() => void state.load.run()} />
      <NewTerminalForm state={state} />
      <ul class="terminals-list" data-testid="terminals-list">
        <For each={state.terminals()} fallback={<li class="muted">No terminals yet.</li>}>
          {(terminal) => (
            <TerminalRow
              state={state}
              terminal={terminal}
              sharing={sharingId() === terminal.id}
              onToggleSharing={() => setSharingId(sharingId() === terminal.id ? null : terminal.id)}
            />
          )}
        </For>
      </ul>
      <Show when={state.shown()?.id} keyed>
        {(id) => (
          <TerminalScreen
            terminalId={id}
            writable={state.shown()?.access !== "READ_ONLY"}
            size={state.shown() ?? { cols: 80, rows: 24 }}
            onExit={() => void state.load.run()}
          />
        )}
      </Show>
    </section>
  );
}

function NewTerminalForm(props: { state: TerminalsState }) {
  const [command, setCommand] = createSignal("");
  const [cwd, setCwd] = createSignal("");
  const [programId, setProgramId] = createSignal("");
  const orNull = (text: string) => (text.trim() ? text.trim() : null);
  return (
    <Form
      class="terminals-new"
      onSubmit={() =>
        void props.state.open.run(
          programId()
            ? { programId: programId(), command: null, cwd: null }
            : { programId: null, command: orNull(command()), cwd: orNull(cwd()) },
        )
      }
    >
      <Show when={props.state.programs().length > 0}>
        <label class="field">
          <span>Run</span>
          <select data-testid="terminal-program" value={programId()} onChange={(e) => setProgramId(e.currentTarget.value)}>
            <option value="">A shell or command</option>
            <For each={props.state.programs()}>{(program) => <option value={program.id}>Program {program.name}</option>}</For>
          </select>
        </label>
      </Show>
      <TextField
        disabled={programId() !== ""}
        label="Command"
        hint="Empty: your login shell"
        value={command()}
        onInput={setCommand}
        testId="terminal-command"
        autocomplete="off"
        spellcheck={false}
      />
      <TextField
        disabled={programId() !== ""}
        label="Folder"
        hint="An absolute path; empty: your home"
        value={cwd()}
        onInput={setCwd}
        testId="terminal-cwd"
        autocomplete="off"
        spellcheck={false}
      />
      <SubmitButton label="Open terminal" busyLabel="Opening…" busy={props.state.open.busy()} disabled={false} testId="terminal-open" />
      <ErrorMessage error={props.state.open.error()} />
    </Form>
  );
}

function TerminalRow(props: { state: TerminalsState; terminal: TerminalSummary; sharing: boolean; onToggleSharing: () => void }) {
  const t = () => props.terminal;
  const status = () => (t().running ? "running" : t().exitCode === null ? "ended by a signal" : `exited with ${t().exitCode}`);
  const isOwn = () => t().ownerId === currentUser()?.id;
  const access = () => (t().access === "READ_ONLY" ? " · read-only" : t().access === "READ_WRITE" ? " · shared with you" : "");
  return (
    <li data-testid="terminal-row" data-id={t().id} aria-current={props.state.shownId() === t().id ? "true" : undefined}>
      <div class="terminal-row-main">
        <button type="button" class="link-button" data-testid="terminal-show" onClick={() => props.state.show(t().id)}>
          {t().command}
        </button>
        <span class="muted">
          {" "}
          {status()} · {t().cols}×{t().rows} · {t().viewers} watching · opened {formatInstant(t().createdAt)}
          <Show when={!isOwn()}> · {t().ownerName}'s</Show>
          {access()}
          <Show when={t().shares.length > 0}> · shared with {t().shares.length}</Show>
        </span>
      </div>
      <Show when={t().access === "OWNER"}>
        <button type="button" data-testid="terminal-share-toggle" aria-expanded={props.sharing} onClick={() => props.onToggleSharing()}>
          Share
        </button>
        <button
          type="button"
          class="danger"
          data-testid="terminal-close"
          disabled={props.state.rows.busy(t().id) !== undefined}
          onClick={() => void props.state.close(t().id)}
        >
          {t().running ? "Close" : "Dismiss"}
        </button>
      </Show>
      <RowErrorMessage error={props.state.rows.error(t().id)} />
      <Show when={props.sharing}>
        <SharePanel state={props.state} terminal={t()} />
      </Show>
    </li>
  );
}
