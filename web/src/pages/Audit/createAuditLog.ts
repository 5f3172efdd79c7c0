// The Audit page's state: the filter (kept in the address, so a filtered view can be shared), the
// entries matching it newest first (paged), and new entries arriving live through auditEvents.

import { useSearchParams } from "@solidjs/router";
import { createEffect, createMemo, createSignal, on, onCleanup } from "solid-js";
import { type GraphQLRequestError, toRequestError } from "../../lib/graphql";
import { liveState, reloadOnReconnect } from "../../lib/liveUpdates";
import { type AuditFilterInput, EMPTY_FILTER, matchesAuditFilter, toAuditFilter } from "./auditFilter";
import { type AuditEntry, fetchAuditPage, watchAudit } from "./auditOperations";

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

  // ---- The entries ----
  const [entries, setEntries] = createSignal<readonly AuditEntry[]>([]);
  const [endCursor, setEndCursor] = createSignal<string | null>(null);
  const [hasNextPage, setHasNextPage] = createSignal(false);
  const [loading, setLoading] = createSignal<"first" | "more" | null>(null);
  const [error, setError] = createSignal<GraphQLRequestError | null>(null);
  let generation = 0;
  // Entries that arrived live while the first page was loading; put on top of it when it lands.
  let arrivedDuringLoad: AuditEntry[] = [];

  /** `page` appended to `list`, leaving out entries the list already shows. */
  const appendNew = (list: readonly AuditEntry[], page: readonly AuditEntry[]) => {
    const shown = new Set(list.map((entry) => entry.id));
    return [...list, ...page.filter((entry) => !shown.has(entry.id))];
  };

  async function load(which: "first" | "more") {
    const mine = ++generation;
    if (which === "first") arrivedDuringLoad = [];
    setLoading(which);
    setError(null);
    try {
      const page = await fetchAuditPage(filter(), which === "more" ? endCursor() : null);
      if (mine !== generation) return;
      setEntries(which === "first" ? appendNew([...arrivedDuringLoad].reverse(), page.entries) : appendNew(entries(), page.entries));
      setEndCursor(page.endCursor);
      setHasNextPage(page.hasNextPage);
    } catch (failure) {
      if (mine === generation) setError(toRequestError(failure));
    } finally {
      if (mine === generation) setLoading(null);
    }
  }

  // ---- Live entries ----
  const [liveError, setLiveError] = createSignal<GraphQLRequestError | null>(null);
  const [liveAttempt, setLiveAttempt] = createSignal(0);
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

  function receive(entry: AuditEntry) {
    if (!matchesAuditFilter(entry, filter())) return;
    if (loading() === "first") arrivedDuringLoad.push(entry);
    if (entries().some((shown) => shown.id === entry.id)) return;
    setEntries((list) => [entry, ...list]);
    markFresh(entry.id);
  }

  // Subscribed before the first page loads, so nothing written in between is missed.
  createEffect(
    on(liveAttempt, () => {
      setLiveError(null);
      onCleanup(watchAudit(receive, setLiveError));
    }),
  );
  createEffect(on(filter, () => void load("first")));

  // Entries written while the socket was down were never sent: after a reconnect, load afresh.
  reloadOnReconnect(() => void load("first"));

  return {
    filter: { input, change, clear, isFiltered },
    list: {
      entries,
      hasNextPage,
      loading,
      error,
      isFresh: (id: string) => fresh().has(id),
      loadMore: () => void load("more"),
      reload: () => void load("first"),
    },
    live: { state: () => liveState(liveError() !== null), error: liveError, retry: () => setLiveAttempt((n) => n + 1) },
  };
}

export type AuditLog = ReturnType<typeof createAuditLog>;
