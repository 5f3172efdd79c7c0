// A viewer that stops reading while a terminal floods output, over graphql-ws and over the terminal
// socket: the server's memory stays bounded and a viewer that reads keeps getting output. The
// server runs in this process, so its memory is this process's RSS.
import { expect, test } from "bun:test";
import type net from "node:net";
import { startTestApp, type TestApp } from "../harness/app";
import { waitUntil } from "../harness/client";
import { frame, graphqlWsProtocol, openRawSocket, type RawSocketProtocol } from "../harness/raw-socket";
import { rssGrowth } from "../harness/rss-growth";

const MiB = 1 << 20;
const OUTPUT = "subscription ($id: ID!) { terminalOutput(id: $id) { data reset } }";
/** What the fast viewer must receive while the slow one reads nothing. */
const FLOOD_BYTES = 4 * MiB;
/** How far the server's RSS may grow meanwhile. */
const RSS_BOUND_MIB = 64;

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

    let seconds = 0;
    const growth = await rssGrowth(`terminal flood, ${via.name} viewer not reading`, async () => {
      const started = performance.now();
      await admin.data('mutation ($id: ID!) { writeTerminal(id: $id, data: "yes\\r") }', { id });
      await waitUntil(() => receivedBytes >= FLOOD_BYTES, 60_000, `the reading viewer to receive ${FLOOD_BYTES} bytes`);
      seconds = (performance.now() - started) / 1000;
    });
    console.log(`terminal flood, ${via.name} viewer not reading: reading viewer got ${FLOOD_BYTES / MiB} MiB in ${seconds.toFixed(1)} s`);
    expect(growth.peak).toBeLessThan(RSS_BOUND_MIB);

    await admin.data("mutation ($id: ID!) { closeTerminal(id: $id) { id } }", { id });
    slow.destroy();
    await fast.dispose();
  });
