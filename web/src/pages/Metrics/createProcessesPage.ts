// The Processes page's state: the list for the sort and filter picked, read again every few
// seconds while the page is open (CPU shares come from two readings), and signals sent after the
// user confirms.

import { createEffect, createSignal, on, onCleanup } from "solid-js";
import { createAction } from "../../lib/action";
import { confirmAction } from "../../lib/confirm";
import { fetchProcesses, type ProcessRow, type ProcessSignal, type ProcessSort, signalProcess } from "./processesOperations";

const REFRESH_MS = 5000;
const SHOWN = 100;

/** What each signal does, for the question asked before sending it. */
export const SIGNAL_EFFECTS: Record<ProcessSignal, string> = {
  TERM: "asks it to end",
  KILL: "ends it at once, without a chance to clean up",
  HUP: "hangs up on it (many daemons reload their configuration)",
  INT: "interrupts it, as Ctrl-C would",
  STOP: "pauses it until it gets CONT",
  CONT: "resumes it after STOP",
};

export function createProcessesPage() {
  const [sortBy, setSortBy] = createSignal<ProcessSort>("CPU");
  const [filter, setFilter] = createSignal("");
  const [rows, setRows] = createSignal<readonly ProcessRow[] | null>(null);
  const load = createAction(async () => setRows(await fetchProcesses({ sortBy: sortBy(), filter: filter(), limit: SHOWN })));
  createEffect(on([sortBy, filter], () => void load.run()));
  const timer = setInterval(() => void load.run(), REFRESH_MS);
  onCleanup(() => clearInterval(timer));

  const send = createAction(async (row: ProcessRow, signal: ProcessSignal) => {
    const goAhead = await confirmAction({
      question: `Send ${signal} to ${row.name} (pid ${row.pid})?`,
      detail: `${signal} ${SIGNAL_EFFECTS[signal]}. Command: ${row.command}`,
      confirmLabel: `Send ${signal}`,
    });
    if (!goAhead) return;
    await signalProcess(row.pid, signal);
    await load.run();
  });

  return {
    rows,
    sortBy,
    setSortBy,
    filter,
    setFilter,
    loading: load.busy,
    error: load.error,
    refresh: () => void load.run(),
    send: (row: ProcessRow, signal: ProcessSignal) => void send.run(row, signal),
    sending: send.busy,
    sendError: send.error,
  };
}
