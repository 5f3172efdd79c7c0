// A user's count of running socket operations: every operation gives its place back however it
// ends, so messages the server refuses, or ids a client reuses, cannot leave the user (or everyone
// behind an anonymous user's address) unable to run anything on their other sockets.
import { describe, expect, test } from "bun:test";
import type { Plugin } from "@envelop/core";
import { getOperationAST } from "graphql";
import { startTestApp, type TestApp } from "../harness/app";
import { waitUntil } from "../harness/client";

/** More than the 100 operations one user may run at once over all their sockets. */
const MESSAGES = 101;

interface Message {
  id?: string;
  type: string;
  payload?: unknown;
}

/** A graphql-transport-ws socket speaking raw messages, acknowledged; `token` signs it in. */
async function rawSocket(server: TestApp, token: string | null) {
  const ws = new WebSocket(`${server.url.replace("http", "ws")}/graphql`, "graphql-transport-ws");
  const received: Message[] = [];
  ws.onmessage = (event) => received.push(JSON.parse(String(event.data)));
  await new Promise((resolve) => {
    ws.onopen = resolve;
  });
  ws.send(JSON.stringify({ type: "connection_init", payload: token ? { authorization: `Bearer ${token}` } : {} }));
  await waitUntil(() => received.some((m) => m.type === "connection_ack"), 5000, "connection_ack");
  return {
    received,
    send: (message: Message) => ws.send(JSON.stringify(message)),
    /** The messages for operation `id`, once it ended (complete or error). */
    async ended(id: string) {
      await waitUntil(() => received.some((m) => m.id === id && (m.type === "complete" || m.type === "error")), 5000, `${id} to end`);
      return received.filter((m) => m.id === id);
    },
    close: () => ws.close(),
  };
}

/** What a fresh socket of the same caller gets for a small query: its answer, while the count has room. */
async function anotherSocketRuns(server: TestApp, token: string | null) {
  const other = await rawSocket(server, token);
  other.send({ id: "after", type: "subscribe", payload: { query: "{ health { ok } }" } });
  const answer = await other.ended("after");
  other.close();
  return JSON.stringify(answer);
}

describe("operations graphql-ws cannot identify are refused and not counted", () => {
  const rows = [
    {
      what: "two operations and no operationName",
      payload: { query: "query A { me { id } } query B { me { id } }" },
      says: "several operations",
    },
    {
      what: "an operationName that names none",
      payload: { query: "query A { me { id } }", operationName: "B" },
      says: 'no operation named "B"',
    },
  ];
  for (const row of rows)
    for (const who of ["a signed-in user", "an anonymous caller"] as const)
      test(`${row.what}, from ${who}`, async () => {
        await using server = await startTestApp({ config: { rateLimitApiPerMinute: 1_000_000 } });
        const token = who === "an anonymous caller" ? null : (await server.userWithRole("viewer")).accessToken;
        const socket = await rawSocket(server, token);
        for (let i = 0; i < MESSAGES; i++) socket.send({ id: `x${i}`, type: "subscribe", payload: row.payload });
        const answers = await Promise.all(Array.from({ length: MESSAGES }, (_, i) => socket.ended(`x${i}`)));
        // The user can still run operations on another socket (the count is checked first: before
        // the fix, graphql-ws answered these itself and the count was never given back).
        expect(await anotherSocketRuns(server, token)).toContain('"ok":true');
        for (const answer of answers) {
          expect(answer.map((m) => m.type)).toEqual(["error"]);
          const [error] = (answer[0]?.payload ?? []) as { message: string; extensions?: { code?: string } }[];
          expect(error?.message).toContain(row.says);
          expect(error?.extensions?.code).toBe("BAD_USER_INPUT");
        }
        socket.close();
      });
});

/** Operations named Held wait at their execution until `release` (each `hold` starts a new wait). */
function heldOperations() {
  const state = { started: 0, release: () => {}, released: Promise.resolve() };
  const plugin: Plugin = {
    async onExecute({ args }) {
      if (getOperationAST(args.document, args.operationName)?.name?.value !== "Held") return;
      state.started++;
      await state.released;
    },
  };
  return {
    plugin,
    payload: { query: "query Held { health { ok } }" },
    started: () => state.started,
    hold() {
      state.released = new Promise<void>((resolve) => {
        state.release = resolve;
      });
    },
    release: () => state.release(),
  };
}

test("an id the client completed and used again counts once", async () => {
  const held = heldOperations();
  await using server = await startTestApp({ config: { rateLimitApiPerMinute: 1_000_000 }, graphqlPlugins: [held.plugin] });
  const viewer = await server.userWithRole("viewer");

  // Each first operation is still running when the client completes its id and subscribes it anew.
  held.hold();
  const socket = await rawSocket(server, viewer.accessToken);
  for (let i = 0; i < 50; i++) {
    socket.send({ id: `a${i}`, type: "subscribe", payload: held.payload });
    socket.send({ id: `a${i}`, type: "complete" });
    socket.send({ id: `a${i}`, type: "subscribe", payload: held.payload });
  }
  await waitUntil(() => held.started() === 100, 5000, "100 operations in execution");
  held.release();
  await Promise.all(Array.from({ length: 50 }, (_, i) => socket.ended(`a${i}`)));

  // All 100 gave their places back: the user's other sockets run 100 at once.
  held.hold();
  const others = [await rawSocket(server, viewer.accessToken), await rawSocket(server, viewer.accessToken)];
  for (const [n, other] of others.entries())
    for (let i = 0; i < 50; i++) other.send({ id: `b${n}-${i}`, type: "subscribe", payload: held.payload });
  const refusals = () => others.flatMap((other) => other.received.filter((m) => m.type === "error"));
  await waitUntil(() => held.started() === 200 || refusals().length > 0, 5000, "100 more operations to start or be refused");
  expect(refusals()).toEqual([]);
  held.release();
  for (const open of [socket, ...others]) open.close();
});

test("one socket runs 100 operations at once, and not 101", async () => {
  const held = heldOperations();
  await using server = await startTestApp({ config: { rateLimitApiPerMinute: 1_000_000 }, graphqlPlugins: [held.plugin] });
  const viewer = await server.userWithRole("viewer");
  held.hold();
  const socket = await rawSocket(server, viewer.accessToken);
  for (let i = 0; i < 101; i++) socket.send({ id: `c${i}`, type: "subscribe", payload: held.payload });
  const refused = await socket.ended("c100");
  expect(held.started()).toBe(100);
  expect(JSON.stringify(refused)).toContain("At most 100 operations may run on one socket");
  held.release();
  socket.close();
});
