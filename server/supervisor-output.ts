// The output of supervised children: read only as fast as the caller takes it (a held-back pipe
// fills and the child blocks on its next write), kept as a bounded tail, and, once a child exits,
// drained to its end without waiting forever on a pipe that a process outside the group holds.
import type { Clock } from "./clock";

/**
 * Keeps the last `capacityBytes` bytes written to it. The ring grows on demand up to the
 * capacity, so a child that prints little costs little.
 */
export function createTailBuffer(capacityBytes: number) {
  let ring = new Uint8Array(0);
  let start = 0;
  let size = 0;
  let totalBytes = 0;

  const bytes = (): Uint8Array => {
    const out = new Uint8Array(size);
    const first = Math.min(size, ring.length - start);
    out.set(ring.subarray(start, start + first));
    out.set(ring.subarray(0, size - first), first);
    return out;
  };

  const push = (chunk: Uint8Array) => {
    totalBytes += chunk.length;
    if (capacityBytes <= 0 || chunk.length === 0) return;
    if (chunk.length >= capacityBytes) {
      if (ring.length < capacityBytes) ring = new Uint8Array(capacityBytes);
      ring.set(chunk.subarray(chunk.length - capacityBytes));
      start = 0;
      size = capacityBytes;
      return;
    }
    if (size + chunk.length > ring.length && ring.length < capacityBytes) {
      const grown = new Uint8Array(Math.min(capacityBytes, Math.max(size + chunk.length, ring.length * 2, 4096)));
      grown.set(bytes());
      ring = grown;
      start = 0;
    }
    const end = (start + size) % ring.length;
    const first = Math.min(chunk.length, ring.length - end);
    ring.set(chunk.subarray(0, first), end);
    ring.set(chunk.subarray(first), 0);
    const overflow = size + chunk.length - ring.length;
    if (overflow > 0) {
      start = (start + overflow) % ring.length;
      size = ring.length;
    } else {
      size += chunk.length;
    }
  };

  return { push, bytes, total: () => totalBytes };
}

/** The reading of one spawned child's output. */
export interface ChildOutput {
  /** Resolves when every output stream has ended. */
  drained: Promise<void>;
  /** Stops reading (a process that left the group may hold a pipe open forever). */
  abandonOutput: () => void;
  /** Chunks read so far, and the reads the caller's `onOutput` holds back now: how the wait for the rest of the output tells progress. */
  reads: number;
  heldReads: number;
}

/** Reads a pipe to its end, only as fast as `handle` lets it (a held-back pipe blocks the child). */
export async function drainPipe(
  stream: ReadableStream<Uint8Array>,
  {
    handle,
    reading,
    abandon,
    onHandlerError,
  }: {
    /** Takes a chunk; a promise it returns holds back the next read until it settles. */
    handle: (chunk: Uint8Array) => void | Promise<void>;
    /** The output being read, whose counts this pipe's reads add to. */
    reading: () => ChildOutput;
    /** Where this pipe leaves the way to stop reading it. */
    abandon: (() => void)[];
    /** Told when a promise from `handle` rejects. */
    onHandlerError: (err: unknown) => void;
  },
): Promise<void> {
  const reader = stream.getReader();
  abandon.push(() => void reader.cancel().catch(() => {}));
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      reading().reads++;
      const held = handle(value);
      if (!held) continue;
      reading().heldReads++;
      await held.catch(onHandlerError);
      reading().heldReads--;
    }
  } catch {
    // A cancelled or broken pipe just ends the output.
  }
}

/**
 * Waits for the rest of an exited child's output. Reading stops after `outputDrainMs` without
 * a chunk read (a process that left the group holds the pipe), but not while `onOutput` holds
 * reads back: what is left in the pipe is then waiting for the caller, who bounds that wait.
 */
export async function outputEnd(output: ChildOutput, { clock, outputDrainMs }: { clock: Clock; outputDrainMs: number }): Promise<void> {
  let readsBefore = -1;
  const stalled = () => output.reads === readsBefore && output.heldReads === 0;
  let cancelWait = () => {};
  const abandoned = new Promise<void>((resolve) => {
    const check = () => {
      if (stalled()) return resolve(output.abandonOutput());
      readsBefore = output.reads;
      cancelWait = clock.setTimer(check, outputDrainMs);
    };
    check();
  });
  await Promise.race([output.drained, abandoned.then(() => output.drained)]);
  cancelWait();
}
