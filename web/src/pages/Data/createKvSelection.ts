// The entries ticked in the Data page's list, and deleting them all at once (deleteKvMany: one
// transaction on the server). Only keys still listed count as selected: an entry deleted or expired
// elsewhere drops out of the selection as it leaves the list.

import { type Accessor, createEffect, createMemo, createSignal, on } from "solid-js";
import { createAction } from "../../lib/action";
import { confirmAction } from "../../lib/confirm";
import { countOfEntries } from "./kvDisplay";
import { deleteKvMany, type KvEntry } from "./kvOperations";

export interface KvSelectionOptions {
  /** The entries listed, in order. */
  entries: Accessor<readonly KvEntry[]>;
  /** The list's prefix; changing it clears the selection. */
  prefix: Accessor<string>;
  /** Called with the keys about to be deleted, before the request. */
  beforeDelete: (keys: readonly string[]) => void;
  /** Called with the keys deleted, once the server has committed it. */
  onDeleted: (keys: readonly string[]) => void;
  /** Tells the user what a deletion did (null: nothing to tell any more). */
  notify: (message: string | null) => void;
}

export function createKvSelection({ entries, prefix, beforeDelete, onDeleted, notify }: KvSelectionOptions) {
  const [ticked, setTicked] = createSignal<ReadonlySet<string>>(new Set());
  const keys = createMemo(() => entries().flatMap((entry) => (ticked().has(entry.key) ? [entry.key] : [])));

  const clear = () => setTicked(new Set<string>());
  createEffect(on(prefix, clear, { defer: true }));

  function toggle(key: string) {
    const next = new Set(ticked());
    if (!next.delete(key)) next.add(key);
    setTicked(next);
    notify(null);
  }

  function tickAllShown(all: boolean) {
    setTicked(all ? new Set(entries().map((entry) => entry.key)) : new Set<string>());
    notify(null);
  }

  const deletion = createAction(async (keys: readonly string[]) => {
    beforeDelete(keys);
    const deleted = await deleteKvMany(keys);
    onDeleted(keys);
    clear();
    // Fewer than asked: the others were deleted (or expired) by then, which is what was asked too.
    notify(
      deleted === keys.length
        ? `Deleted ${countOfEntries(deleted)}.`
        : `Deleted ${deleted} of ${countOfEntries(keys.length)}; the others were already gone.`,
    );
  });

  return {
    /** The selected keys that are listed, in list order. */
    keys,
    isSelected: (key: string) => ticked().has(key),
    allShownSelected: () => entries().length > 0 && keys().length === entries().length,
    someShownSelected: () => keys().length > 0 && keys().length < entries().length,
    toggle,
    tickAllShown,
    clear,
    /** Asks the user first, then deletes the keys selected when asked. */
    deleteSelected: async () => {
      notify(null);
      const chosen = keys();
      const goAhead = await confirmAction({
        question: `Delete ${countOfEntries(chosen.length)}?`,
        detail: "This cannot be undone.",
        confirmLabel: chosen.length === 1 ? "Delete entry" : "Delete entries",
      });
      if (goAhead) await deletion.run(chosen);
    },
    deleting: deletion.busy,
    error: deletion.error,
  };
}

export type KvSelection = ReturnType<typeof createKvSelection>;
