// Upload scripts and ZIP projects, choose their entry point, run them with arguments, environment,
// standard input and a time limit, watch the output stream in, cancel, look back at runs and who
// started them; and run shell commands in a chosen folder.
import { createEffect, createSignal, For, on, Show } from "solid-js";
import { ErrorMessage } from "../../components/ErrorMessage";
import { Form, SubmitButton } from "../../components/Form";
import { PageTitle } from "../../components/PageTitle";
import { TextAreaField } from "../../components/TextAreaField";
import { TextField } from "../../components/TextField";
import { currentUser } from "../../lib/auth";
import { formatBytes, formatInstant } from "../../lib/format";
import { hasPermission } from "../../lib/permissions";
import { CommandBox } from "./CommandBox";
import { createPrograms, type ProgramsState } from "./createPrograms";
import { createRunForm } from "./createRunForms";
import { type FileTreeNode, fileTree } from "./fileTree";
import type { RunStatus, RunSummary } from "./programsOperations";
import { TimeLimitField } from "./TimeLimitField";

const STATUSES: RunStatus[] = ["QUEUED", "RUNNING", "SUCCEEDED", "FAILED", "CANCELLED", "TIMED_OUT", "LOST"];

/** Who started a run, by name; null when no user did (or no run is given). */
const starterOf = (run: Pick<RunSummary, "startedBy" | "startedByName"> | null): string | null =>
  run?.startedBy ? (run.startedByName ?? "a deleted user") : null;

export default function ProgramsPage() {
  const state = createPrograms();
  const may = (permission: "programs:manage" | "programs:run" | "exec") => hasPermission(currentUser(), permission);
  return (
    <section class="page programs-page">
      <PageTitle title="Programs" />
      <ErrorMessage error={state.load.error()} onRetry={() => void state.load.run()} />
      <Show when={may("programs:manage")}>
        <UploadBox state={state} />
      </Show>
      <Show when={may("exec")}>
        <CommandBox state={state} />
      </Show>
      <div class="programs-layout">
        <ul class="programs-list" data-testid="programs-list">
          <For each={state.programs()} fallback={<li class="muted">No programs yet.</li>}>
            {(program) => (
              <li>
                <button
                  type="button"
                  class="link-button"
                  data-testid="program-row"
                  data-name={program.name}
                  aria-current={state.open()?.id === program.id ? "true" : undefined}
                  onClick={() => void state.openProgram.run(program.id)}
                >
                  {program.name}
                </button>
                <span class="muted">
                  {" "}
                  {program.entryPath ?? "no entry point"} · {program.runCount} runs
                </span>
              </li>
            )}
          </For>
        </ul>
        <div class="programs-detail">
          <ErrorMessage error={state.openProgram.error()} />
          <Show when={state.open()}>
            {(program) => (
              <ProgramPanel state={state} canManage={may("programs:manage")} canRun={may("programs:run")} program={program()} />
            )}
          </Show>
          <Show when={state.run()}>
            <RunView state={state} canCancel={may("programs:run")} />
          </Show>
          <History state={state} />
        </div>
      </div>
    </section>
  );
}

function UploadBox(props: { state: ProgramsState }) {
  let picker: HTMLInputElement | undefined;
  return (
    <div class="programs-upload">
      <button
        type="button"
        class="primary"
        data-testid="program-upload-choose"
        disabled={props.state.upload.busy()}
        onClick={() => picker?.click()}
      >
        {props.state.upload.busy() ? "Uploading…" : "Upload a script or ZIP"}
      </button>
      <input
        ref={picker}
        type="file"
        hidden
        data-testid="program-upload-input"
        onChange={(event) => {
          const file = event.currentTarget.files?.[0];
          event.currentTarget.value = "";
          if (file) void props.state.upload.run(file);
        }}
      />
      <Show when={props.state.uploadShare() !== null}>
        <progress data-testid="program-upload-progress" max="100" value={Math.round((props.state.uploadShare() ?? 0) * 100)} />
      </Show>
      <Show when={props.state.largeUpload()}>
        {(large) => (
          <Show when={large().state() !== "done" || props.state.install.busy()}>
            <p class="programs-large-upload" data-testid="program-large-upload">
              {large().name}: {large().state() === "done" ? "unpacking…" : large().state()}{" "}
              <progress max={large().sizeBytes} value={large().sentBytes()} />
              <Show when={large().state() === "uploading" || large().state() === "retrying"}>
                <button type="button" onClick={() => large().pause()}>
                  Pause
                </button>
              </Show>
              <Show when={large().state() === "paused" || large().state() === "failed"}>
                <button type="button" onClick={() => large().resume()}>
                  Resume
                </button>
              </Show>
            </p>
            <ErrorMessage error={large().error()} />
          </Show>
        )}
      </Show>
      <ErrorMessage error={props.state.upload.error()} />
      <ErrorMessage error={props.state.install.error()} />
    </div>
  );
}

function ProgramPanel(props: {
  state: ProgramsState;
  program: NonNullable<ReturnType<ProgramsState["open"]>>;
  canManage: boolean;
  canRun: boolean;
}) {
  const run = createRunForm(props.state.runLimits, (request) => void props.state.start.run(request));
  const [newName, setNewName] = createSignal(props.program.name);
  // The panel stays as another program opens: the name field follows it.
  createEffect(on(() => props.program.name, setNewName));
  return (
    <div class="program-panel" data-testid="program-panel">
      <h2>{props.program.name}</h2>
      <p class="muted">
        {props.program.fileCount} files, {formatBytes(props.program.sizeBytes)} · runs with {props.program.interpreter ?? "—"}
      </p>
      <label class="field">
        <span>Entry point</span>
        <select
          data-testid="program-entry"
          disabled={!props.canManage || props.state.chooseEntry.busy()}
          value={props.program.entryPath ?? ""}
          onChange={(event) => void props.state.chooseEntry.run(event.currentTarget.value)}
        >
          <Show when={!props.program.entryPath}>
            <option value="">Choose a file…</option>
          </Show>
          <For each={props.program.files}>{(file) => <option value={file.path}>{file.path}</option>}</For>
        </select>
      </label>
      <ErrorMessage error={props.state.chooseEntry.error()} />
      <details class="program-files">
        <summary>Files</summary>
        <FileTree nodes={fileTree(props.program.files)} testId="program-files" />
      </details>
      <Show when={props.canManage}>
        <Form class="program-rename" onSubmit={() => void props.state.rename.run(newName())}>
          <TextField label="Name" value={newName()} onInput={setNewName} testId="program-name" autocomplete="off" />
          <SubmitButton
            label="Rename"
            busyLabel="Renaming…"
            busy={props.state.rename.busy()}
            disabled={!newName().trim() || newName() === props.program.name}
            testId="program-rename"
          />
          <ErrorMessage error={props.state.rename.error()} />
        </Form>
      </Show>
      <Show when={props.canRun}>
        <Form class="program-run" onSubmit={run.submit}>
          <TextField label="Arguments" value={run.args()} onInput={run.setArgs} testId="run-args" autocomplete="off" />
          <TextAreaField
            label="Environment (NAME=value lines)"
            rows={2}
            value={run.env()}
            onInput={run.setEnv}
            problem={run.problem("env")}
            testId="run-env"
          />
          <TextAreaField
            label="Standard input"
            hint="Optional: what the program reads from stdin."
            rows={3}
            value={run.stdin()}
            onInput={run.setStdin}
            problem={run.problem("stdin")}
            testId="run-stdin"
          />
          <TimeLimitField timeLimit={run.timeLimit} problem={run.problem("timeLimit")} testId="run-time-limit" />
          <SubmitButton
            label="Run"
            busyLabel="Starting…"
            busy={props.state.start.busy()}
            disabled={!props.program.entryPath}
            testId="run-submit"
          />
          <ErrorMessage error={props.state.start.error()} />
        </Form>
      </Show>
      <Show when={props.canManage}>
        <button
          type="button"
          class="danger"
          data-testid="program-delete"
          disabled={props.state.remove.busy()}
          onClick={() => void props.state.remove.run()}
        >
          Delete program
        </button>
        <ErrorMessage error={props.state.remove.error()} />
      </Show>
    </div>
  );
}

/** Folders (collapsible, open at first) and files with their sizes. */
function FileTree(props: { nodes: FileTreeNode<{ path: string; sizeBytes: number }>[]; testId?: string }) {
  return (
    <ul class="file-tree" data-testid={props.testId}>
      <For each={props.nodes}>
        {(node) => (
          <li>
            <Show
              when={node.file}
              fallback={
                <details open>
                  <summary>{node.name}/</summary>
                  <FileTree nodes={node.children} />
                </details>
              }
            >
              {(file) => (
                <>
                  {node.name} <span class="muted">{formatBytes(file().sizeBytes)}</span>
                </>
              )}
            </Show>
          </li>
        )}
      </For>
    </ul>
  );
}

function RunView(props: { state: ProgramsState; canCancel: boolean }) {
  const run = () => props.state.run();
  const active = () => ["QUEUED", "RUNNING"].includes(run()?.status ?? "");
  return (
    <div class="run-view" data-testid="run-view" data-status={run()?.status}>
      <div class="run-view-head">
        <strong data-testid="run-status">{run()?.status}</strong>
        <Show when={run()?.exitCode !== null && run()?.exitCode !== undefined}>
          <span> exit {run()?.exitCode}</span>
        </Show>
        <Show when={run()?.signal}>
          <span> {run()?.signal}</span>
        </Show>
        <Show when={run()?.status === "TIMED_OUT"}>
          <span data-testid="run-timed-out"> after its time limit of {run()?.timeoutSeconds} s</span>
        </Show>
        <Show when={run()?.durationMs !== null && run()?.durationMs !== undefined}>
          <span class="muted"> in {((run()?.durationMs ?? 0) / 1000).toFixed(2)} s</span>
        </Show>
        <Show when={starterOf(run())}>
          {(name) => (
            <span class="muted" data-testid="run-started-by">
              {" "}
              started by {name()}
            </span>
          )}
        </Show>
        <Show when={props.canCancel && active()}>
          <button
            type="button"
            class="danger"
            data-testid="run-cancel"
            disabled={props.state.cancel.busy()}
            onClick={() => void props.state.cancel.run()}
          >
            Cancel
          </button>
        </Show>
      </div>
      <ErrorMessage error={run()?.error ?? null} />
      <ErrorMessage error={props.state.cancel.error() ?? props.state.outputError()} />
      <pre class="run-output" data-testid="run-output">
        <For each={props.state.output()}>
          {(chunk) =>
            chunk.kind === "CUT" ? (
              <span class="run-cut">{`\n… ${formatBytes(chunk.droppedBytes ?? 0)} of output not kept …\n`}</span>
            ) : (
              <span class={chunk.stream === "STDERR" ? "run-stderr" : undefined}>
                <For each={chunk.pieces}>
                  {(piece) => (
                    <span
                      class={
                        piece.colour === null
                          ? piece.bold
                            ? "ansi-bold"
                            : undefined
                          : `ansi-${piece.colour}${piece.bold ? " ansi-bold" : ""}`
                      }
                    >
                      {piece.text}
                    </span>
                  )}
                </For>
              </span>
            )
          }
        </For>
      </pre>
    </div>
  );
}

function History(props: { state: ProgramsState }) {
  return (
    <div class="run-history">
      <div class="run-history-head">
        <h2>Runs{props.state.open() ? ` of ${props.state.open()?.name}` : ""}</h2>
        <select
          aria-label="Show runs that are"
          data-testid="run-filter"
          value={props.state.statusFilter() ?? ""}
          onChange={(event) => void props.state.filterHistory.run((event.currentTarget.value || null) as RunStatus | null)}
        >
          <option value="">All</option>
          <For each={STATUSES}>{(status) => <option value={status}>{status}</option>}</For>
        </select>
      </div>
      <ErrorMessage error={props.state.filterHistory.error()} />
      <ul data-testid="run-history">
        <For each={props.state.history()} fallback={<li class="muted">No runs.</li>}>
          {(run) => (
            <li>
              <button type="button" class="link-button" data-testid="history-row" onClick={() => props.state.watch(run)}>
                {run.kind === "COMMAND" ? run.command : (run.programName ?? run.command)}
              </button>
              <span class="muted">
                {" "}
                {run.status}
                {run.exitCode !== null ? ` (${run.exitCode})` : ""} · {formatInstant(run.createdAt)}
                <Show when={starterOf(run)}>{(name) => <span data-testid="history-started-by"> · by {name()}</span>}</Show>
              </span>
            </li>
          )}
        </For>
      </ul>
    </div>
  );
}
