// Export of the listed prefix to a JSON file, and import of such a file: the file is read and shown
// (how many entries, what cannot be set) before anything is sent, and then set in one transaction
// by importKv, all or nothing.

import { type Accessor, createSignal } from "solid-js";
import { createAction } from "../../lib/action";
import { saveBlob } from "../../lib/download";
import type { GraphQLRequestError } from "../../lib/graphql";
import { countOfEntries } from "./kvDisplay";
import { exportKv, importKv } from "./kvOperations";
import { exportFileName, exportFileText, type KvImportPlan, parseImportFile } from "./kvTransfer";

/** Files past this are not read at all: an import takes a few MiB at most (the server's kv_max_bulk_bytes). */
const MAX_IMPORT_FILE_BYTES = 16 << 20;

/** A file read and waiting for the user to import it. */
export interface PendingImport {
  fileName: string;
  plan: KvImportPlan;
}

/** One entry a refused import named (the server's entryErrors). */
export interface RefusedEntry {
  index: number;
  key: string;
  message: string;
}

/** The entries a refused import named, if it named any. */
export function refusedEntries(error: GraphQLRequestError | null): RefusedEntry[] {
  const listed = error?.details.entryErrors;
  return Array.isArray(listed) ? (listed as RefusedEntry[]) : [];
}

export interface KvTransferOptions {
  /** The list's prefix: what an export exports. */
  prefix: Accessor<string>;
  /** Tells the user what an export or import did (null: nothing to tell any more). */
  notify: (message: string | null) => void;
}

export function createKvTransfer({ prefix, notify }: KvTransferOptions) {
  const [pending, setPending] = createSignal<PendingImport | null>(null);
  const [fileProblem, setFileProblem] = createSignal<string | null>(null);
  const [replaceExisting, setReplaceExisting] = createSignal(false);

  const exporting = createAction(async () => {
    const exported = await exportKv(prefix());
    const fileName = exportFileName(exported.prefix, new Date(exported.exportedAt));
    saveBlob(new Blob([exportFileText(exported)], { type: "application/json" }), fileName);
    notify(`Exported ${countOfEntries(exported.entries.length)} to ${fileName}.`);
  });

  const importing = createAction(async ({ fileName, plan }: PendingImport) => {
    // Without "replace", every entry must be new (expectedVersion 0): existing keys are refused, all listed.
    const entries = replaceExisting() ? plan.entries : plan.entries.map((entry) => ({ ...entry, expectedVersion: 0 }));
    const count = await importKv(entries);
    setPending(null);
    notify(`Imported ${countOfEntries(count)} from ${fileName}.`);
  });

  async function chooseFile(file: File | undefined) {
    notify(null);
    setFileProblem(null);
    setPending(null);
    importing.clearError();
    if (!file) return;
    if (file.size > MAX_IMPORT_FILE_BYTES) {
      setFileProblem(`${file.name} is ${(file.size / 2 ** 20).toFixed(1)} MiB; an import takes a few MiB at most, so split it by prefix.`);
      return;
    }
    const parsed = parseImportFile(await file.text());
    if (parsed.ok) setPending({ fileName: file.name, plan: parsed.plan });
    else setFileProblem(`${file.name}: ${parsed.message}`);
  }

  return {
    exportPrefix: () => {
      notify(null);
      void exporting.run();
    },
    exporting: exporting.busy,
    exportError: exporting.error,
    chooseFile,
    /** Why the chosen file cannot be imported at all. */
    fileProblem,
    pending,
    replaceExisting,
    setReplaceExisting,
    canImport: () => pending()?.plan.problems.length === 0 && !importing.busy(),
    startImport: () => {
      const chosen = pending();
      if (chosen && chosen.plan.problems.length === 0) void importing.run(chosen);
    },
    cancelImport: () => {
      setPending(null);
      importing.clearError();
    },
    importing: importing.busy,
    importError: importing.error,
  };
}

export type KvTransfer = ReturnType<typeof createKvTransfer>;
