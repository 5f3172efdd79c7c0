// The Audit page's state: the filter (kept in the address, so a filtered view can be shared), the
// entries matching it newest first (paged), new entries arriving live through auditEvents, the
// entry whose details are open, and exports of what the filter matches.

import { useSearchParams } from "@solidjs/router";
import { createMemo, createSignal, onCleanup } from "solid-js";
import { createAction } from "../../lib/action";
import { createLiveList } from "../../lib/createLiveList";
import { prependMissing } from "../../lib/liveList";
import { type AuditFilterInput, EMPTY_FILTER, matchesAuditFilter, toAuditFilter } from "./auditFilter";
import { type AuditEntry, type AuditExportFormat, type AuditFilter, exportAuditLog, fetchAuditPage, watchAudit } from "./auditOperations";

const TEXT_DEBOUNCE_MS = 300;
// Long enough for the eye to catch a row that arrived live.
const FRESH_MS = 4000;

type FilterParams = { [K in keyof AuditFilterInput]?: string };

export function createAuditLog() {
  const [searchParams, setSearchParams] = useSearchParams<FilterParams>();
  const fromAddress = (): AuditFilterInput => ({
    actor: searchParams.actor ?? "",
    action: searchParams.action ?? "",
    result: searchParams.result ?? "",
    from: searchParams.from ?? "",
    to: searchParams.to ?? "",
  });

  // ---- The filter: as typed, and as applied once typing pauses ----
  const [input, setInput] = createSignal<AuditFilterInput>(fromAddress());
  const [applied, setApplied] = createSignal<AuditFilterInput>(input());
  const filter = createMemo(() => toAuditFilter(applied()));
  let textTimer: ReturnType<typeof setTimeout> | undefined;
  onCleanup(() => clearTimeout(textTimer));

  function apply(next: AuditFilterInput) {
    clearTimeout(textTimer);
    setApplied(next);
    setSearchParams(Object.fromEntries(Object.entries(next).map(([name, value]) => [name, value || undefined])), { replace: true });
  }

  /** Changes one part of the filter: text is applied when typing pauses, choices at once. */
  function change(part: keyof AuditFilterInput, value: string) {
    const next = { ...input(), [part]: value };
    setInput(next);
    if (part === "actor" || part === "action") {
      clearTimeout(textTimer);
      textTimer = setTimeout(() => apply(next), TEXT_DEBOUNCE_MS);
    } else apply(next);
  }

  const clear = () => {
    setInput(EMPTY_FILTER);
    apply(EMPTY_FILTER);
  };
  const isFiltered = () => Object.values(applied()).some((value) => value !== "");

  // ---- The entries, with those that arrived live marked for a moment ----
  const [fresh, setFresh] = createSignal<ReadonlySet<string>>(new Set());
  const freshTimers = new Set<ReturnType<typeof setTimeout>>();
  onCleanup(() => {
    for (const timer of freshTimers) clearTimeout(timer);
  });

  function markFresh(id: string) {
    setFresh((ids) => new Set(ids).add(id));
    const timer = setTimeout(() => {
      freshTimers.delete(timer);
      setFresh((ids) => {
        const rest = new Set(ids);
        rest.delete(id);
        return rest;
      });
    }, FRESH_MS);
    freshTimers.add(timer);
  }

  const keyOf = (entry: AuditEntry) => entry.id;
  // The live changes of this list are the new entries themselves.
  const list = createLiveList<AuditEntry, AuditEntry, AuditFilter>({
    params: filter,
    fetchPage: fetchAuditPage,
    // The server sends every new entry; the filter is applied here, as the server applies it to pages.
    watch: (_filter, onEntry, onError) => watchAudit(onEntry, onError),
    applyChange: (entries, entry) => prependMissing(entries, entry, keyOf),
    keyOf,
    onLiveChange: (entry, current) => {
      if (!matchesAuditFilter(entry, current)) return false;
      if (!list.has(entry.id)) markFresh(entry.id);
      return true;
    },
  });

  // ---- Details and exports ----
  const [opened, setOpened] = createSignal<AuditEntry | null>(null);

  const [exportingFormat, setExportingFormat] = createSignal<AuditExportFormat | null>(null);
  // What is typed counts, even while the pause before applying it runs.
  const exporting = createAction((format: AuditExportFormat) => {
    apply(input());
    return exportAuditLog(format, toAuditFilter(input()));
  });
  async function runExport(format: AuditExportFormat) {
    if (exportingFormat()) return;
    setExportingFormat(format);
    await exporting.run(format);
    setExportingFormat(null);
  }

  return {
    filter: { input, change, clear, isFiltered },
    details: { entry: opened, open: (entry: AuditEntry) => setOpened(entry), close: () => setOpened(null) },
    export: { run: (format: AuditExportFormat) => void runExport(format), busy: exportingFormat, error: exporting.error },
    list: {
      ...list.view,
      isFresh: (id: string) => fresh().has(id),
    },
    live: list.live,
  };
}

export type AuditLog = ReturnType<typeof createAuditLog>;
