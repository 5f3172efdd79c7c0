// Uploads of many files at once through the resumable upload (tus, tus-js-client): each file in
// chunks small enough for a tunnel's body limit, with its own progress and the overall one, pause
// and resume, and automatic resume after the connection drops (the server keeps what arrived).
// An expired session is renewed and the upload goes on. Two files travel at a time. The Files
// page uploads files with it, the Programs page ZIP projects too large for one request.

import { type Accessor, createMemo, createSignal, onCleanup } from "solid-js";
import { type DetailedError, Upload } from "tus-js-client";
import { refreshSession } from "./graphql";

/** waiting → uploading ⇄ paused → done | failed (retrying while the connection is down). */
export type UploadState = "waiting" | "uploading" | "retrying" | "paused" | "done" | "failed" | "cancelled";

export interface QueuedUpload {
  key: number;
  name: string;
  folder: string;
  sizeBytes: number;
  sentBytes: Accessor<number>;
  state: Accessor<UploadState>;
  error: Accessor<string | null>;
  pause(): void;
  resume(): void;
  cancel(): void;
}

const ENDPOINT = "/files/uploads";
/** One PATCH at most this long: tunnels (Cloudflare's 100 MB) and proxies cap request bodies. */
const CHUNK_BYTES = 32 << 20;
/** Waits between attempts after a drop; the last one repeats for as long as the page is open. */
const RETRY_DELAYS_MS = [0, 1000, 3000, 5000, 10_000, 20_000, ...Array<number>(500).fill(30_000)];
const AT_ONCE = 2;

/** What the server said when it refused, or what went wrong on the way. */
function describeFailure(error: Error | DetailedError): string {
  const response = "originalResponse" in error ? error.originalResponse : null;
  if (response) {
    try {
      const body = JSON.parse(response.getBody()) as { error?: { message?: string } };
      if (body.error?.message) return body.error.message;
    } catch {
      // Not our JSON error: the status says what there is to say.
    }
    return `The server answered ${response.getStatus()}.`;
  }
  return "The upload could not reach the server.";
}

export function createResumableUploadQueue({ onUploaded }: { onUploaded: (fileId: string) => void }) {
  const [uploads, setUploads] = createSignal<readonly QueuedUpload[]>([]);
  const running = new Set<QueuedUpload>();
  const waiting: (() => void)[] = [];
  let nextKey = 1;
  // A renewal of the session in flight: requests wait for it, so they carry the new cookie.
  let renewing: Promise<unknown> = Promise.resolve();

  const startNext = () => {
    while (running.size < AT_ONCE && waiting.length > 0) waiting.shift()?.();
  };

  function add(files: readonly File[], folder: string) {
    const added = files.map((file): QueuedUpload => {
      const [sentBytes, setSentBytes] = createSignal(0);
      const [state, setState] = createSignal<UploadState>("waiting");
      const [error, setError] = createSignal<string | null>(null);
      const finish = (next: UploadState) => {
        setState(next);
        running.delete(queued);
        startNext();
      };
      const upload = new Upload(file, {
        endpoint: ENDPOINT,
        chunkSize: CHUNK_BYTES,
        retryDelays: RETRY_DELAYS_MS,
        metadata: { filename: file.name, folder },
        // The session cookie may only be used with this header outside a JSON POST.
        headers: { "x-outpost-csrf": "1" },
        removeFingerprintOnSuccess: true,
        onBeforeRequest: () => renewing.then(() => undefined),
        onShouldRetry: (err, attempt, options) => {
          const status = err.originalResponse?.getStatus() ?? 0;
          if (status === 401) {
            renewing = refreshSession().catch(() => false);
            return attempt < 3;
          }
          if (state() === "paused" || state() === "cancelled") return false;
          const retry = status === 0 || status === 409 || status === 423 || status >= 500;
          if (retry) setState("retrying");
          return retry && attempt < (options.retryDelays?.length ?? 0);
        },
        onProgress: (sent) => {
          setSentBytes(sent);
          if (state() === "retrying") setState("uploading");
        },
        onSuccess: ({ lastResponse }) => {
          setSentBytes(file.size);
          finish("done");
          const fileId = lastResponse.getHeader("outpost-file-id");
          if (fileId) onUploaded(fileId);
        },
        onError: (err) => {
          setError(describeFailure(err));
          finish("failed");
        },
      });
      const begin = () => {
        running.add(queued);
        setState("uploading");
        setError(null);
        // A file whose upload was cut short earlier (the page closed) continues where it stopped.
        void upload.findPreviousUploads().then((previous) => {
          const [latest] = previous;
          if (latest) upload.resumeFromPreviousUpload(latest);
          upload.start();
        });
      };
      const queued: QueuedUpload = {
        key: nextKey++,
        name: file.name,
        folder,
        sizeBytes: file.size,
        sentBytes,
        state,
        error,
        pause() {
          if (state() !== "uploading" && state() !== "retrying") return;
          void upload.abort();
          finish("paused");
        },
        resume() {
          if (state() !== "paused" && state() !== "failed") return;
          setState("waiting");
          waiting.push(begin);
          startNext();
        },
        cancel() {
          if (state() === "done" || state() === "cancelled") return;
          const wasRunning = running.has(queued);
          const index = waiting.indexOf(begin);
          if (index !== -1) waiting.splice(index, 1);
          // Terminating deletes what the server holds of it.
          void upload.abort(true).catch(() => {});
          if (wasRunning) finish("cancelled");
          else setState("cancelled");
        },
      };
      waiting.push(begin);
      return queued;
    });
    setUploads((current) => [...current, ...added]);
    startNext();
  }

  onCleanup(() => {
    for (const queued of running) queued.pause();
  });

  const overall = createMemo(() => {
    const counted = uploads().filter((u) => u.state() !== "cancelled");
    return {
      sentBytes: counted.reduce((sum, u) => sum + u.sentBytes(), 0),
      totalBytes: counted.reduce((sum, u) => sum + u.sizeBytes, 0),
      active: counted.some((u) => u.state() === "waiting" || u.state() === "uploading" || u.state() === "retrying"),
    };
  });

  return {
    uploads,
    overall,
    add,
    /** Forgets the uploads that are done, cancelled or failed. */
    clearFinished: () => setUploads((current) => current.filter((u) => !["done", "cancelled", "failed"].includes(u.state()))),
  };
}

export type ResumableUploadQueue = ReturnType<typeof createResumableUploadQueue>;
