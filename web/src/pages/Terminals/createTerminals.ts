// The state of the Terminals page: the sessions the user may see, the one on screen (kept in the
// address, so a reload or a link on another device comes back to it), opening and closing.
import { useSearchParams } from "@solidjs/router";
import { createSignal } from "solid-js";
import { createAction, createRowActions } from "../../lib/action";
import { currentUser } from "../../lib/auth";
import { hasPermission } from "../../lib/permissions";
import { fetchPrograms, type ProgramSummary } from "../Programs/programsOperations";
import {
  closeTerminal,
  fetchSharePartners,
  fetchTerminals,
  type OpenTerminalInput,
  openTerminal,
  type ShareMode,
  type SharePartner,
  shareTerminal,
  type TerminalSummary,
} from "./terminalsOperations";

/** The size a new terminal starts with; the screen fits it to the window as soon as it shows. */
const INITIAL_SIZE = { cols: 80, rows: 24 };

export function createTerminals() {
  const [params, setParams] = useSearchParams<{ id?: string }>();
  const [terminals, setTerminals] = createSignal<TerminalSummary[]>([]);
  const rows = createRowActions<"close" | "share">();
  const [partners, setPartners] = createSignal<SharePartner[]>([]);
  const [programs, setPrograms] = createSignal<ProgramSummary[]>([]);

  const shownId = () => params.id ?? null;
  const show = (id: string | null) => setParams({ id: id ?? undefined });
  const shown = () => terminals().find((t) => t.id === shownId()) ?? null;

  const load = createAction(async () => {
    setTerminals(await fetchTerminals());
    // Programs with an entry point can run in a terminal; only those who may list programs are offered them.
    if (hasPermission(currentUser(), "programs:read")) setPrograms((await fetchPrograms()).filter((p) => p.entryPath));
  });
  const replace = (changed: TerminalSummary) => setTerminals((all) => all.map((t) => (t.id === changed.id ? changed : t)));

  /** Asks who the user could share with (once, when they first want to share). */
  const loadPartners = createAction(async () => setPartners(await fetchSharePartners()));
  const share = (id: string, userId: string, mode: ShareMode) =>
    rows.run(id, "share", async () => replace(await shareTerminal(id, userId, mode)));

  const open = createAction(async (input: Omit<OpenTerminalInput, "cols" | "rows">) => {
    const opened = await openTerminal({ ...INITIAL_SIZE, ...input });
    setTerminals((all) => [...all, opened]);
    show(opened.id);
  });

  const close = (id: string) =>
    rows.run(id, "close", async () => {
      await closeTerminal(id);
      if (shownId() === id) show(null);
      setTerminals((all) => all.filter((t) => t.id !== id));
    });

  void load.run();
  return { terminals, programs, shownId, shown, show, load, open, close, rows, partners, loadPartners, share };
}

export type TerminalsState = ReturnType<typeof createTerminals>;
