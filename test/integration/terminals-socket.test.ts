// The terminal's own socket (`outpost-terminal`): the same terminals, rules and audit as the GraphQL
// fields, with keystrokes, sizes and output as short text frames instead of an operation each.
import { describe, expect, test } from "bun:test";
import { startTestApp } from "../harness/app";
import { type GraphqlClient, waitUntil } from "../harness/client";

const PLAIN_SHELL = "exec bash --noprofile --norc -i";
const OPEN = "mutation ($command: String) { openTerminal(cols: 80, rows: 24, command: $command) { id } }";
const SHARE = "mutation ($id: ID!, $userId: ID!) { shareTerminal(id: $id, userId: $userId, mode: READ_ONLY) { id } }";

/** A raw terminal socket signed in with the client's bearer token; `screen()` is what it was sent since the last reset. */
async function terminalSocket(server: { url: string }, client: GraphqlClient) {
  const ws = new WebSocket(`${server.url.replace("http", "ws")}/terminals/socket`, {
    protocols: ["outpost-terminal"],
    headers: { authorization: `Bearer ${client.accessToken}` },
  } as unknown as string[]);
  const frames: string[] = [];
  let closedWith: number | null = null;
  ws.onmessage = (event) => frames.push(String(event.data));
  ws.onclose = (event) => {
    closedWith = event.code;
  };
  await new Promise((resolve, reject) => {
    ws.onopen = resolve;
    ws.onerror = reject;
  });
  const screen = () => {
    let text = "";
    for (const frame of frames) {
      if (frame[0] === "r") text = frame.slice(1);
      else if (frame[0] === "o") text += frame.slice(1);
    }
    return text;
  };
  return {
    frames,
    screen,
    send: (frame: string) => ws.send(frame),
    until: (pattern: RegExp, what = String(pattern)) => waitUntil(() => pattern.test(screen()), 10_000, what),
    closed: () => closedWith,
    close: () => ws.close(),
  };
}

describe("the outpost-terminal socket", () => {
  test("types, resizes and reads a shell like the GraphQL fields, and reports the exit", async () => {
    await using server = await startTestApp();
    const admin = await server.admin();
    const { openTerminal } = await admin.data<{ openTerminal: { id: string } }>(OPEN, { command: PLAIN_SHELL });
    const socket = await terminalSocket(server, admin);
    socket.send(`a${openTerminal.id}`);
    await waitUntil(() => socket.frames[0]?.[0] === "r", 10_000, "the scrollback first");
    socket.send("iecho $((6*7))\r");
    await socket.until(/\r42\r\n/);
    socket.send("s100x30");
    socket.send("istty size\r");
    await socket.until(/\r30 100\r\n/);
    socket.send("iexit 5\r");
    await waitUntil(() => socket.frames.includes("x5"), 10_000, "the exit frame");
    await waitUntil(() => socket.closed() !== null, 10_000, "the socket to close");

    const { auditLog } = await admin.data<{ auditLog: { nodes: { action: string; result: string; target: { id: string } }[] } }>(
      '{ auditLog(filter: { action: "socket.terminal" }, first: 10) { nodes { action result target } } }',
    );
    expect(auditLog.nodes).toMatchObject([{ action: "socket.terminalAttach", result: "ok", target: { id: openTerminal.id } }]);
  });

  test("refuses who may not use terminals at the upgrade, a terminal that is not there, and input before attaching", async () => {
    await using server = await startTestApp();
    const admin = await server.admin();
    const viewer = await server.userWithRole("viewer");
    await expect(terminalSocket(server, viewer)).rejects.toBeDefined();

    const missing = await terminalSocket(server, admin);
    missing.send("anope");
    await waitUntil(() => missing.frames.some((f) => f.startsWith("e") && f.includes("NOT_FOUND")), 10_000, "NOT_FOUND");
    await waitUntil(() => missing.closed() !== null, 10_000, "the socket to close");

    const unattached = await terminalSocket(server, admin);
    unattached.send("iecho x\r");
    await waitUntil(() => unattached.frames.some((f) => f.includes("BAD_USER_INPUT")), 10_000, "attach first");
    unattached.close();
  });

  test("signing out everywhere closes the socket with 4403; the shell keeps running", async () => {
    await using server = await startTestApp();
    const laptop = await server.admin();
    const { openTerminal } = await laptop.data<{ openTerminal: { id: string } }>(OPEN, { command: PLAIN_SHELL });
    const socket = await terminalSocket(server, laptop);
    socket.send(`a${openTerminal.id}`);
    await waitUntil(() => socket.frames[0]?.[0] === "r", 10_000, "the scrollback");
    const phone = await server.admin();
    await phone.data("mutation { revokeAllSessions }");
    await waitUntil(() => socket.closed() === 4403, 10_000, "the socket to close with 4403");
    const again = await server.admin();
    expect(await again.data("{ terminals { id running } }")).toEqual({ terminals: [{ id: openTerminal.id, running: true }] });
  });

  test("a read-only viewer watches but its keys are FORBIDDEN", async () => {
    await using server = await startTestApp({ config: { terminalsForOperators: true } });
    const owner = await server.userWithRole("operator");
    const guest = await server.userWithRole("operator");
    const { me } = await guest.data<{ me: { id: string } }>("{ me { id } }");
    const { openTerminal } = await owner.data<{ openTerminal: { id: string } }>(OPEN, { command: PLAIN_SHELL });
    await owner.data(SHARE, { id: openTerminal.id, userId: me.id });
    const watching = await terminalSocket(server, guest);
    watching.send(`a${openTerminal.id}`);
    await waitUntil(() => watching.frames[0]?.[0] === "r", 10_000, "the scrollback");
    watching.send("iecho typed\r");
    await waitUntil(() => watching.frames.some((f) => f.startsWith("e") && f.includes("FORBIDDEN")), 10_000, "FORBIDDEN");
    watching.close();
  });
});
