// Who else may watch or type into a terminal: its shares with a button to take each back, and a
// form to share it with another user who may use terminals.
import { createSignal, For, onMount, Show } from "solid-js";
import { ErrorMessage } from "../../components/ErrorMessage";
import type { TerminalsState } from "./createTerminals";
import type { ShareMode, TerminalSummary } from "./terminalsOperations";

const MODE_LABELS: Record<Exclude<ShareMode, "NONE">, string> = { READ_ONLY: "may watch", READ_WRITE: "may watch and type" };

export function SharePanel(props: { state: TerminalsState; terminal: TerminalSummary }) {
  const [userId, setUserId] = createSignal("");
  const [mode, setMode] = createSignal<Exclude<ShareMode, "NONE">>("READ_ONLY");
  onMount(() => void props.state.loadPartners.run());
  const busy = () => props.state.rows.busy(props.terminal.id) !== undefined;
  return (
    <div class="terminal-share" data-testid="terminal-share">
      <ul>
        <For each={props.terminal.shares}>
          {(share) => (
            <li>
              {share.username} {MODE_LABELS[share.mode as Exclude<ShareMode, "NONE">]}{" "}
              <button type="button" disabled={busy()} onClick={() => void props.state.share(props.terminal.id, share.userId, "NONE")}>
                Stop sharing
              </button>
            </li>
          )}
        </For>
      </ul>
      <ErrorMessage error={props.state.loadPartners.error()} onRetry={() => void props.state.loadPartners.run()} />
      <Show when={props.state.partners().length > 0} fallback={<p class="muted">Nobody else may use terminals.</p>}>
        <div class="terminal-share-form">
          <select
            aria-label="Share with"
            data-testid="terminal-share-user"
            value={userId()}
            onChange={(e) => setUserId(e.currentTarget.value)}
          >
            <option value="">Share with…</option>
            <For each={props.state.partners()}>{(partner) => <option value={partner.userId}>{partner.username}</option>}</For>
          </select>
          <select
            aria-label="Access"
            data-testid="terminal-share-mode"
            value={mode()}
            onChange={(e) => setMode(e.currentTarget.value as Exclude<ShareMode, "NONE">)}
          >
            <option value="READ_ONLY">{MODE_LABELS.READ_ONLY}</option>
            <option value="READ_WRITE">{MODE_LABELS.READ_WRITE}</option>
          </select>
          <button
            type="button"
            data-testid="terminal-share-submit"
            disabled={!userId() || busy()}
            onClick={() => void props.state.share(props.terminal.id, userId(), mode())}
          >
            {props.state.rows.busy(props.terminal.id) === "share" ? "Sharing…" : "Share"}
          </button>
        </div>
      </Show>
    </div>
  );
}
