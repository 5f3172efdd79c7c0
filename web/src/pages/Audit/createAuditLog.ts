// The Audit page's state: the filter (kept in the address, so a filtered view can be shared), the
// entries matching it newest first (paged), and new entries arriving live through auditEvents.

import { useSearchParams } from "@solidjs/router";
import { createMemo, createSignal, onCleanup } from "solid-js";
import { createLiveList } from "../../lib/createLiveList";
import { prependMissing } from "../../lib/liveList";
import { type AuditFilterInput, EMPTY_FILTER, matchesAuditFilter, toAuditFilter } from "./auditFilter";
import { type AuditEntry, type AuditFilter, fetchAuditPage, watchAudit } from "./auditOperations";

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

  return {
    filter: { input, change, clear, isFiltered },
    list: {
      ...list.view,
      isFresh: (id: string) => fresh().has(id),
    },
    live: list.live,
  };
}

export type AuditLog = ReturnType<typeof createAuditLog>;
