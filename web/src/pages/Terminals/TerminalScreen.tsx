// One terminal on screen, drawn by xterm.js: the kept scrollback first, then live output; typing,
// pastes and the window's size go to the server over the terminal's own socket (lib/terminalSocket). Links are clickable,
// a selection is copied, and the search box finds text in the scrollback.
import "@xterm/xterm/css/xterm.css";
import { FitAddon } from "@xterm/addon-fit";
import { SearchAddon } from "@xterm/addon-search";
import { WebLinksAddon } from "@xterm/addon-web-links";
import { Terminal } from "@xterm/xterm";
import { createEffect, createSignal, For, onCleanup, onMount, Show } from "solid-js";
import { ErrorMessage } from "../../components/ErrorMessage";
import { type GraphQLRequestError, toRequestError } from "../../lib/graphql";
import { connectTerminal } from "../../lib/terminalSocket";
import { KEY_BAR_KEYS, type Modifiers, withModifiers } from "./terminalInput";

export interface TerminalScreenProps {
  terminalId: string;
  /** False for a read-only viewer: nothing is sent, and the screen keeps the terminal's size instead of the window's. */
  writable: boolean;
  /** The terminal's size, followed while the screen is not writable. */
  size: { cols: number; rows: number };
  /** Called once with the exit code (null: a signal ended it) when the terminal ends. */
  onExit: (exitCode: number | null) => void;
}

export function TerminalScreen(props: TerminalScreenProps) {
  let screen: HTMLDivElement | undefined;
  let host: HTMLDivElement | undefined;
  const [error, setError] = createSignal<GraphQLRequestError | null>(null);
  const [exited, setExited] = createSignal<{ exitCode: number | null } | null>(null);
  const [modifiers, setModifiers] = createSignal<Modifiers>({ ctrl: false, alt: false });
  const [searchText, setSearchText] = createSignal("");
  const terminal = new Terminal({ cursorBlink: true, fontSize: 14, scrollback: 10_000, allowProposedApi: false });
  const fit = new FitAddon();
  const search = new SearchAddon();
  terminal.loadAddon(fit);
  terminal.loadAddon(search);
  terminal.loadAddon(new WebLinksAddon());

  /** What the user typed, with the key bar's sticky modifiers applied to it (and then released). */
  const type = (typed: string) => {
    if (exited() || !props.writable) return;
    const held = modifiers();
    if (held.ctrl || held.alt) setModifiers({ ctrl: false, alt: false });
    connection?.input(withModifiers(typed, held));
  };

  let connection: ReturnType<typeof connectTerminal> | undefined;
  onMount(() => {
    if (!host) return;
    terminal.open(host);
    connection = connectTerminal(props.terminalId, {
      onOutput: (data, reset) => {
        if (reset) terminal.reset();
        terminal.write(data);
      },
      onExit: (exitCode) => {
        setExited({ exitCode });
        props.onExit(exitCode);
      },
      onError: setError,
      onConnected: () => setError(null),
    });
    terminal.onData(type);
    // Ctrl+Shift+C copies and Ctrl+Shift+V pastes (plain Ctrl+C and Ctrl+V belong to the program);
    // the browser's paste lands in xterm's own textarea, which sends it as one (bracketed) paste.
    terminal.attachCustomKeyEventHandler((event) => {
      if (event.type !== "keydown" || !event.ctrlKey || !event.shiftKey) return true;
      if (event.code === "KeyC") {
        void copySelection();
        return false;
      }
      return event.code !== "KeyV";
    });
    terminal.onSelectionChange(() => {
      if (terminal.hasSelection()) void copySelection();
    });
    terminal.onResize(({ cols, rows }) => {
      if (!exited() && props.writable) connection?.resize(cols, rows);
    });
    let fitting = 0;
    const observer = new ResizeObserver(() => {
      cancelAnimationFrame(fitting);
      fitting = requestAnimationFrame(() => props.writable && fit.fit());
    });
    // A watcher's window does not size the owner's terminal: the screen takes the terminal's size.
    createEffect(() => {
      if (!props.writable) terminal.resize(props.size.cols, props.size.rows);
    });
    observer.observe(host);
    terminal.focus();
    // On a phone the list above pushes the screen out of sight, and xterm.js draws nothing it cannot see.
    screen?.scrollIntoView({ block: "start" });
    onCleanup(() => {
      connection?.close();
      observer.disconnect();
      cancelAnimationFrame(fitting);
      terminal.dispose();
    });
  });

  // Clipboard access needs a secure context (https or localhost); elsewhere the browser's own copy still works.
  const copySelection = async () => {
    const selection = terminal.getSelection();
    if (selection) await navigator.clipboard?.writeText(selection).catch(() => {});
  };
  const paste = async () => {
    try {
      terminal.paste(await navigator.clipboard.readText());
    } catch {
      setError(toRequestError(new Error("The browser does not allow reading the clipboard here; paste with Ctrl+Shift+V.")));
    }
    terminal.focus();
  };
  const find = (forward: boolean) => {
    const text = searchText();
    if (!text) return;
    const found = forward ? search.findNext(text) : search.findPrevious(text);
    setError(found ? null : toRequestError(new Error(`"${text}" is not in the scrollback.`)));
  };
  /** Keeps the focus (and the phone's keyboard) in the terminal when a bar button is pressed. */
  const keepFocus = (event: PointerEvent | MouseEvent) => event.preventDefault();
  const toggle = (name: keyof Modifiers) => setModifiers((held) => ({ ...held, [name]: !held[name] }));

  return (
    <div class="terminal-screen" ref={screen} data-testid="terminal-screen" data-exited={exited() ? "true" : undefined}>
      <Show when={!props.writable}>
        <p class="muted">Shared with you read-only: you see what happens, and cannot type.</p>
      </Show>
      <div class="terminal-tools">
        <input
          type="search"
          placeholder="Find in scrollback"
          aria-label="Find in scrollback"
          data-testid="terminal-search"
          value={searchText()}
          onInput={(event) => setSearchText(event.currentTarget.value)}
          onKeyDown={(event) => {
            if (event.key === "Enter") find(!event.shiftKey);
          }}
        />
        <button type="button" onClick={() => find(false)} aria-label="Find previous">
          ↑
        </button>
        <button type="button" onClick={() => find(true)} aria-label="Find next">
          ↓
        </button>
        <button type="button" onMouseDown={keepFocus} onClick={() => void copySelection()}>
          Copy
        </button>
        <button type="button" onMouseDown={keepFocus} onClick={() => void paste()}>
          Paste
        </button>
      </div>
      <ErrorMessage error={error()} />
      <div class="terminal-host" ref={host} data-testid="terminal-host" />
      <Show when={exited()}>
        {(ended) => (
          <p class="terminal-exit" data-testid="terminal-exit">
            {ended().exitCode === null ? "The terminal was ended by a signal." : `The terminal exited with code ${ended().exitCode}.`}
          </p>
        )}
      </Show>
      <div class="terminal-key-bar" data-testid="terminal-key-bar">
        <For each={["ctrl", "alt"] as const}>
          {(name) => (
            <button
              type="button"
              class="terminal-key"
              aria-pressed={modifiers()[name]}
              data-testid={`terminal-key-${name}`}
              onMouseDown={keepFocus}
              onClick={() => toggle(name)}
            >
              {name === "ctrl" ? "Ctrl" : "Alt"}
            </button>
          )}
        </For>
        <For each={KEY_BAR_KEYS}>
          {(key) => (
            <button
              type="button"
              class="terminal-key"
              data-testid={`terminal-key-${key.name}`}
              onMouseDown={keepFocus}
              onClick={() => type(key.sends)}
            >
              {key.label}
            </button>
          )}
        </For>
      </div>
    </div>
  );
}
