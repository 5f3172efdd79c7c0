// Clients that ask for large answers and never read them: over HTTP and over sockets, what the
// server holds for them stays within their allowance of answers in flight, is given back when they
// go away, and the same user's small requests still work meanwhile. The server runs in this
// process, so its memory is this process's RSS.
import { describe, expect, test } from "bun:test";
import net from "node:net";
import { startTestApp, type TestApp } from "../harness/app";
import { codes, type GraphqlError, waitUntil } from "../harness/client";
import { frame, openRawSocket } from "../harness/raw-socket";
import { rssGrowth } from "../harness/rss-growth";

const MiB = 1 << 20;
/** Budgets high enough that the rate limits never answer before the limit under test. */
const UNTHROTTLED = { rateLimitApiPerMinute: 1_000_000, rateLimitAuthPerMinute: 1_000_000 };
/** 15 aliases of a 1 MiB value: an answer of 15 MiB, just within the response budget. */
const FIFTEEN_MIB = `{ ${Array.from({ length: 15 }, (_, i) => `a${i}: kv(key: "big/${i}") { value }`).join(" ")} }`;
const SMALL = '{ kv(key: "big/0") { key } }';

type Viewer = Awaited<ReturnType<typeof serverWithBigValues>>["viewer"];
type Answer = Record<string, { value: string }>;

/** A server holding 15 values of 1 MiB, and a viewer to read them. */
async function serverWithBigValues() {
  const server = await startTestApp({ config: UNTHROTTLED });
  const admin = await server.admin();
  const value = "v".repeat(MiB - 64);
  for (let i = 0; i < 15; i++)
    await admin.data("mutation ($k: String!, $v: JSON!) { setKv(key: $k, value: $v) { version } }", { k: `big/${i}`, v: value });
  return { server, viewer: await server.userWithRole("viewer") };
}

/** A plain TCP connection to the server, for clients that stop reading (`pause`). */
async function connect(server: TestApp): Promise<net.Socket> {
  const socket = net.connect(server.port, "127.0.0.1");
  await new Promise((resolve) => socket.once("connect", resolve));
  return socket;
}

/**
 * Resolves once the viewer's allowance of answers in flight is taken (a large answer is refused):
 * the server has got as far with the attack as it will. A probe that is served is not read.
 */
async function untilAllowanceTaken(viewer: Viewer) {
  await waitUntil(
    async () => {
      const probe = await fetch(`${viewer.url}/graphql`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${viewer.accessToken}` },
        body: JSON.stringify({ query: FIFTEEN_MIB }),
      });
      await probe.body?.cancel();
      return probe.status === 429;
    },
    30_000,
    "the attack to take the allowance",
  );
}

/** Waits until the viewer's large answers over HTTP are served again (what the attack held was given back), and checks one whole. */
async function largeAnswersServedAgain(viewer: Viewer) {
  let answer: Awaited<ReturnType<typeof viewer.request<Answer>>> | null = null;
  await waitUntil(
    async () => {
      answer = await viewer.request<Answer>(FIFTEEN_MIB);
      return codes(answer).length === 0;
    },
    30_000,
    "large answers to be served again",
  );
  const served = answer as unknown as { data?: Answer };
  expect(Object.values(served.data ?? {}).map((entry) => entry.value.length)).toEqual(Array(15).fill(MiB - 64));
}

test("HTTP clients that never read their large answers hold at most their allowance, and get it back when they go away", async () => {
  const { server, viewer } = await serverWithBigValues();
  await using _ = server;
  const body = JSON.stringify({ query: FIFTEEN_MIB });
  const connections: net.Socket[] = [];
  const growth = await rssGrowth("40 HTTP answers of 15 MiB never read", async () => {
    for (let i = 0; i < 40; i++) {
      const connection = await connect(server);
      connections.push(connection);
      connection.pause();
      connection.write(
        `POST /graphql HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\nContent-Type: application/json\r\n` +
          `Authorization: Bearer ${viewer.accessToken}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
      );
    }
    await untilAllowanceTaken(viewer);
  });
  expect(growth.peak).toBeLessThan(200);
  expect(growth.kept).toBeLessThan(64);
  // Meanwhile the same user's next large answer waits its turn; a small one does not.
  const refused = await viewer.request(FIFTEEN_MIB);
  expect(refused.status).toBe(429);
  expect(codes(refused)).toEqual(["LIMIT_EXCEEDED"]);
  expect(refused.headers.get("retry-after")).toBe("1");
  expect(codes(await viewer.request(SMALL))).toEqual([]);

  for (const connection of connections) connection.destroy();
  await largeAnswersServedAgain(viewer);
}, 120_000);

test("sockets that never read their large answers hold at most their allowance, and get it back when they close", async () => {
  const { server, viewer } = await serverWithBigValues();
  await using _ = server;
  const connections: net.Socket[] = [];
  const growth = await rssGrowth("30 sockets with 4 answers of 15 MiB each never read", async () => {
    for (let s = 0; s < 30; s++) {
      const connection = await openRawSocket(server.port, viewer.accessToken as string);
      connections.push(connection);
      for (let k = 0; k < 4; k++)
        connection.write(frame(JSON.stringify({ id: `q${k}`, type: "subscribe", payload: { query: FIFTEEN_MIB } })));
    }
    await untilAllowanceTaken(viewer);
  });
  expect(growth.peak).toBeLessThan(200);
  expect(growth.kept).toBeLessThan(64);
  expect(codes(await viewer.request(FIFTEEN_MIB))).toEqual(["LIMIT_EXCEEDED"]);
  expect(codes(await viewer.request(SMALL))).toEqual([]);

  for (const connection of connections) connection.destroy();
  await largeAnswersServedAgain(viewer);
}, 120_000);

test("sockets that never read their subscription events are cut off once 2 MiB wait unread", async () => {
  const { server } = await serverWithBigValues();
  await using _ = server;
  const admin = await server.admin();
  const operator = await server.userWithRole("operator");
  const connections: net.Socket[] = [];
  const value = "e".repeat(MiB - 64);
  const growth = await rssGrowth("20 sockets never reading 30 events of 1 MiB", async () => {
    for (let s = 0; s < 20; s++) {
      const connection = await openRawSocket(server.port, operator.accessToken as string);
      connections.push(connection);
      await server.listening("kv.changed", () =>
        connection.write(
          frame(
            JSON.stringify({
              id: "watch",
              type: "subscribe",
              payload: { query: 'subscription { kvChanged(prefix: "ev/") { entry { value } } }' },
            }),
          ),
        ),
      );
    }
    for (let i = 0; i < 30; i++)
      await admin.data("mutation ($k: String!, $v: JSON!) { setKv(key: $k, value: $v) { version } }", { k: `ev/${i}`, v: value });
    await server.app.settled();
    // Every socket is cut off, its subscription ended with it.
    await waitUntil(() => server.app.events.listenerCount("kv.changed") === 0, 10_000, "every socket to be cut off");
  });
  expect(growth.kept).toBeLessThan(32);
  // Each was cut off: once it reads again, it gets what was already on its way, and then the end.
  let ended = 0;
  for (const connection of connections)
    connection
      .once("close", () => ended++)
      .on("error", () => {})
      .resume();
  await waitUntil(() => ended === connections.length, 5000, "every socket to end");
}, 120_000);

describe("a client that reads gets one large answer after another", () => {
  // Three answers of 15 MiB need more than the 32 MiB a user may have in flight: each must be
  // given back once written.
  const rows = [
    {
      over: "POST",
      ask: (viewer: Viewer) => viewer.request<Answer>(FIFTEEN_MIB),
    },
    {
      over: "GET",
      ask: async (viewer: Viewer) => {
        const response = await fetch(`${viewer.url}/graphql?query=${encodeURIComponent(FIFTEEN_MIB)}`, {
          headers: { accept: "application/json", authorization: `Bearer ${viewer.accessToken}` },
        });
        return (await response.json()) as { data?: Answer; errors?: GraphqlError[] };
      },
    },
    {
      over: "a socket",
      ask: async (viewer: Viewer) => {
        const socket = viewer.socket();
        const sub = socket.subscribe<Answer>(FIFTEEN_MIB);
        const ended = await sub.ended;
        await socket.dispose();
        return sub.results[0] ?? { errors: [{ message: String(ended.error) }] };
      },
    },
  ];
  for (const row of rows)
    test(`over ${row.over}`, async () => {
      const { server, viewer } = await serverWithBigValues();
      await using _ = server;
      for (let round = 0; round < 3; round++) {
        const answer = await row.ask(viewer);
        expect(codes(answer)).toEqual([]);
        expect(Object.values(answer.data ?? {}).map((entry) => entry.value.length)).toEqual(Array(15).fill(MiB - 64));
      }
    }, 60_000);
});
