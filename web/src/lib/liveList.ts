// The pure core of a live list (see createLiveList): a list loaded page by page and kept current by
// changes that arrive while it is shown. Loads are numbered so that only the newest one lands, and
// whatever changes the list while a page loads is replayed onto that page when it lands, since the
// page may have been read before the change.

import type { ConnectionStatus, GraphQLRequestError } from "./graphql";

/** One page of a connection, as the list needs it. */
export interface Page<Item> {
  items: readonly Item[];
  endCursor: string | null;
  hasNextPage: boolean;
}

/** The first page (loading the list afresh) or the next one. */
export type LoadKind = "first" | "more";

/** A change of the shown items: a live change, or the server's answer to the user's own action. */
export type ListUpdate<Item> = (items: readonly Item[]) => readonly Item[];

export interface LiveListState<Item> {
  items: readonly Item[];
  endCursor: string | null;
  hasNextPage: boolean;
  /** The load in flight, if any. */
  loading: LoadKind | null;
  /** Why the last load failed; cleared when the next one starts. */
  error: GraphQLRequestError | null;
  /** The number of the newest load; the answer to an older one is dropped. */
  load: number;
  /** The updates applied since the load in flight started, to replay onto its page. */
  updatesDuringLoad: readonly ListUpdate<Item>[];
}

export function emptyLiveList<Item>(): LiveListState<Item> {
  return { items: [], endCursor: null, hasNextPage: false, loading: null, error: null, load: 0, updatesDuringLoad: [] };
}

/** Starts a load; the answer must be given to `landPage` or `failLoad` with the new state's `load`. */
export function startLoad<Item>(state: LiveListState<Item>, which: LoadKind): LiveListState<Item> {
  return { ...state, loading: which, error: null, load: state.load + 1, updatesDuringLoad: [] };
}

/**
 * The state once the page of load `load` has arrived: the first page replaces the items, a further
 * one is merged in by `mergePage`; then the updates made meanwhile are replayed. The answer to a
 * load that is no longer the newest changes nothing.
 */
export function landPage<Item>(
  state: LiveListState<Item>,
  load: number,
  page: Page<Item>,
  mergePage: (items: readonly Item[], page: readonly Item[]) => readonly Item[],
): LiveListState<Item> {
  if (load !== state.load || state.loading === null) return state;
  const base = state.loading === "first" ? page.items : mergePage(state.items, page.items);
  return {
    ...state,
    items: state.updatesDuringLoad.reduce((items, update) => update(items), base),
    endCursor: page.endCursor,
    hasNextPage: page.hasNextPage,
    loading: null,
    updatesDuringLoad: [],
  };
}

/** The state once load `load` has failed: the items stay as they were. A stale load's failure changes nothing. */
export function failLoad<Item>(state: LiveListState<Item>, load: number, error: GraphQLRequestError): LiveListState<Item> {
  if (load !== state.load || state.loading === null) return state;
  return { ...state, loading: null, error, updatesDuringLoad: [] };
}

/** Applies `update` to the items; while a page loads it is also kept, to be replayed onto that page. */
export function applyUpdate<Item>(state: LiveListState<Item>, update: ListUpdate<Item>): LiveListState<Item> {
  return {
    ...state,
    items: update(state.items),
    updatesDuringLoad: state.loading === null ? state.updatesDuringLoad : [...state.updatesDuringLoad, update],
  };
}

/** `page` appended to `items`, leaving out items whose key is shown already. */
export function appendMissing<Item>(items: readonly Item[], page: readonly Item[], keyOf: (item: Item) => string): readonly Item[] {
  const shown = new Set(items.map(keyOf));
  return [...items, ...page.filter((item) => !shown.has(keyOf(item)))];
}

/** `item` on top of `items` (a newest-first list), unless its key is shown already. */
export function prependMissing<Item>(items: readonly Item[], item: Item, keyOf: (item: Item) => string): readonly Item[] {
  const key = keyOf(item);
  return items.some((each) => keyOf(each) === key) ? items : [item, ...items];
}

/**
 * Follows the socket's status for one list and answers, for each new status, whether the list must
 * load afresh: when the socket is connected again after it was connected while the list was shown,
 * because changes sent while it was down were never delivered. Its first connection is no reason,
 * and neither is being connected already when the list starts: the list's first load covers those.
 */
export function reconnectDetector(initial: ConnectionStatus): (status: ConnectionStatus) => boolean {
  let last = initial;
  let everConnected = initial === "connected";
  return (status) => {
    const reconnected = status === "connected" && last !== "connected" && everConnected;
    if (status === "connected") everConnected = true;
    last = status;
    return reconnected;
  };
}
