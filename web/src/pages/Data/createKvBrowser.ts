// The Data page's state: the entries under a prefix (paged, kept live by kvChanged), the entry
// open in the editor, the new-entry form, and the actions on many entries (selection, export,
// import). Views only read these signals and call actions.

import { useSearchParams } from "@solidjs/router";
import { createEffect, createMemo, createSignal, on, onCleanup } from "solid-js";
import { type SavedNotice, savedNotice } from "../../components/Saved";
import { currentUser } from "../../lib/auth";
import { confirmAction } from "../../lib/confirm";
import { createLiveList } from "../../lib/createLiveList";
import { GraphQLRequestError, toRequestError } from "../../lib/graphql";
import { hasPermission } from "../../lib/permissions";
import { createKvSelection } from "./createKvSelection";
import { createKvTransfer } from "./createKvTransfer";
import { formatJson } from "./kvDisplay";
import { parseJsonValue, parseTtlSeconds, problemOf, ttlTextFor } from "./kvInput";
import { applyKvChange, mergePage } from "./kvListChanges";
import { deleteKv, fetchKvEntry, fetchKvPage, type KvChange, type KvEntry, setKv, watchKv } from "./kvOperations";

/** Why the open entry no longer matches the server: set by live changes and by CONFLICT answers. */
export type RemoteChange = "changed" | "deleted" | "expired";

const PREFIX_DEBOUNCE_MS = 300;

export function createKvBrowser() {
  const [searchParams, setSearchParams] = useSearchParams<{ prefix: string }>();
  const canEdit = () => hasPermission(currentUser(), "kv:write");

  const [nowMs, setNowMs] = createSignal(Date.now());
  const clock = setInterval(() => setNowMs(Date.now()), 1000);
  onCleanup(() => clearInterval(clock));

  // The prefix as typed, and the one the list and subscription follow once typing pauses.
  const [prefixInput, setPrefixInput] = createSignal(searchParams.prefix ?? "");
  const [prefix, setPrefix] = createSignal(prefixInput());
  let prefixTimer: ReturnType<typeof setTimeout> | undefined;
  onCleanup(() => clearTimeout(prefixTimer));
  const changePrefix = (value: string) => {
    setPrefixInput(value);
    clearTimeout(prefixTimer);
    prefixTimer = setTimeout(() => {
      setPrefix(value);
      setSearchParams({ prefix: value || undefined }, { replace: true });
    }, PREFIX_DEBOUNCE_MS);
  };

  // ---- The list ----
  const list = createLiveList({
    params: prefix,
    fetchPage: fetchKvPage,
    watch: watchKv,
    applyChange: applyKvChange,
    mergePage,
    keyOf: (entry: KvEntry) => entry.key,
    onLiveChange: (change: KvChange, watchedPrefix) =>
      change.key.startsWith(watchedPrefix) && (change.key !== selectedKey() || noticeChangeOfOpenEntry(change)),
  });
  const showSaved = (entry: KvEntry) => {
    if (entry.key.startsWith(prefix())) list.apply({ kind: "SET", key: entry.key, version: entry.version, at: entry.updatedAt, entry });
  };

  // ---- The open entry ----
  const [selectedKey, setSelectedKey] = createSignal<string | null>(null);
  const [opened, setOpened] = createSignal<KvEntry | null>(null);
  const [valueText, setValueText] = createSignal("");
  const [ttlText, setTtlText] = createSignal("");
  const [editorBusy, setEditorBusy] = createSignal<"saving" | "deleting" | "reloading" | null>(null);
  const [editorError, setEditorError] = createSignal<GraphQLRequestError | null>(null);
  const [remoteChange, setRemoteChange] = createSignal<RemoteChange | null>(null);
  const [editorSaved, setEditorSaved] = createSignal<SavedNotice | null>(null);
  // The server's version when it differs from the opened one; "Overwrite" saves against it.
  const [remoteVersion, setRemoteVersion] = createSignal(0);
  const parsedValue = createMemo(() => parseJsonValue(valueText()));
  const parsedTtl = createMemo(() => parseTtlSeconds(ttlText()));
  const isGone = () => remoteChange() === "deleted" || remoteChange() === "expired";

  function adopt(entry: KvEntry) {
    setOpened(entry);
    setValueText(formatJson(entry.value));
    setTtlText(ttlTextFor(entry.expiresAt, Date.now()));
    setRemoteChange(null);
    setEditorError(null);
  }

  function open(entry: KvEntry) {
    if (selectedKey() === entry.key) return;
    setSelectedKey(entry.key);
    setEditorSaved(null);
    adopt(entry);
  }

  function close() {
    const key = selectedKey();
    // A deleted entry stayed listed only while its editor was open.
    if (key !== null && isGone()) list.remove(key);
    setSelectedKey(null);
    setOpened(null);
    setRemoteChange(null);
    setEditorError(null);
    setEditorSaved(null);
  }

  createEffect(
    on(prefix, (current) => {
      const key = selectedKey();
      if (key !== null && !key.startsWith(current)) close();
    }),
  );

  /**
   * Brings a change of the open entry to its editor. Someone who may edit is told and decides
   * (reload, overwrite, or save and meet the CONFLICT); the editor never changes under them.
   * A read-only view just follows. Returns false when the list must keep showing the entry: a
   * deleted entry stays while it is open for editing, since its editor lives in its row.
   */
  function noticeChangeOfOpenEntry(change: KvChange): boolean {
    // The answer to our own save or delete settles the editor; its echo must not.
    if (editorBusy() === "saving" || editorBusy() === "deleting") return true;
    if (change.kind === "SET" && change.entry) {
      if (change.version === opened()?.version) return true;
      if (!canEdit()) adopt(change.entry);
      else {
        setRemoteVersion(change.version);
        setRemoteChange("changed");
      }
      return true;
    }
    if (!canEdit()) {
      close();
      return true;
    }
    setRemoteVersion(0);
    setRemoteChange(change.kind === "EXPIRE" ? "expired" : "deleted");
    return false;
  }

  function failEditing(error: unknown) {
    const failure = toRequestError(error);
    if (failure.code !== "CONFLICT") return setEditorError(failure);
    const current = typeof failure.details.currentVersion === "number" ? failure.details.currentVersion : 0;
    setRemoteVersion(current);
    setRemoteChange(current === 0 ? "deleted" : "changed");
  }

  async function save({ overwrite = false }: { overwrite?: boolean } = {}) {
    const entry = opened();
    const value = parsedValue();
    const ttl = parsedTtl();
    if (!entry || !value.ok || !ttl.ok || editorBusy()) return;
    setEditorBusy("saving");
    setEditorError(null);
    setEditorSaved(null);
    try {
      const saved = await setKv({
        key: entry.key,
        value: value.value,
        ttlSeconds: ttl.value,
        expectedVersion: overwrite ? remoteVersion() : entry.version,
      });
      adopt(saved);
      showSaved(saved);
      setEditorSaved(savedNotice());
    } catch (error) {
      failEditing(error);
    } finally {
      setEditorBusy(null);
    }
  }

  async function reload() {
    const key = selectedKey();
    if (key === null || editorBusy()) return;
    setEditorBusy("reloading");
    setEditorError(null);
    setEditorSaved(null);
    try {
      const entry = await fetchKvEntry(key);
      if (entry) {
        adopt(entry);
        showSaved(entry);
      } else {
        list.remove(key);
        close();
      }
    } catch (error) {
      setEditorError(toRequestError(error));
    } finally {
      setEditorBusy(null);
    }
  }

  /** Asks first, then deletes the open entry as the user saw it (a version changed meanwhile meets a CONFLICT). */
  async function remove() {
    const entry = opened();
    if (!entry || editorBusy()) return;
    setEditorSaved(null);
    const goAhead = await confirmAction({
      question: `Delete "${entry.key}"?`,
      detail: "This cannot be undone.",
      confirmLabel: "Delete entry",
    });
    if (!goAhead || selectedKey() !== entry.key || editorBusy()) return;
    setEditorBusy("deleting");
    setEditorError(null);
    try {
      // false means someone else deleted it first; the outcome the user asked for either way.
      await deleteKv(entry.key, entry.version);
      list.remove(entry.key);
      close();
    } catch (error) {
      failEditing(error);
    } finally {
      setEditorBusy(null);
    }
  }

  const canDelete = () => opened() !== null && !editorBusy() && !isGone();
  // Saving stays possible after a remote change: it then meets the CONFLICT that says so.
  const canSave = () => parsedValue().ok && parsedTtl().ok && !editorBusy() && opened() !== null;

  // ---- Many entries at once ----
  const [toolsNotice, setToolsNotice] = createSignal<SavedNotice | null>(null);
  const notifyTools = (text: string | null) => setToolsNotice(text === null ? null : savedNotice(text));
  const selection = createKvSelection({
    entries: list.view.entries,
    prefix,
    // The user chose to delete the open entry: its editor goes first, so the deletion's echo is not
    // shown as someone else's.
    beforeDelete: (keys) => {
      const key = selectedKey();
      if (key !== null && keys.includes(key)) close();
    },
    onDeleted: (keys) => {
      for (const key of keys) list.remove(key);
    },
    notify: notifyTools,
  });
  const transfer = createKvTransfer({ prefix, notify: notifyTools });

  // ---- The new-entry form ----
  const [newKey, setNewKey] = createSignal("");
  const [newValueText, setNewValueText] = createSignal("");
  const [newTtlText, setNewTtlText] = createSignal("");
  const [creating, setCreating] = createSignal(false);
  const [createError, setCreateError] = createSignal<GraphQLRequestError | null>(null);
  const [created, setCreated] = createSignal<SavedNotice | null>(null);
  const newParsedValue = createMemo(() => parseJsonValue(newValueText()));
  const newParsedTtl = createMemo(() => parseTtlSeconds(newTtlText()));
  // The last attempt's error and the last success are about other values than those typed now: drop them.
  const editingNewEntry = (set: (text: string) => void) => (text: string) => {
    set(text);
    setCreateError(null);
    setCreated(null);
  };
  const canCreate = () => newKey() !== "" && newParsedValue().ok && newParsedTtl().ok && !creating();

  async function create() {
    const key = newKey();
    const value = newParsedValue();
    const ttl = newParsedTtl();
    if (!canCreate() || !value.ok || !ttl.ok) return;
    setCreating(true);
    setCreateError(null);
    setCreated(null);
    try {
      const entry = await setKv({ key, value: value.value, ttlSeconds: ttl.value, expectedVersion: 0 });
      showSaved(entry);
      setCreated(savedNotice(`Created ${key}.`));
      setNewKey("");
      setNewValueText("");
      setNewTtlText("");
    } catch (error) {
      const failure = toRequestError(error);
      setCreateError(
        failure.code === "CONFLICT"
          ? new GraphQLRequestError("CONFLICT", `An entry with key "${key}" already exists; open it to change it.`)
          : failure,
      );
    } finally {
      setCreating(false);
    }
  }

  return {
    canEdit,
    nowMs,
    prefix: { input: prefixInput, applied: prefix, change: changePrefix },
    list: list.view,
    live: list.live,
    selection,
    transfer,
    toolsNotice,
    editor: {
      selectedKey,
      opened,
      valueText,
      setValueText,
      ttlText,
      setTtlText,
      valueProblem: () => problemOf(parsedValue()),
      ttlProblem: () => problemOf(parsedTtl()),
      busy: editorBusy,
      error: editorError,
      remoteChange,
      saved: editorSaved,
      canSave,
      canDelete,
      open,
      close,
      save: () => save(),
      overwrite: () => save({ overwrite: true }),
      reload,
      remove,
    },
    newEntry: {
      key: newKey,
      setKey: editingNewEntry(setNewKey),
      valueText: newValueText,
      setValueText: editingNewEntry(setNewValueText),
      ttlText: newTtlText,
      setTtlText: editingNewEntry(setNewTtlText),
      // An empty value is not a problem yet: the user has not started typing it.
      valueProblem: () => (newValueText() === "" ? null : problemOf(newParsedValue())),
      ttlProblem: () => problemOf(newParsedTtl()),
      busy: creating,
      error: createError,
      created,
      canCreate,
      create,
    },
  };
}

export type KvBrowser = ReturnType<typeof createKvBrowser>;
export type KvEditorState = KvBrowser["editor"];
export type KvNewEntryState = KvBrowser["newEntry"];
