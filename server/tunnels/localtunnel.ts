// The localtunnel client protocol: ask the server for a tunnel (`GET /?new`, or `GET /<subdomain>`
// for a chosen one); it answers with a public URL and a TCP port; keep a pool of connections to
// that port open. The server sends each visitor's bytes down one pooled connection; we pipe them
// into the local entrance and the answer back, then open a fresh connection in its place.
// The npm client retries forever when the server is gone; here each step has a timeout and a
// pool that cannot reconnect reports the tunnel dropped, so the service's backoff takes over.
import { connect as dial, type Socket } from "node:net";
import type { LocalEntrance } from "../http/local-entrance";
import { type ConnectRequest, type ProviderDriver, TunnelConnectError, type TunnelConnection, withTimeout } from "./connection";

/** More pooled connections than this are not opened, whatever the server offers. */
const MAX_POOL = 10;
/** The server's answer to the registration is small; a larger one is refused unread. */
const MAX_ANSWER_BYTES = 64 << 10;

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
  const text = Number(response.headers.get("content-length") ?? 0) > MAX_ANSWER_BYTES ? "" : await response.text();
  let body: Partial<Registration> & { message?: unknown } = {};
  try {
    body = text.length <= MAX_ANSWER_BYTES ? JSON.parse(text) : {};
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
  let closed = false;
  let reportDrop: (reason: string) => void = () => {};
  const dropped = new Promise<string>((resolve) => {
    reportDrop = (reason) => {
      if (closed) return;
      closed = true;
      for (const socket of open) socket.destroy();
      resolve(reason);
    };
  });
  let firstOpen: () => void = () => {};
  const ready = new Promise<void>((resolve) => {
    firstOpen = resolve;
  });

  const openOne = () => {
    if (closed) return;
    const remote = dial({ host, port });
    open.add(remote);
    let connected = false;
    let local: Socket | null = null;
    remote.setNoDelay(true);
    remote.once("connect", () => {
      connected = true;
      firstOpen();
    });
    remote.once("data", (first: Buffer) => {
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
      // A connection that never opened means the server is gone; one that served a visitor is replaced.
      if (connected) openOne();
      else reportDrop(`The localtunnel server ${host}:${port} closed the tunnel.`);
    });
  };
  for (let i = 0; i < size; i++) openOne();

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
        for (const socket of open) socket.destroy();
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
      const server = options.server ?? defaultServer;
      if (!URL.canParse(server) || !/^https?:$/.test(new URL(server).protocol))
        return "The localtunnel server must be an http:// or https:// URL.";
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
