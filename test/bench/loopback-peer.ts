// Benchmark, printed as figures (no assertions): what cloudflared's loopback entrance pays per
// request to check that a connection is cloudflared's own, with the per-connection cache and with
// /proc/net/tcp read on every request (the cache's clock moved past its second before each call).
// The cost grows with the sockets open on the box. Run: `bun test/bench/loopback-peer.ts`.
import { connect, createServer } from "node:net";
import { loopbackPeerCheck } from "../../server/tunnels/loopback-peer";

const CHECKS = 500;

const server = createServer(() => {});
await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
const port = (server.address() as { port: number }).port;
const client = connect({ host: "127.0.0.1", port });
await new Promise((resolve) => client.once("connect", resolve));
const connection = { peerAddress: "127.0.0.1", peerPort: client.localPort as number, localAddress: "127.0.0.1", localPort: port };

const perCheckMs = (check: (c: typeof connection) => boolean) => {
  const started = performance.now();
  for (let i = 0; i < CHECKS; i++) if (!check(connection)) throw new Error("the connection was not recognised as this process's own");
  return (performance.now() - started) / CHECKS;
};
let movedMs = 0;
const sockets = (await Bun.file("/proc/net/tcp").text()).trim().split("\n").length - 1;
console.log(`ownership check of one kept-alive connection, ${CHECKS} requests, ${sockets} IPv4 sockets on the box:`);
console.log(`  cached per connection        ${perCheckMs(loopbackPeerCheck(process.pid)).toFixed(3)} ms per request`);
console.log(
  `  /proc/net/tcp every request  ${perCheckMs(loopbackPeerCheck(process.pid, () => (movedMs += 2000))).toFixed(3)} ms per request`,
);
client.destroy();
server.close();
