// A list loaded page by page and kept live by a subscription, as the Data and Audit pages show
// them. A change of the list's parameters (a prefix, a filter) subscribes afresh and then loads the
// first page, so nothing that happens in between is missed; "load more" appends the next page; after
// the socket reconnects the list loads afresh, because changes sent while it was down never came.
// The list logic itself is pure and lives in liveList.ts.

import { type Accessor, createEffect, createMemo, createSignal, on, onCleanup, untrack } from "solid-js";
import type { LiveState } from "../components/LiveStatus";
import { connectionStatus, type GraphQLRequestError, toRequestError } from "./graphql";
import {
  appendMissing,
  applyUpdate,
  emptyLiveList,
  failLoad,
  type LiveListState,
  type LoadKind,
  landPage,
  type Page,
  reconnectDetector,
  startLoad,
} from "./liveList";

export interface LiveListOptions<Item, Change, Params> {
  /** What the list shows, e.g. a prefix or a filter. Each new value subscribes afresh and loads the first page. */
  params: Accessor<Params>;
  /** The page under `params` after the cursor `after` (null: the first page). */
  fetchPage: (params: Params, after: string | null) => Promise<Page<Item>>;
  /** Subscribes to the changes under `params`; returns the function that stops it. */
  watch: (params: Params, onChange: (change: Change) => void, onError: (error: GraphQLRequestError) => void) => () => void;
  /** The items with `change` applied. Applying a change twice, or to a list that is newer already, must do no harm. */
  applyChange: (items: readonly Item[], change: Change) => readonly Item[];
  /** What identifies an item in the list. */
  keyOf: (item: Item) => string;
  /** The items with a further page merged in; by default the page's items not shown yet are appended. */
  mergePage?: (items: readonly Item[], page: readonly Item[]) => readonly Item[];
  /** Sees each live change first; false keeps it from the list (outside the filter, held back by an editor…). */
  onLiveChange?: (change: Change, params: Params) => boolean;
}

/** Whether a list's live updates flow, as its page shows it, and how to start them again after they failed. */
export interface LiveConnection {
  state: Accessor<LiveState>;
  error: Accessor<GraphQLRequestError | null>;
  retry: () => void;
}

/** Creates the list; call it inside a component or a page's `createX`, which owns its subscription. */
export function createLiveList<Item, Change, Params>(options: LiveListOptions<Item, Change, Params>) {
  const { keyOf } = options;
  const mergePage = options.mergePage ?? ((items: readonly Item[], page: readonly Item[]) => appendMissing(items, page, keyOf));
  const [state, setState] = createSignal<LiveListState<Item>>(emptyLiveList());

  async function load(which: LoadKind) {
    const started = startLoad(untrack(state), which);
    setState(started);
    try {
      const page = await options.fetchPage(untrack(options.params), which === "more" ? started.endCursor : null);
      setState((current) => landPage(current, started.load, page, mergePage));
    } catch (error) {
      setState((current) => failLoad(current, started.load, toRequestError(error)));
    }
  }

  const apply = (change: Change) => setState((current) => applyUpdate(current, (items) => options.applyChange(items, change)));
  const remove = (key: string) => setState((current) => applyUpdate(current, (items) => items.filter((item) => keyOf(item) !== key)));

  // ---- Live changes ----
  const [liveError, setLiveError] = createSignal<GraphQLRequestError | null>(null);
  const [liveAttempt, setLiveAttempt] = createSignal(0);

  function receive(change: Change) {
    if (options.onLiveChange && !options.onLiveChange(change, untrack(options.params))) return;
    apply(change);
  }

  // Subscribed before the first page loads, so nothing that happens in between is missed.
  createEffect(
    on([options.params, liveAttempt], ([params]) => {
      setLiveError(null);
      onCleanup(options.watch(params, receive, setLiveError));
      void load("first");
    }),
  );

  // Deferred: a socket that is connected already when the list starts is no reason to load twice.
  const reconnected = reconnectDetector(untrack(connectionStatus));
  createEffect(
    on(
      connectionStatus,
      (status) => {
        if (reconnected(status)) void load("first");
      },
      { defer: true },
    ),
  );

  const items = createMemo(() => state().items);
  const liveState = createMemo<LiveState>(() => {
    if (liveError()) return "failed";
    const status = connectionStatus();
    return status === "connected" ? "live" : status;
  });

  const live: LiveConnection = { state: liveState, error: liveError, retry: () => setLiveAttempt((attempt) => attempt + 1) };

  const view = {
    entries: items,
    hasNextPage: createMemo(() => state().hasNextPage),
    /** The load in flight, if any. */
    loading: createMemo(() => state().loading),
    error: createMemo(() => state().error),
    loadMore: () => void load("more"),
    reload: () => void load("first"),
  };
  return {
    /** What a paged list on a page shows and does (spread into the page's own list). */
    view,
    /** Whether an item with `key` is shown. */
    has: (key: string) => untrack(items).some((item) => keyOf(item) === key),
    /** Shows a change the user's own action made (the server's answer), as a live change would be. */
    apply,
    /** Stops showing the item with `key`, whatever its version. */
    remove,
    live,
  };
}
