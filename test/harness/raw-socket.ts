// A WebSocket client over a plain TCP connection, for tests of clients that stop reading: a real
// client library always reads, so it cannot hold a server's socket backed up. It speaks
// graphql-transport-ws by default, or any socket protocol the server serves.
import net from "node:net";

/** One masked WebSocket text frame, as a client sends it. */
export function frame(text: string): Buffer {
  const payload = Buffer.from(text);
  const mask = Buffer.from([1, 2, 3, 4]);
  const length =
    payload.length < 126
      ? Buffer.from([0x80 | payload.length])
      : payload.length < 65536
        ? Buffer.from([0x80 | 126, payload.length >> 8, payload.length & 0xff])
        : Buffer.concat([Buffer.from([0x80 | 127]), Buffer.from(new BigUint64Array([BigInt(payload.length)]).buffer).reverse()]);
  return Buffer.concat([Buffer.from([0x81]), length, mask, payload.map((byte, i) => byte ^ (mask[i % 4] as number))]);
}

/** How a raw socket opens: where, with which subprotocol, and when it counts as ready. */
export interface RawSocketProtocol {
  path: string;
  /** Sec-WebSocket-Protocol. */
  protocol: string;
  /** Extra request headers, each ending in CRLF. */
  headers?: string;
  /** Messages sent right after the upgrade request. */
  greeting?: string[];
  /** Text the server's answer includes once the socket is ready. */
  ready: string;
}

/** graphql-transport-ws on /graphql, signed in with `token` in connection_init; ready once acknowledged. */
export const graphqlWsProtocol = (token: string): RawSocketProtocol => ({
  path: "/graphql",
  protocol: "graphql-transport-ws",
  greeting: [JSON.stringify({ type: "connection_init", payload: { authorization: `Bearer ${token}` } })],
  ready: "connection_ack",
});

/**
 * Opens a socket to the server on `port` (graphql-transport-ws signed in with `token`, unless
 * `via` says otherwise), reads until it is ready, and then nothing (it is paused): write `frame`s
 * to it, and `resume` it to read what the server sent meanwhile.
 */
export async function openRawSocket(port: number, token: string, via: RawSocketProtocol = graphqlWsProtocol(token)): Promise<net.Socket> {
  const connection = net.connect(port, "127.0.0.1");
  await new Promise((resolve) => connection.once("connect", resolve));
  let received = "";
  const ready = new Promise<void>((resolve) => {
    const read = (chunk: Buffer) => {
      received += chunk.toString("latin1");
      if (!received.includes(via.ready)) return;
      connection.off("data", read);
      connection.pause();
      resolve();
    };
    connection.on("data", read);
  });
  connection.write(
    `GET ${via.path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n${via.headers ?? ""}` +
      `Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: ${via.protocol}\r\n\r\n` +
      (via.greeting ?? []).map((message) => frame(message).toString("latin1")).join(""),
    "latin1",
  );
  await ready;
  return connection;
}
