// What is kept of one run's output: its first `headBytes` and last `tailBytes` bytes as labelled
// chunks in order, with the bytes cut between them counted. Output is decoded as UTF-8 per stream
// as it arrives (a character split across chunks stays whole), so every chunk is text. Held in
// memory while the run lasts (bounded by the two caps), then written to <data>/runs/<id>.out as
// JSON lines. Live, the chunks travel as `run.output` events.
import { mkdir, rename, rm } from "node:fs/promises";
import { join } from "node:path";
import type { Run } from "./run-store";

export type RunStream = "stdout" | "stderr";

/** One piece of a run's output stream, in order (`seq` grows by one per chunk). */
export type RunOutputChunk =
  | { seq: number; kind: "output"; stream: RunStream; text: string }
  /** Output left out between the kept head and tail. */
  | { seq: number; kind: "cut"; droppedBytes: number };

/** A `run.output` event: a chunk of a run's output, or its end (with the finished run). */
export type RunOutputEvent = { runId: string } & (RunOutputChunk | { seq: number; kind: "end"; run: Run });

export function createRunOutput({ headBytes, tailBytes }: { headBytes: number; tailBytes: number }) {
  const decoders: Record<RunStream, TextDecoder> = { stdout: new TextDecoder(), stderr: new TextDecoder() };
  const totals: Record<RunStream, number> = { stdout: 0, stderr: 0 };
  const head: RunOutputChunk[] = [];
  let headKept = 0;
  let tail: { chunk: RunOutputChunk; bytes: number }[] = [];
  let tailKept = 0;
  let droppedBytes = 0;
  let seq = 0;

  const keep = (stream: RunStream, text: string): RunOutputChunk | null => {
    if (!text) return null;
    const chunk: RunOutputChunk = { seq: ++seq, kind: "output", stream, text };
    const bytes = Buffer.byteLength(text);
    if (headKept + bytes <= headBytes) {
      head.push(chunk);
      headKept += bytes;
      return chunk;
    }
    tail.push({ chunk, bytes });
    tailKept += bytes;
    let first = 0;
    while (tailKept > tailBytes && first < tail.length) {
      tailKept -= tail[first]?.bytes ?? 0;
      droppedBytes += tail[first]?.bytes ?? 0;
      first++;
    }
    if (first > 0) tail = tail.slice(first);
    return chunk;
  };

  return {
    /** Takes bytes of a stream; returns the chunk to publish (null while a character is incomplete). */
    append(stream: RunStream, bytes: Uint8Array): RunOutputChunk | null {
      totals[stream] += bytes.length;
      return keep(stream, decoders[stream].decode(bytes, { stream: true }));
    },
    /** Ends both streams (an incomplete character at the end becomes U+FFFD); returns chunks to publish. */
    end(): RunOutputChunk[] {
      return (["stdout", "stderr"] as const).map((s) => keep(s, decoders[s].decode())).filter((c) => c !== null);
    },
    /** What is kept so far, in order, with the cut marked; the cut's seq is that of the chunk before it. */
    kept(): RunOutputChunk[] {
      if (droppedBytes === 0) return [...head, ...tail.map((t) => t.chunk)];
      const cut: RunOutputChunk = { seq: tail[0] ? tail[0].chunk.seq - 1 : seq, kind: "cut", droppedBytes };
      return [...head, cut, ...tail.map((t) => t.chunk)];
    },
    totals: () => ({ ...totals, droppedBytes }),
  };
}

/** The kept output of finished runs, one file per run in `runsDir`. */
export function createRunOutputFiles(runsDir: string) {
  const pathOf = (runId: string) => join(runsDir, `${runId}.out`);
  return {
    /** Writes kept chunks (through a temporary file, so a reader never sees half of it). */
    async save(runId: string, chunks: RunOutputChunk[]): Promise<void> {
      await mkdir(runsDir, { recursive: true, mode: 0o700 });
      const path = pathOf(runId);
      await Bun.write(`${path}.tmp`, chunks.map((c) => `${JSON.stringify(c)}\n`).join(""));
      await rename(`${path}.tmp`, path);
    },

    /** The chunks saved for the run; none when its file is missing (a run lost in a crash). */
    async load(runId: string): Promise<RunOutputChunk[]> {
      const file = Bun.file(pathOf(runId));
      if (!(await file.exists())) return [];
      return (await file.text())
        .split("\n")
        .filter(Boolean)
        .map((line) => JSON.parse(line) as RunOutputChunk);
    },

    /** Deletes the run's file, if there is one. */
    remove: (runId: string) => rm(pathOf(runId), { force: true }),
  };
}

export type RunOutputFiles = ReturnType<typeof createRunOutputFiles>;
