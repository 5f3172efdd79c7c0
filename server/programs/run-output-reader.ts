// One live subscriber's backlog of a run's output, and the back-pressure it puts on the run: while
// a subscriber has too much waiting, the run stops reading the program's output (its pipe fills
// and the program waits) until the subscriber catches up or, stalled too long, is cut off.
import type { Clock } from "../clock";
import { LimitExceededError } from "../errors";
import type { EventBus } from "../events";
import type { RunOutputEvent } from "./run-output";

/**
 * Chunks waiting for a subscriber merge up to this size: one socket message stays well under what
 * a socket may leave unread (graphql-ws.ts), even with every character escaped in JSON.
 */
const MAX_MERGED_CHARS = 128 << 10;

/** One live subscriber's backlog of a run's output (see createOutputReader). */
export interface OutputReader {
  /** The next event; throws LimitExceededError once the reader was cut off for stalling. */
  next(): Promise<RunOutputEvent>;
  /** Whether `maxChars` or more wait: the run should not read more output until `room` resolves. */
  full(): boolean;
  /** Resolves once half of `maxChars` or less waits, or once the reader is cut off (after `maxStallMs`) or closed. */
  room(): Promise<void>;
  close(): void;
}

/**
 * A subscriber's backlog of a run's live output. Consecutive chunks of one stream are merged, so
 * it is bounded by the text waiting, not by how finely the pipe was read. It never drops output:
 * the run stops reading while it is `full`; it is bounded by the reads under way then (one per
 * stream). A reader that does not make room within `maxStallMs` is cut off.
 */
export function createOutputReader({
  events,
  runId,
  maxChars,
  maxStallMs,
  clock,
}: {
  events: EventBus;
  runId: string;
  maxChars: number;
  maxStallMs: number;
  clock: Clock;
}): OutputReader {
  let backlog: RunOutputEvent[] = [];
  let waitingChars = 0;
  let cutOff = false;
  let wake: (() => void) | null = null;
  let roomWaiters: (() => void)[] = [];
  const makeRoom = () => {
    const waiters = roomWaiters;
    roomWaiters = [];
    for (const resolve of waiters) resolve();
  };
  const off = events.on("run.output", (event) => {
    if (event.runId !== runId || cutOff) return;
    const last = backlog.at(-1);
    if (event.kind === "output" && last?.kind === "output" && last.stream === event.stream && last.text.length < MAX_MERGED_CHARS) {
      backlog[backlog.length - 1] = { ...last, seq: event.seq, text: last.text + event.text };
    } else {
      backlog.push(event);
    }
    waitingChars += event.kind === "output" ? event.text.length : 0;
    wake?.();
  });
  const stop = () => {
    off();
    backlog = [];
    waitingChars = 0;
    makeRoom();
  };
  return {
    async next(): Promise<RunOutputEvent> {
      for (;;) {
        if (cutOff)
          throw new LimitExceededError(
            `Output waited more than ${Math.round(maxStallMs / 1000)} s for this subscriber, so it was cut off; subscribe again to replay what was kept.`,
          );
        const event = backlog.shift();
        if (event) {
          waitingChars -= event.kind === "output" ? event.text.length : 0;
          if (waitingChars <= maxChars / 2) makeRoom();
          return event;
        }
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
        wake = null;
      }
    },
    full: () => !cutOff && waitingChars >= maxChars,
    room() {
      if (waitingChars <= maxChars / 2 || cutOff) return Promise.resolve();
      return new Promise<void>((resolve) => {
        const cancelStall = clock.setTimer(() => {
          cutOff = true;
          stop();
          wake?.();
        }, maxStallMs);
        roomWaiters.push(() => {
          cancelStall();
          resolve();
        });
      });
    },
    close: stop,
  };
}
