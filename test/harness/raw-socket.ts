// A graphql-transport-ws client over a plain TCP connection, for tests of clients that stop
// reading: a real client library always reads, so it cannot hold a server's socket backed up.
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

/**
 * Opens a graphql-transport-ws socket to the server on `port`, signed in with `token`, reads the
 * upgrade and the acknowledgement of its connection_init, and then nothing (it is paused): write
 * `frame`s to it, and `resume` it to read what the server sent meanwhile.
 */
export async function openRawSocket(port: number, token: string): Promise<net.Socket> {
  const connection = net.connect(port, "127.0.0.1");
  await new Promise((resolve) => connection.once("connect", resolve));
  let received = "";
  const acknowledged = new Promise<void>((resolve) => {
    const read = (chunk: Buffer) => {
      received += chunk.toString("latin1");
      if (!received.includes("connection_ack")) return;
      connection.off("data", read);
      connection.pause();
      resolve();
    };
    connection.on("data", read);
  });
  connection.write(
    `GET /graphql HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: graphql-transport-ws\r\n\r\n" +
      frame(JSON.stringify({ type: "connection_init", payload: { authorization: `Bearer ${token}` } })).toString("latin1"),
    "latin1",
  );
  await acknowledged;
  return connection;
}
