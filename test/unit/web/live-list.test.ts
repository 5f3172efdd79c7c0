// The pure core of the web UI's live lists (Data, Audit): pages landing, live changes arriving while
// a page loads, stale answers, and when a reconnect must load the list afresh.
import { describe, expect, test } from "bun:test";
import type { GraphQLRequestError } from "../../../web/src/lib/graphql";
import {
  appendMissing,
  applyUpdate,
  emptyLiveList,
  failLoad,
  type ListUpdate,
  type LiveListState,
  landPage,
  type Page,
  prependMissing,
  reconnectDetector,
  startLoad,
} from "../../../web/src/lib/liveList";

interface Row {
  id: string;
  label: string;
}

const keyOf = (row: Row) => row.id;
const row = (id: string, label = id): Row => ({ id, label });
const page = (ids: string[], { endCursor = ids.at(-1) ?? null, hasNextPage = false } = {}): Page<Row> => ({
  items: ids.map((id) => row(id)),
  endCursor,
  hasNextPage,
});
const ids = (state: LiveListState<Row>) => state.items.map((each) => each.id);
const merge = (items: readonly Row[], next: readonly Row[]) => appendMissing(items, next, keyOf);
const prepend =
  (added: Row): ListUpdate<Row> =>
  (items) =>
    prependMissing(items, added, keyOf);
const failure = { code: "NETWORK", message: "Could not reach the server." } as GraphQLRequestError;

describe("loading pages", () => {
  test("the first page fills the list and says whether more follow", () => {
    const loading = startLoad(emptyLiveList<Row>(), "first");
    expect(loading).toMatchObject({ loading: "first", load: 1, error: null });
    const loaded = landPage(loading, loading.load, page(["a", "b"], { hasNextPage: true }), merge);
    expect(ids(loaded)).toEqual(["a", "b"]);
    expect(loaded).toMatchObject({ loading: null, endCursor: "b", hasNextPage: true });
  });

  test("load more appends the next page, leaving out rows already shown", () => {
    const first = startLoad(emptyLiveList<Row>(), "first");
    const shown = landPage(first, first.load, page(["a", "b"], { hasNextPage: true }), merge);
    const more = startLoad(shown, "more");
    expect(ids(more)).toEqual(["a", "b"]);
    const loaded = landPage(more, more.load, page(["b", "c"]), merge);
    expect(ids(loaded)).toEqual(["a", "b", "c"]);
    expect(loaded.hasNextPage).toBe(false);
  });

  test("loading afresh replaces the rows shown", () => {
    const first = startLoad(emptyLiveList<Row>(), "first");
    const shown = landPage(first, first.load, page(["a", "b"]), merge);
    const again = startLoad(shown, "first");
    expect(ids(landPage(again, again.load, page(["c"]), merge))).toEqual(["c"]);
  });

  test("only the newest load lands: an older answer arriving late changes nothing", () => {
    const older = startLoad(emptyLiveList<Row>(), "first");
    const newer = startLoad(older, "first");
    const afterNewer = landPage(newer, newer.load, page(["new"]), merge);
    expect(landPage(afterNewer, older.load, page(["old"]), merge)).toBe(afterNewer);
    expect(landPage(newer, older.load, page(["old"]), merge)).toBe(newer);
    expect(failLoad(newer, older.load, failure)).toBe(newer);
  });

  test("a failed load keeps the rows shown and reports why; the next load clears the error", () => {
    const first = startLoad(emptyLiveList<Row>(), "first");
    const shown = landPage(first, first.load, page(["a"], { hasNextPage: true }), merge);
    const more = startLoad(shown, "more");
    const failed = failLoad(more, more.load, failure);
    expect(ids(failed)).toEqual(["a"]);
    expect(failed).toMatchObject({ loading: null, error: failure, hasNextPage: true });
    expect(startLoad(failed, "more").error).toBeNull();
  });
});

describe("changes while the list is shown", () => {
  test("a change applies at once when no page is loading, and is not kept", () => {
    const first = startLoad(emptyLiveList<Row>(), "first");
    const shown = landPage(first, first.load, page(["a"]), merge);
    const changed = applyUpdate(shown, prepend(row("z")));
    expect(ids(changed)).toEqual(["z", "a"]);
    expect(changed.updatesDuringLoad).toEqual([]);
  });

  test("a change during a load shows at once and is replayed onto the page when it lands", () => {
    const loading = startLoad(emptyLiveList<Row>(), "first");
    const changed = applyUpdate(loading, prepend(row("new")));
    expect(ids(changed)).toEqual(["new"]);
    // The page was read before "new" was written, so it lacks it; the replay puts it back on top.
    expect(ids(landPage(changed, loading.load, page(["b", "a"]), merge))).toEqual(["new", "b", "a"]);
  });

  test("a replayed change the page already shows does no harm", () => {
    const loading = startLoad(emptyLiveList<Row>(), "first");
    const changed = applyUpdate(loading, prepend(row("new")));
    expect(ids(landPage(changed, loading.load, page(["new", "a"]), merge))).toEqual(["new", "a"]);
  });

  test("changes made during load more are replayed onto the merged list", () => {
    const first = startLoad(emptyLiveList<Row>(), "first");
    const shown = landPage(first, first.load, page(["a", "b"], { hasNextPage: true }), merge);
    const more = startLoad(shown, "more");
    const removeC: ListUpdate<Row> = (items) => items.filter((each) => each.id !== "c");
    const changed = applyUpdate(more, removeC);
    // The next page was read before "c" was deleted: the replay removes it again.
    const landed = landPage(changed, more.load, page(["c", "d"]), merge);
    expect(ids(landed)).toEqual(["a", "b", "d"]);
    expect(landed.updatesDuringLoad).toEqual([]);
  });

  test("changes kept for a load that failed are not replayed later", () => {
    const loading = startLoad(emptyLiveList<Row>(), "first");
    const failed = failLoad(applyUpdate(loading, prepend(row("x"))), loading.load, failure);
    expect(failed.updatesDuringLoad).toEqual([]);
    const again = startLoad(failed, "first");
    expect(ids(landPage(again, again.load, page(["a"]), merge))).toEqual(["a"]);
  });
});

describe("list helpers", () => {
  test("appendMissing keeps the order and the rows shown", () => {
    const shown = [row("a", "shown")];
    expect(appendMissing(shown, [row("a", "page"), row("b")], keyOf)).toEqual([row("a", "shown"), row("b")]);
  });

  test("prependMissing puts a new row on top, and leaves a list that has it as it is", () => {
    const shown = [row("a")];
    expect(prependMissing(shown, row("b"), keyOf)).toEqual([row("b"), row("a")]);
    expect(prependMissing(shown, row("a", "again"), keyOf)).toBe(shown);
  });
});

describe("reloading after a reconnect", () => {
  test("a socket connected already when the list starts loads nothing until it reconnects", () => {
    const reconnected = reconnectDetector("connected");
    expect(reconnected("offline")).toBe(false);
    expect(reconnected("connecting")).toBe(false);
    expect(reconnected("connected")).toBe(true);
  });

  test("the first connection is covered by the list's own first load", () => {
    const reconnected = reconnectDetector("offline");
    expect(reconnected("connecting")).toBe(false);
    expect(reconnected("connected")).toBe(false);
    expect(reconnected("offline")).toBe(false);
    expect(reconnected("connected")).toBe(true);
  });

  test("the same status reported twice is one event", () => {
    const reconnected = reconnectDetector("connected");
    expect(reconnected("connected")).toBe(false);
    expect(reconnected("offline")).toBe(false);
    expect(reconnected("connected")).toBe(true);
    expect(reconnected("connected")).toBe(false);
  });
});
