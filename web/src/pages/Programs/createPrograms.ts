// The state of the Programs page: the programs, the one open with its files, uploads with
// progress, the run being watched with its output as it streams in, and the run history.
import { batch, createSignal, onCleanup } from "solid-js";
import { createAction } from "../../lib/action";
import { createResumableUploadQueue } from "../../lib/createResumableUploadQueue";
import type { GraphQLRequestError } from "../../lib/graphql";
import {
  type CommandRequest,
  cancelRun,
  deleteProgram,
  execCommand,
  fetchProgram,
  fetchPrograms,
  fetchRunLimits,
  fetchRuns,
  followRunOutput,
  installProgram,
  type ProgramDetail,
  type ProgramSummary,
  type RunOutputChunk,
  type RunRequest,
  type RunStatus,
  type RunSummary,
  renameProgram,
  setProgramEntry,
  startRun,
  uploadProgram,
  watchRunEvents,
} from "./programsOperations";
import { type ColouredText, createAnsiDecoder, type RunLimits } from "./runInput";

/**
 * Files above this go through the resumable upload and installProgram: the server holds a
 * multipart request whole in memory and caps it (max_multipart_body_bytes, 32 MiB by default).
 */
const MULTIPART_MAX_BYTES = 16 << 20;
/** The Files folder large programs' archives are uploaded to (they stay there, like any file). */
const ARCHIVES_FOLDER = "Program archives";

/** A chunk of output as shown: its text in coloured pieces (empty for a cut). */
export type ShownChunk = RunOutputChunk & { pieces: ColouredText[] };

/** Output chunks shown for one run; older ones go (the history keeps the run's head and tail). */
const MAX_SHOWN_CHUNKS = 5000;

export function createPrograms() {
  const [programs, setPrograms] = createSignal<ProgramSummary[]>([]);
  const [open, setOpen] = createSignal<ProgramDetail | null>(null);
  const [uploadShare, setUploadShare] = createSignal<number | null>(null);
  const [run, setRun] = createSignal<RunSummary | null>(null);
  const [output, setOutput] = createSignal<ShownChunk[]>([]);
  const [outputError, setOutputError] = createSignal<GraphQLRequestError | null>(null);
  const [history, setHistory] = createSignal<RunSummary[]>([]);
  const [statusFilter, setStatusFilter] = createSignal<RunStatus | null>(null);
  /** What startRun and exec take, for the forms' checks; null until loaded (the server checks anyway). */
  const [runLimits, setRunLimits] = createSignal<RunLimits | null>(null);
  let stopFollowing = () => {};
  onCleanup(() => stopFollowing());
  // The history follows every run's changes live: a run shown is updated in place, a new one that
  // fits the filters comes first.
  const stopRunEvents = watchRunEvents(({ program, ...changed }) => {
    const current = run();
    if (current?.id === changed.id && changed.status !== current.status) setRun(changed);
    setHistory((shown) => {
      if (shown.some((r) => r.id === changed.id)) return shown.map((r) => (r.id === changed.id ? changed : r));
      const fits = (open() === null || open()?.id === program?.id) && (statusFilter() === null || statusFilter() === changed.status);
      return fits ? [changed, ...shown] : shown;
    });
  }, setOutputError);
  onCleanup(stopRunEvents);

  const reloadHistory = async () => setHistory(await fetchRuns(open()?.id ?? null, statusFilter()));
  const load = createAction(async () => {
    const [list, limits] = await Promise.all([fetchPrograms(), fetchRunLimits()]);
    batch(() => {
      setPrograms(list);
      setRunLimits(limits);
    });
    await reloadHistory();
  });

  const openProgram = createAction(async (id: string) => {
    setOpen(await fetchProgram(id));
    await reloadHistory();
  });

  const watch = (started: RunSummary) => {
    stopFollowing();
    batch(() => {
      setRun(started);
      setOutput([]);
      setOutputError(null);
    });
    // One decoder per stream, so a colour or an escape sequence carries over between its chunks;
    // after a cut the streams start afresh.
    let decoders = { STDOUT: createAnsiDecoder(), STDERR: createAnsiDecoder() };
    stopFollowing = followRunOutput(
      started.id,
      (chunk) => {
        if (chunk.kind === "END") {
          if (chunk.run) setRun(chunk.run);
          stopFollowing();
          void reloadHistory();
          return;
        }
        if (chunk.kind === "CUT") decoders = { STDOUT: createAnsiDecoder(), STDERR: createAnsiDecoder() };
        const pieces = chunk.kind === "OUTPUT" && chunk.stream ? decoders[chunk.stream].decode(chunk.text ?? "") : [];
        setOutput((shown) => [...(shown.length >= MAX_SHOWN_CHUNKS ? shown.slice(1) : shown), { ...chunk, pieces }]);
      },
      setOutputError,
    );
  };

  const install = createAction(async (fileId: string) => {
    const program = await installProgram(fileId);
    setPrograms(await fetchPrograms());
    await openProgram.run(program.id);
  });
  // The resumable uploads the Files page uses too (chunks, retries, resume after a drop), one file at a time here.
  const resumable = createResumableUploadQueue({ onUploaded: (fileId) => void install.run(fileId) });
  /** The large upload under way or last ended, with its progress and error. */
  const largeUpload = () => resumable.uploads().at(-1) ?? null;

  const upload = createAction(async (file: File) => {
    if (file.size > MULTIPART_MAX_BYTES) {
      resumable.clearFinished();
      resumable.add([file], ARCHIVES_FOLDER);
      return;
    }
    setUploadShare(0);
    try {
      const program = await uploadProgram(file, setUploadShare);
      setPrograms(await fetchPrograms());
      await openProgram.run(program.id);
    } finally {
      setUploadShare(null);
    }
  });

  const chooseEntry = createAction(async (path: string) => {
    const program = open();
    if (!program) return;
    await setProgramEntry(program.id, path);
    setOpen(await fetchProgram(program.id));
  });

  const rename = createAction(async (name: string) => {
    const program = open();
    if (!program) return;
    const renamed = await renameProgram(program.id, name);
    setOpen({ ...program, ...renamed });
    setPrograms(await fetchPrograms());
  });

  const remove = createAction(async () => {
    const program = open();
    if (!program) return;
    await deleteProgram(program.id);
    setOpen(null);
    setPrograms(await fetchPrograms());
  });

  const start = createAction(async (request: RunRequest) => {
    const program = open();
    if (!program) return;
    watch(await startRun(program.id, request));
    await reloadHistory();
  });

  const exec = createAction(async (request: CommandRequest) => {
    watch(await execCommand(request));
    await reloadHistory();
  });

  const cancel = createAction(async () => {
    const current = run();
    if (current) setRun(await cancelRun(current.id));
  });

  const filterHistory = createAction(async (status: RunStatus | null) => {
    setStatusFilter(status);
    await reloadHistory();
  });

  void load.run();
  return {
    programs,
    open,
    uploadShare,
    largeUpload,
    install,
    run,
    output,
    outputError,
    history,
    statusFilter,
    runLimits,
    load,
    openProgram,
    upload,
    chooseEntry,
    rename,
    remove,
    start,
    exec,
    cancel,
    filterHistory,
    watch,
  };
}

export type ProgramsState = ReturnType<typeof createPrograms>;
