// One viewer's stream of a terminal's output: the scrollback first, then live output coalesced
// while the viewer is not reading, bounded: a viewer too far behind is sent the scrollback again
// instead of everything it missed. Used by the terminalOutput subscription and the terminal socket.
import type { Clock } from "../clock";
import type { EventBus } from "../events";
import type { TerminalOutputChunk } from "./service";

/** Output a viewer may have waiting before it is sent the scrollback instead (UTF-16 code units). */
const MAX_PENDING_CODE_UNITS = 256 << 10;

/** What a stream reads and keeps up to date of its session. */
export interface ViewedSession {
  id: string;
  exited: boolean;
  exitCode: number | null;
  /** Viewers attached now; the stream counts itself in and out. */
  viewers: number;
  /** When the last viewer left: set when this stream was the last. */
  unwatchedSince: number;
  /** Ends the streams of one user (a share taken back); the stream adds and removes itself. */
  detachers: Set<{ userId: string; detach: () => void }>;
}

/**
 * Opens `viewerId`'s stream of `session`: the scrollback first (reset), then live output. A
 * viewer more than MAX_PENDING_CODE_UNITS behind gets the scrollback again (reset). Ends after
 * the chunk that says the session exited; `return()` detaches.
 */
export function openViewerStream(
  session: ViewedSession,
  viewerId: string,
  { events, clock, scrollback }: { events: EventBus; clock: Clock; scrollback: () => string },
): AsyncIterableIterator<TerminalOutputChunk> {
  let pending = "";
  let reset = true;
  let ended = session.exited;
  let detached = false;
  let waiting: ((result: IteratorResult<TerminalOutputChunk>) => void) | null = null;

  const take = (): IteratorResult<TerminalOutputChunk> | null => {
    if (detached) return { value: undefined, done: true };
    if (reset) {
      reset = false;
      pending = "";
      return { value: { data: scrollback(), reset: true, exited: false, exitCode: null }, done: false };
    }
    if (pending) {
      const data = pending;
      pending = "";
      return { value: { data, reset: false, exited: false, exitCode: null }, done: false };
    }
    if (ended && !detached) {
      detach();
      return { value: { data: "", reset: false, exited: true, exitCode: session.exitCode }, done: false };
    }
    return null;
  };
  const wake = () => {
    if (!waiting) return;
    const result = take();
    if (!result) return;
    const resolve = waiting;
    waiting = null;
    resolve(result);
  };
  const offOutput = events.on("terminal.output", (event) => {
    if (event.terminalId !== session.id || reset) return;
    pending += event.data;
    if (pending.length > MAX_PENDING_CODE_UNITS) reset = true;
    wake();
  });
  const offEnded = events.on("terminal.ended", (event) => {
    if (event.terminalId !== session.id) return;
    ended = true;
    wake();
  });
  session.viewers++;
  const detacher = { userId: viewerId, detach: () => void iterator.return?.() };
  session.detachers.add(detacher);
  const detach = () => {
    if (detached) return;
    detached = true;
    session.detachers.delete(detacher);
    offOutput();
    offEnded();
    pending = "";
    session.viewers--;
    if (session.viewers === 0) session.unwatchedSince = clock.now();
  };

  const iterator: AsyncIterableIterator<TerminalOutputChunk> = {
    next() {
      const result = take();
      if (result) return Promise.resolve(result);
      return new Promise((resolve) => {
        waiting = resolve;
      });
    },
    return() {
      detach();
      waiting?.({ value: undefined, done: true });
      waiting = null;
      return Promise.resolve({ value: undefined, done: true });
    },
    [Symbol.asyncIterator]() {
      return iterator;
    },
  };
  return iterator;
}
