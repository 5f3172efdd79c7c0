// Recognising a process's own loopback connection from /proc: by all four ends, never by a port alone.
import { afterEach, describe, expect, test } from "bun:test";
import { connect, createServer, type Server, type Socket } from "node:net";
import { loopbackPeerCheck } from "../../server/tunnels/loopback-peer";

const opened: (Server | Socket)[] = [];
afterEach(() => {
  for (const thing of opened.splice(0)) "destroy" in thing ? thing.destroy() : thing.close();
});

/** A listener on 127.0.0.1 and this process's connection to it. */
async function loopbackConnection() {
  const server = createServer(() => {});
  opened.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  const client = connect({ host: "127.0.0.1", port });
  opened.push(client);
  await new Promise((resolve) => client.once("connect", resolve));
  return { peerAddress: "127.0.0.1", peerPort: client.localPort as number, localAddress: "127.0.0.1", localPort: port };
}

describe("loopback peer check", () => {
  test("this process's connection is its own; the same port from another loopback address or to another port is not", async () => {
    const connection = await loopbackConnection();
    const owns = loopbackPeerCheck(process.pid);
    expect(owns(connection)).toBe(true);
    const fresh = loopbackPeerCheck(process.pid);
    expect(fresh({ ...connection, peerAddress: "127.0.0.2" })).toBe(false);
    expect(fresh({ ...connection, localPort: connection.localPort === 65535 ? 1 : connection.localPort + 1 })).toBe(false);
  });

  test("another process does not own it", async () => {
    const connection = await loopbackConnection();
    expect(loopbackPeerCheck(process.ppid)(connection)).toBe(false);
  });

  test("a connection vouched for is believed for a second, then looked up again", async () => {
    const connection = await loopbackConnection();
    let nowMs = 0;
    const owns = loopbackPeerCheck(process.pid, () => nowMs);
    expect(owns(connection)).toBe(true);
    const client = opened.find((thing): thing is Socket => "destroy" in thing) as Socket;
    const closed = new Promise((resolve) => client.once("close", resolve));
    client.destroy();
    await closed;
    expect(owns(connection)).toBe(true);
    nowMs += 1001;
    expect(owns(connection)).toBe(false);
  });
});
