// A viewer that stops reading while a terminal floods far more output than the server may hold,
// over graphql-ws and over the terminal socket: the server's memory stays bounded, and a viewer
// that reads gets the flood about as fast as with nobody else watching. The server runs in this
// process, so its memory is this process's RSS.
import { expect, test } from "bun:test";
import type net from "node:net";
import { startTestApp, type TestApp } from "../harness/app";
import { type GraphqlClient, waitUntil } from "../harness/client";
import { frame, graphqlWsProtocol, openRawSocket, type RawSocketProtocol } from "../harness/raw-socket";
import { rssGrowth } from "../harness/rss-growth";

const MiB = 1 << 20;
const OUTPUT = "subscription ($id: ID!) { terminalOutput(id: $id) { data reset } }";
/** The flood: well past the RSS bound, so a viewer's output buffered without limit would blow it. */
const FLOOD_BYTES = 128 * MiB;
/**
 * How far the server's RSS may grow while the floods pass. The reading viewer's garbage counts too
 * (it is in this process): about 50–66 MiB in all; a viewer buffered without limit adds the flood.
 */
const RSS_BOUND_MIB = 96;
/** How much longer the reading viewer may take for the flood while another does not read. */
const SLOWDOWN_BOUND = 3;
/**
 * Waits for a line, then floods. `stty -opost` passes the bytes as they are, as a full-screen
 * program's raw mode does: the kernel's newline translation would otherwise be the bottleneck
 * (a tenth of the speed), not the server.
 */
const FLOOD_COMMAND = `stty -opost; read -r go; yes | head -c ${FLOOD_BYTES}`;

/** How a viewer attaches over each protocol the terminal is served by. */
const PROTOCOLS = [
  {
    name: "graphql-ws",
    socket: graphqlWsProtocol,
    attach: (id: string) => JSON.stringify({ id: "slow", type: "subscribe", payload: { query: OUTPUT, variables: { id } } }),
  },
  {
    name: "outpost-terminal",
    socket: (token: string): RawSocketProtocol => ({
      path: "/terminals/socket",
      protocol: "outpost-terminal",
      headers: `Authorization: Bearer ${token}\r\n`,
      ready: "101 Switching Protocols",
    }),
    attach: (id: string) => `a${id}`,
  },
] as const;

/** A socket over plain TCP that attaches to a terminal's output and then reads nothing. */
async function slowViewer(server: TestApp, via: (typeof PROTOCOLS)[number], token: string, id: string): Promise<net.Socket> {
  const connection = await openRawSocket(server.port, token, via.socket(token));
  await server.listening("terminal.output", () => connection.write(frame(via.attach(id))));
  return connection;
}

/**
 * Opens a terminal that floods FLOOD_BYTES once told to, attaches `before` (a viewer that does not
 * read, say) and a reading viewer, starts the flood and waits until the reading viewer is sent the
 * end, for at most `timeoutMs`: how long that took and how many bytes of output it was sent.
 */
async function flood(
  server: TestApp,
  admin: GraphqlClient,
  { before = async () => {}, timeoutMs = 60_000 }: { before?: (terminalId: string) => Promise<unknown>; timeoutMs?: number } = {},
): Promise<{ seconds: number; receivedBytes: number }> {
  const { openTerminal } = await admin.data<{ openTerminal: { id: string } }>(
    "mutation ($command: String) { openTerminal(cols: 80, rows: 24, command: $command) { id } }",
    { command: FLOOD_COMMAND },
  );
  const id = openTerminal.id;
  await before(id);
  // Reads as the web UI does: over the terminal socket.
  const reader = new WebSocket(`${server.url.replace("http", "ws")}/terminals/socket`, {
    protocols: ["outpost-terminal"],
    headers: { authorization: `Bearer ${admin.accessToken}` },
  } as unknown as string[]);
  let receivedBytes = 0;
  let ended = false;
  reader.onmessage = (event) => {
    const frame = String(event.data);
    receivedBytes += frame.length - 1;
    if (frame[0] === "x") ended = true;
  };
  await new Promise((resolve, reject) => {
    reader.onopen = resolve;
    reader.onerror = reject;
  });
  await server.listening("terminal.output", () => reader.send(`a${id}`));
  const started = performance.now();
  try {
    await admin.data('mutation ($id: ID!) { writeTerminal(id: $id, data: "\\r") }', { id });
    await waitUntil(() => ended, timeoutMs, `the reading viewer to be sent the end of ${FLOOD_BYTES / MiB} MiB`);
  } finally {
    reader.close();
  }
  const seconds = (performance.now() - started) / 1000;
  await admin.data("mutation ($id: ID!) { closeTerminal(id: $id) { id } }", { id });
  return { seconds, receivedBytes };
}

for (const via of PROTOCOLS)
  test(`a viewer over ${via.name} that reads nothing while a terminal floods neither grows the server's memory nor holds up one that reads`, async () => {
    await using server = await startTestApp({ config: { rateLimitApiPerMinute: 1_000_000 } });
    const admin = await server.admin();
    let slow: net.Socket | null = null;
    let alone = { seconds: 0, receivedBytes: 0 };
    let beside = alone;
    try {
      // Both floods measured: memory the first freed cannot hide what the second keeps.
      const growth = await rssGrowth(`terminal floods, one beside a ${via.name} viewer not reading`, async () => {
        alone = await flood(server, admin);
        beside = await flood(server, admin, {
          before: async (id) => {
            slow = await slowViewer(server, via, admin.accessToken as string, id);
          },
          // Past the bound it fails here, without waiting longer.
          timeoutMs: SLOWDOWN_BOUND * alone.seconds * 1000,
        });
      });
      const slowdown = beside.seconds / alone.seconds;
      console.log(
        `terminal flood of ${FLOOD_BYTES / MiB} MiB to a reading viewer: ${alone.seconds.toFixed(1)} s alone, ` +
          `${beside.seconds.toFixed(1)} s beside a ${via.name} viewer not reading (×${slowdown.toFixed(2)}), sent ` +
          `${Math.round(alone.receivedBytes / MiB)} and ${Math.round(beside.receivedBytes / MiB)} MiB (less after falling behind)`,
      );
      expect(growth.peak).toBeLessThan(RSS_BOUND_MIB);
      expect(slowdown).toBeLessThan(SLOWDOWN_BOUND);
    } finally {
      (slow as net.Socket | null)?.destroy();
    }
  }, 90_000);
