// Keeps the visible list of entries (sorted by key) in step with live changes and further pages.
// Applying a change twice does no harm: a change older than what the list already shows is
// ignored, which lets the live list replay the changes made while a page was loading.

import type { KvChange, KvEntry } from "./kvOperations";

const isOlder = (candidate: KvEntry, shown: KvEntry) => {
  const candidateAt = Date.parse(candidate.updatedAt);
  const shownAt = Date.parse(shown.updatedAt);
  return candidateAt < shownAt || (candidateAt === shownAt && candidate.version < shown.version);
};

function insertSorted(entries: readonly KvEntry[], entry: KvEntry): readonly KvEntry[] {
  const at = entries.findIndex((each) => each.key > entry.key);
  return at === -1 ? [...entries, entry] : [...entries.slice(0, at), entry, ...entries.slice(at)];
}

/**
 * Applies one change. A new key is shown at once in its sorted place, even beyond the pages
 * loaded so far; loading those pages later merges around it.
 */
export function applyKvChange(entries: readonly KvEntry[], change: KvChange): readonly KvEntry[] {
  const index = entries.findIndex((entry) => entry.key === change.key);
  const shown = index === -1 ? undefined : entries[index];
  if (change.kind === "SET" && change.entry) {
    const entry = change.entry;
    if (!shown) return insertSorted(entries, entry);
    return isOlder(entry, shown) ? entries : entries.map((each, i) => (i === index ? entry : each));
  }
  if (!shown || Date.parse(shown.updatedAt) > Date.parse(change.at)) return entries;
  return entries.filter((_, i) => i !== index);
}

/** Merges a further page into the list, keeping the newer of two entries for the same key. */
export function mergePage(entries: readonly KvEntry[], page: readonly KvEntry[]): readonly KvEntry[] {
  return page.reduce(
    (list, entry) => applyKvChange(list, { kind: "SET", key: entry.key, version: entry.version, at: entry.updatedAt, entry }),
    entries,
  );
}
