// A viewer that stops reading while a terminal floods output, over graphql-ws and over the terminal
// socket: the server's memory stays bounded and a viewer that reads keeps getting output. The server runs in this process, so its memory is
// this process's RSS.
import { expect, test } from "bun:test";
import net from "node:net";
import { startTestApp, type TestApp } from "../harness/app";
import { waitUntil } from "../harness/client";

const MiB = 1 << 20;
const rssMiB = () => process.memoryUsage().rss / MiB;
const OUTPUT = "subscription ($id: ID!) { terminalOutput(id: $id) { data reset } }";
/** What the fast viewer must receive while the slow one reads nothing. */
const FLOOD_BYTES = 4 * MiB;
/** How far the server's RSS may grow meanwhile. */
const RSS_BOUND_MIB = 64;

/** One masked WebSocket text frame, as a client sends it (short messages only). */
function frame(text: string): Buffer {
  const payload = Buffer.from(text);
  if (payload.length >= 65536) throw new Error("frame: message too long for this test client");
  const mask = Buffer.from([1, 2, 3, 4]);
  const length =
    payload.length < 126 ? Buffer.from([0x80 | payload.length]) : Buffer.from([0x80 | 126, payload.length >> 8, payload.length & 0xff]);
  return Buffer.concat([Buffer.from([0x81]), length, mask, payload.map((byte, i) => byte ^ (mask[i % 4] as number))]);
}

/** How a viewer attaches over each protocol the terminal is served by. */
const PROTOCOLS = [
  {
    name: "graphql-ws",
    path: "/graphql",
    protocol: "graphql-transport-ws",
    headers: () => "",
    /** Sent once the upgrade is answered; the socket is ready when the answer includes `ready`. */
    greeting: (token: string) => [JSON.stringify({ type: "connection_init", payload: { authorization: `Bearer ${token}` } })],
    ready: "connection_ack",
    attach: (id: string) => JSON.stringify({ id: "slow", type: "subscribe", payload: { query: OUTPUT, variables: { id } } }),
  },
  {
    name: "outpost-terminal",
    path: "/terminals/socket",
    protocol: "outpost-terminal",
    headers: (token: string) => `Authorization: Bearer ${token}\r\n`,
    greeting: () => [],
    ready: "101 Switching Protocols",
    attach: (id: string) => `a${id}`,
  },
] as const;

/** A socket over plain TCP that attaches to a terminal's output and then reads nothing. */
async function slowViewer(server: TestApp, via: (typeof PROTOCOLS)[number], token: string, id: string): Promise<net.Socket> {
  const connection = net.connect(server.port, "127.0.0.1");
  await new Promise((resolve) => connection.once("connect", resolve));
  let received = "";
  await new Promise<void>((resolve) => {
    const read = (chunk: Buffer) => {
      received += chunk.toString("latin1");
      if (!received.includes(via.ready)) return;
      connection.off("data", read);
      connection.pause();
      resolve();
    };
    connection.on("data", read);
    connection.write(
      `GET ${via.path} HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n${via.headers(token)}` +
        `Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: ${via.protocol}\r\n\r\n`,
    );
    for (const message of via.greeting(token)) connection.write(frame(message));
  });
  await server.listening("terminal.output", () => connection.write(frame(via.attach(id))));
  return connection;
}

for (const via of PROTOCOLS)
  test(`a viewer over ${via.name} that reads nothing while \`yes\` runs neither grows the server's memory nor holds up one that reads`, async () => {
    await using server = await startTestApp({ config: { rateLimitApiPerMinute: 1_000_000 } });
    const admin = await server.admin();
    const { openTerminal } = await admin.data<{ openTerminal: { id: string } }>("mutation { openTerminal(cols: 80, rows: 24) { id } }");
    const id = openTerminal.id;

    const slow = await slowViewer(server, via, admin.accessToken as string, id);
    const fast = admin.socket();
    let receivedBytes = 0;
    await server.listening("terminal.output", () =>
      fast.client.subscribe<{ terminalOutput: { data: string } }>(
        { query: OUTPUT, variables: { id } },
        {
          next: (result) => {
            receivedBytes += result.data?.terminalOutput.data.length ?? 0;
          },
          error: () => {},
          complete: () => {},
        },
      ),
    );

    Bun.gc(true);
    const before = rssMiB();
    let peak = before;
    const sampler = setInterval(() => {
      peak = Math.max(peak, rssMiB());
    }, 100);
    const started = performance.now();
    try {
      await admin.data('mutation ($id: ID!) { writeTerminal(id: $id, data: "yes\\r") }', { id });
      await waitUntil(() => receivedBytes >= FLOOD_BYTES, 60_000, `the reading viewer to receive ${FLOOD_BYTES} bytes`);
    } finally {
      clearInterval(sampler);
    }
    const seconds = (performance.now() - started) / 1000;
    const growth = Math.round(Math.max(peak, rssMiB()) - before);
    console.log(
      `terminal flood, ${via.name} viewer not reading: reading viewer got ${FLOOD_BYTES / MiB} MiB in ${seconds.toFixed(1)} s; RSS +${growth} MiB at peak`,
    );
    expect(growth).toBeLessThan(RSS_BOUND_MIB);

    await admin.data("mutation ($id: ID!) { closeTerminal(id: $id) { id } }", { id });
    slow.destroy();
    await fast.dispose();
  });
