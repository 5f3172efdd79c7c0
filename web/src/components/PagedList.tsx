// The states of a list loaded page by page (lib/createLiveList), shown the same way on every page:
// its load error with a retry, "loading" before the first page, a message when it is empty, the
// items (the children), and "Load more" while there is a next page.

import { type Accessor, type JSX, Show } from "solid-js";
import type { GraphQLRequestError } from "../lib/graphql";
import type { LoadKind } from "../lib/liveList";
import { ErrorMessage } from "./ErrorMessage";

export interface PagedListState {
  entries: Accessor<readonly unknown[]>;
  /** The load in flight, if any. */
  loading: Accessor<LoadKind | null>;
  error: Accessor<GraphQLRequestError | null>;
  hasNextPage: Accessor<boolean>;
  loadMore: () => void;
  reload: () => void;
}

export function PagedList(props: {
  list: PagedListState;
  /** What an empty list says, e.g. that nothing matches the filter. */
  emptyText: string;
  /** The data-testid of the "Load more" button. */
  loadMoreTestId?: string;
  /** The items, shown while there are any. */
  children: JSX.Element;
}) {
  const list = props.list;
  return (
    <>
      <ErrorMessage error={list.error()} onRetry={list.reload} />
      <Show when={list.loading() === "first" && list.entries().length === 0}>
        <p class="muted">Loading entries…</p>
      </Show>
      <Show when={list.loading() === null && !list.error() && list.entries().length === 0}>
        <p class="muted empty">{props.emptyText}</p>
      </Show>
      <Show when={list.entries().length > 0}>{props.children}</Show>
      <Show when={list.hasNextPage()}>
        <button
          type="button"
          class="load-more"
          data-testid={props.loadMoreTestId}
          disabled={list.loading() !== null}
          onClick={list.loadMore}
        >
          {list.loading() === "more" ? "Loading…" : "Load more"}
        </button>
      </Show>
    </>
  );
}
