// Local entrances: a second way into the same server, for the local end of a tunnel. Requests
// arriving there take their client's address from the tunnel provider's header (CF-Connecting-IP,
// X-Forwarded-For); the public port never believes such a header, so a caller cannot choose its
// address there, while through a tunnel each visitor has its own lockout and limits. An entrance
// is a socket file in <data>/run (a directory of mode 0700: only this user's processes connect),
// or, for a client that cannot dial a socket file (a cloudflared quick tunnel takes only --url), a
// random port on 127.0.0.1, which any local process can reach: there a request names its client
// only when the tunnel vouches for its connection (tunnels/loopback-peer.ts).
import { chmodSync, mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import type { Server, WebSocketHandler } from "bun";
import { canonicalAddress, type TrustedProxies } from "./client-info";
import type { SocketData } from "./sockets";

/** A socket path must fit sockaddr_un (108 bytes with its terminating NUL). */
const MAX_SOCKET_PATH_BYTES = 107;
/** Where a loopback entrance listens, and the only address its tunnel client dials from. */
const LOOPBACK_HOST = "127.0.0.1";

/** The four ends of a TCP connection to a loopback entrance. */
export interface LoopbackConnection {
  peerAddress: string;
  peerPort: number;
  localAddress: string;
  localPort: number;
}

export interface LocalEntrance {
  /** The socket file the tunnel's local client connects to; null for a loopback entrance. */
  readonly path: string | null;
  /** The port of a loopback entrance; null for a socket file. */
  readonly port: number | null;
  /** HTTP requests and socket upgrades that arrived so far. */
  requests(): number;
  /** Stops accepting, closes open connections and removes the socket file. */
  close(): void;
}

export interface LocalEntrances {
  /**
   * Opens an entrance at `<data>/run/<name>.sock` whose requests name their client in
   * `visitorHeader`; or, with `loopback`, on a free port of 127.0.0.1, where only connections
   * `ownsConnection(connection)` vouches for may name it (others count as their own address).
   * Throws when the server does not listen yet or the path is too long.
   */
  open(options: {
    name: string;
    visitorHeader: string;
    loopback?: { ownsConnection(connection: LoopbackConnection): boolean };
  }): LocalEntrance;
}

/** What an entrance serves: the app's own handlers, known once the app has started. */
export interface EntranceHandlers {
  fetch(request: Request, server: Server<SocketData>): Promise<Response | undefined>;
  websocket: WebSocketHandler<SocketData>;
  maxRequestBodySize: number;
  error(err: Error): Response;
}

export function createLocalEntrances({
  runDir,
  trustedProxies,
  handlers,
}: {
  runDir: string;
  trustedProxies: TrustedProxies;
  /** Null until the server listens. */
  handlers: () => EntranceHandlers | null;
}): LocalEntrances {
  return {
    open({ name, visitorHeader, loopback }) {
      const serve = handlers();
      if (!serve) throw new Error("Local entrances open once the server listens.");
      const path = loopback ? null : join(runDir, `${name}.sock`);
      if (path) {
        if (Buffer.byteLength(path) > MAX_SOCKET_PATH_BYTES)
          throw new Error(`The socket path ${path} is longer than ${MAX_SOCKET_PATH_BYTES} bytes; use a shorter data directory.`);
        mkdirSync(runDir, { recursive: true, mode: 0o700 });
        chmodSync(runDir, 0o700);
        // A socket file left by a process that died cannot be bound again.
        rmSync(path, { force: true });
      }
      let requests = 0;
      const server = Bun.serve<SocketData>({
        ...(path ? { unix: path } : { hostname: LOOPBACK_HOST, port: 0, reusePort: false }),
        development: false,
        maxRequestBodySize: serve.maxRequestBodySize,
        fetch(request, self) {
          requests++;
          return serve.fetch(request, self);
        },
        error: serve.error,
        websocket: serve.websocket,
      });
      if (path) chmodSync(path, 0o600);
      const stopTrusting = trustedProxies.addEntrance(
        server,
        visitorHeader,
        loopback
          ? (request) => {
              const peer = server.requestIP(request);
              // Every 127.x address is local: a caller on 127.0.0.2 may take the port number of the
              // client's own connection, so the peer's address must be the client's, 127.0.0.1.
              if (!peer || canonicalAddress(peer.address) !== LOOPBACK_HOST) return false;
              return loopback.ownsConnection({
                peerAddress: LOOPBACK_HOST,
                peerPort: peer.port,
                localAddress: LOOPBACK_HOST,
                localPort: server.port as number,
              });
            }
          : undefined,
      );
      return {
        path,
        port: path ? null : (server.port as number),
        requests: () => requests,
        close() {
          stopTrusting();
          void server.stop(true);
          if (path) rmSync(path, { force: true });
        },
      };
    },
  };
}
