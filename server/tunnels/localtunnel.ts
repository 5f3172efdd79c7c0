// The localtunnel client protocol: ask the server for a tunnel (`GET /?new`, or `GET /<subdomain>`
// for a chosen one); it answers with a public URL and a TCP port; keep a pool of connections to
// that port open. The server sends each visitor's bytes down one pooled connection; we pipe them
// into the local entrance and the answer back, then open a fresh connection in its place.
// The npm client retries forever when the server is gone; here each step has a timeout and a
// pool that cannot reconnect reports the tunnel dropped, so the service's backoff takes over.
import { connect as dial, type Socket } from "node:net";
import type { LocalEntrance } from "../http/local-entrance";
import { readResponseHead } from "../http/response-head";
import { type ConnectRequest, type ProviderDriver, TunnelConnectError, type TunnelConnection, withTimeout } from "./connection";

/** More pooled connections than this are not opened, whatever the server offers. */
const MAX_POOL = 10;
/** The server's answer to the registration is small; a larger one is refused. */
const MAX_ANSWER_BYTES = 64 << 10;
/**
 * A pooled connection the server closes before any visitor came through it is reopened after
 * 100 ms, doubling per such close in a row; after this many the server is taken to have dropped
 * the tunnel (the service's backoff then takes over), instead of dialling it in a tight loop.
 */
const MAX_EMPTY_CLOSES = 5;
const FIRST_REOPEN_DELAY_MS = 100;

interface Registration {
  id: string;
  port: number;
  max_conn_count?: number;
  url: string;
}

async function register(server: URL, subdomain: string | null, timeoutMs: number): Promise<Registration> {
  const address = new URL(subdomain ? `/${encodeURIComponent(subdomain)}` : "/?new", server);
  let response: Response;
  try {
    response = await fetch(address, { signal: AbortSignal.timeout(timeoutMs), redirect: "error" });
  } catch (err) {
    const why = (err as Error).name === "TimeoutError" ? `no answer within ${Math.round(timeoutMs / 1000)} s` : (err as Error).message;
    throw new TunnelConnectError(`The localtunnel server ${server.origin} could not be reached: ${why}.`, "unreachable");
  }
  const { text, whole } = await readResponseHead(response, MAX_ANSWER_BYTES);
  if (!whole)
    throw new TunnelConnectError(
      `The localtunnel server ${server.origin} answered with more than ${MAX_ANSWER_BYTES >> 10} KiB; that is no localtunnel server.`,
      "unreachable",
    );
  let body: Partial<Registration> & { message?: unknown } = {};
  try {
    body = JSON.parse(text);
  } catch {
    // Not JSON: reported below as an answer we cannot use.
  }
  if (!response.ok) {
    const message = typeof body.message === "string" ? body.message.slice(0, 200) : `HTTP ${response.status}`;
    throw new TunnelConnectError(`The localtunnel server ${server.origin} refused the tunnel: ${message}`, "unreachable");
  }
  if (typeof body.id !== "string" || typeof body.url !== "string" || !Number.isInteger(body.port) || !/^https?:\/\//.test(body.url))
    throw new TunnelConnectError(`The localtunnel server ${server.origin} gave an answer that is not a localtunnel tunnel.`, "unreachable");
  return body as Registration;
}

/** Connects to the entrance the way the provider's client would. */
function dialEntrance(entrance: LocalEntrance): Socket {
  return entrance.path ? dial({ path: entrance.path }) : dial({ host: "127.0.0.1", port: entrance.port as number });
}

/**
 * Keeps `size` connections to the server's tunnel port. Resolves once one is open; `dropped`
 * settles when a closed connection cannot be replaced (the server has gone).
 */
function openPool(host: string, port: number, size: number, entrance: LocalEntrance, timeoutMs: number): Promise<TunnelConnection> {
  const open = new Set<Socket>();
  const reopenTimers = new Set<ReturnType<typeof setTimeout>>();
  let closed = false;
  const closeAll = () => {
    for (const timer of reopenTimers) clearTimeout(timer);
    for (const socket of open) socket.destroy();
  };
  let reportDrop: (reason: string) => void = () => {};
  const dropped = new Promise<string>((resolve) => {
    reportDrop = (reason) => {
      if (closed) return;
      closed = true;
      closeAll();
      resolve(reason);
    };
  });
  let firstOpen: () => void = () => {};
  const ready = new Promise<void>((resolve) => {
    firstOpen = resolve;
  });

  /** One slot of the pool: `emptyCloses` counts its connections in a row the server closed unused. */
  const openOne = (slot: { emptyCloses: number }) => {
    if (closed) return;
    const remote = dial({ host, port });
    open.add(remote);
    let connected = false;
    let carried = false;
    let local: Socket | null = null;
    remote.setNoDelay(true);
    remote.once("connect", () => {
      connected = true;
      firstOpen();
    });
    remote.once("data", (first: Buffer) => {
      carried = true;
      slot.emptyCloses = 0;
      remote.pause();
      local = dialEntrance(entrance);
      local.setNoDelay?.(true);
      local.once("connect", () => {
        local?.write(first);
        if (local) {
          remote.pipe(local);
          local.pipe(remote);
        }
        remote.resume();
      });
      local.on("error", () => remote.destroy());
      local.on("close", () => remote.destroy());
    });
    remote.on("error", () => {});
    remote.on("close", () => {
      open.delete(remote);
      local?.destroy();
      if (closed) return;
      // A connection that never opened means the server is gone; one that carried a visitor is
      // replaced at once; one the server closed unused, after a pause that grows.
      if (!connected) return reportDrop(`The localtunnel server ${host}:${port} closed the tunnel.`);
      if (carried) return openOne(slot);
      slot.emptyCloses++;
      if (slot.emptyCloses >= MAX_EMPTY_CLOSES)
        return reportDrop(`The localtunnel server ${host}:${port} keeps closing the tunnel's connections.`);
      const timer = setTimeout(
        () => {
          reopenTimers.delete(timer);
          openOne(slot);
        },
        FIRST_REOPEN_DELAY_MS * 2 ** (slot.emptyCloses - 1),
      );
      reopenTimers.add(timer);
    });
  };
  for (let i = 0; i < size; i++) openOne({ emptyCloses: 0 });

  const connection = withTimeout(
    ready,
    timeoutMs,
    () => new TunnelConnectError(`The localtunnel server's tunnel port ${host}:${port} could not be reached.`, "unreachable"),
    () => reportDrop("timed out"),
  ).then(
    (): TunnelConnection => ({
      publicUrl: "",
      dropped,
      async close() {
        closed = true;
        closeAll();
      },
    }),
  );
  // A pool that drops before any connection opened fails the start rather than waiting for the timeout.
  return Promise.race([
    connection,
    dropped.then((reason) => {
      throw new TunnelConnectError(reason, "unreachable");
    }),
  ]);
}

/** The server's URL from a setting or option: a host name (https) or an http(s) URL; null when it is neither. */
export function localtunnelServerUrl(server: string): URL | null {
  const text = /^[a-z]+:\/\//i.test(server) ? server : `https://${server}`;
  if (!URL.canParse(text)) return null;
  const url = new URL(text);
  return /^https?:$/.test(url.protocol) && url.hostname !== "" ? url : null;
}

export function localtunnelDriver({ defaultServer }: { defaultServer: string }): ProviderDriver {
  return {
    provider: "LOCALTUNNEL",
    visitorHeader: "x-forwarded-for",
    needsLoopback: false,
    availability: async () => ({ available: true, reason: null }),
    checkOptions(options) {
      if (!localtunnelServerUrl(options.server ?? defaultServer))
        return "The localtunnel server must be a host name or an http:// or https:// URL.";
      if (options.subdomain != null && !/^[a-z0-9][a-z0-9-]{2,62}$/.test(options.subdomain))
        return "A localtunnel subdomain is 3 to 63 lower-case letters, digits and dashes.";
      return null;
    },
    async connect({ entrance, options, timeoutMs }: ConnectRequest) {
      const server = localtunnelServerUrl(options.server ?? defaultServer) as URL;
      const { port, max_conn_count, url } = await register(server, options.subdomain ?? null, timeoutMs);
      const pool = await openPool(server.hostname, port, Math.max(1, Math.min(MAX_POOL, max_conn_count ?? MAX_POOL)), entrance, timeoutMs);
      return { ...pool, publicUrl: url };
    },
  };
}
