// Terminals as a user meets them through GraphQL: open a shell, type into it over the UI's one
// socket, resize it, leave and come back to the same screen, see how it ended; limits and idle
// sessions ending while nobody watches.
import { describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { createManualClock } from "../../server/clock";
import { uploadProgram } from "../fixtures/program-archives";
import { startTestApp, type TestApp } from "../harness/app";
import { codes, type GraphqlClient, type SocketClient, waitUntil } from "../harness/client";

const OPEN = `mutation ($cols: Int!, $rows: Int!, $command: String, $cwd: String) {
  openTerminal(cols: $cols, rows: $rows, command: $command, cwd: $cwd) { id running cols rows command }
}`;
const WRITE = "mutation ($id: ID!, $data: String!) { writeTerminal(id: $id, data: $data) }";
const RESIZE = "mutation ($id: ID!, $cols: Int!, $rows: Int!) { resizeTerminal(id: $id, cols: $cols, rows: $rows) { cols rows } }";
const CLOSE = "mutation ($id: ID!) { closeTerminal(id: $id) { id running exitCode } }";
const LIST = "{ terminals { id ownerName running exitCode viewers cols rows } }";
const SHARE =
  "mutation ($id: ID!, $userId: ID!, $mode: TerminalShareMode!) { shareTerminal(id: $id, userId: $userId, mode: $mode) { shares { username mode } } }";
const OUTPUT = "subscription ($id: ID!) { terminalOutput(id: $id) { data reset exited exitCode } }";

interface Chunk {
  data: string;
  reset: boolean;
  exited: boolean;
  exitCode: number | null;
}
interface TerminalRow {
  id: string;
  ownerName: string;
  running: boolean;
  exitCode: number | null;
  viewers: number;
  cols: number;
  rows: number;
}

// An interactive shell that reads no profile: the machine's own login profile is not under test and
// can hang a login shell (a pyenv rehash lock left by a shell killed mid-start did, for every later one).
const PLAIN_SHELL = "exec bash --noprofile --norc -i";

async function openTerminal(client: GraphqlClient, args: { command?: string; cols?: number; rows?: number } = {}) {
  const { openTerminal } = await client.data<{ openTerminal: { id: string } }>(OPEN, { cols: 80, rows: 24, command: PLAIN_SHELL, ...args });
  return openTerminal.id;
}

/** A viewer of a terminal over a socket: what its screen was sent (from the last reset on). */
async function watch(server: TestApp, socket: SocketClient, id: string) {
  const subscription = await server.listening("terminal.output", () => socket.subscribe<{ terminalOutput: Chunk }>(OUTPUT, { id }));
  const chunks = () => subscription.results.map((r) => r.data?.terminalOutput).filter((c): c is Chunk => c != null);
  const text = () => {
    let screen = "";
    for (const chunk of chunks()) screen = chunk.reset ? chunk.data : screen + chunk.data;
    return screen;
  };
  return {
    subscription,
    chunks,
    text,
    until: (pattern: RegExp, what = String(pattern)) => waitUntil(() => pattern.test(text()), 10_000, what),
  };
}

const terminals = async (client: GraphqlClient) => (await client.data<{ terminals: TerminalRow[] }>(LIST)).terminals;

describe("a shell in the browser's terminal", () => {
  test("runs what is typed over the socket, follows a resize and reports how it exited", async () => {
    await using server = await startTestApp();
    const admin = await server.admin();
    const id = await openTerminal(admin);
    const socket = admin.socket();
    const view = await watch(server, socket, id);

    // Typed over the same socket as the subscription, as the web UI does.
    const typed = socket.subscribe<{ writeTerminal: boolean }>(WRITE, { id, data: "echo $((6*7))\r" });
    await typed.ended;
    expect(typed.results[0]?.data?.writeTerminal).toBe(true);
    await view.until(/\r42\r\n/, "the shell to print 42");

    expect(
      (await admin.data<{ resizeTerminal: { cols: number; rows: number } }>(RESIZE, { id, cols: 100, rows: 30 })).resizeTerminal,
    ).toEqual({
      cols: 100,
      rows: 30,
    });
    await admin.data(WRITE, { id, data: "stty size\r" });
    await view.until(/\r30 100\r\n/, "stty to report the new size");

    const [row] = await terminals(admin);
    expect(row).toMatchObject({ id, ownerName: "admin", running: true, viewers: 1, cols: 100, rows: 30 });

    await admin.data(WRITE, { id, data: "exit 3\r" });
    await view.subscription.ended;
    expect(view.chunks().at(-1)).toEqual({ data: "", reset: false, exited: true, exitCode: 3 });
    expect(await terminals(admin)).toMatchObject([{ id, running: false, exitCode: 3, viewers: 0 }]);
    expect(codes(await admin.request(WRITE, { id, data: "x" }))).toEqual(["BAD_USER_INPUT"]);

    // Closing an exited terminal forgets it.
    expect((await admin.data<{ closeTerminal: TerminalRow }>(CLOSE, { id })).closeTerminal).toMatchObject({ running: false, exitCode: 3 });
    expect(await terminals(admin)).toEqual([]);
    await socket.dispose();
  });

  test("full-screen program output arrives intact", async () => {
    await using server = await startTestApp();
    const admin = await server.admin();
    const socket = admin.socket();
    const id = await openTerminal(admin, { command: "sleep 0.2; top -b -n1", rows: 40, cols: 120 });
    const view = await watch(server, socket, id);
    await view.subscription.ended;
    expect(view.chunks().at(-1)?.exitCode).toBe(0);
    expect(view.text()).toMatch(/PID +USER/);
    expect(view.text()).not.toContain("\uFFFD");
    await socket.dispose();
  });

  test("multi-byte characters written one byte at a time arrive whole", async () => {
    await using server = await startTestApp();
    const admin = await server.admin();
    const socket = admin.socket();
    // "€😀" as octal bytes, each written by its own printf a moment apart, so the PTY hands them over separately.
    const bytes = ["342", "202", "254", "360", "237", "230", "200"];
    const id = await openTerminal(admin, { command: `sleep 0.2; for b in ${bytes.join(" ")}; do printf "\\\\$b"; sleep 0.02; done` });
    const view = await watch(server, socket, id);
    await view.subscription.ended;
    expect(view.text()).toBe("€😀");
    for (const chunk of view.chunks()) expect(chunk.data).not.toContain("\uFFFD");
    await socket.dispose();
  });
});

describe("leaving and coming back", () => {
  test("a second client reattaches and is sent the earlier output first", async () => {
    await using server = await startTestApp();
    const admin = await server.admin();
    const id = await openTerminal(admin);
    const first = admin.socket();
    const view = await watch(server, first, id);
    await admin.data(WRITE, { id, data: "echo before-$((1+1))\r" });
    await view.until(/before-2/);
    await first.dispose();
    await waitUntil(async () => (await terminals(admin))[0]?.viewers === 0, 10_000, "the first viewer to detach");

    // Another device: a fresh sign-in and socket.
    const phone = await server.admin();
    const second = phone.socket();
    const replay = await watch(server, second, id);
    await replay.subscription.waitFor(1);
    expect(replay.chunks()[0]?.reset).toBe(true);
    expect(replay.chunks()[0]?.data).toContain("before-2");
    await phone.data(WRITE, { id, data: "echo after-$((2+2))\r" });
    await replay.until(/after-4/);
    expect(replay.text()).toContain("before-2");
    await phone.data(CLOSE, { id });
    await replay.subscription.ended;
    await second.dispose();
  });
});

describe("a terminal that does not start", () => {
  test("a terminal silent after it started shows Outpost's notice, also to a viewer who comes later; one that printed does not", async () => {
    const clock = createManualClock(Date.now());
    await using server = await startTestApp({ clock, config: { terminalStartNoticeSeconds: 5 } });
    const admin = await server.admin();
    // Stands in for a login shell whose profile hangs: nothing, then (once told) a prompt.
    const stuck = await openTerminal(admin, { command: "read -r line; echo started-late" });
    const talking = await openTerminal(admin, { command: "echo ready; exec cat" });
    const socket = admin.socket();
    const stuckView = await watch(server, socket, stuck);
    const talkingView = await watch(server, socket, talking);
    await talkingView.until(/ready/);

    await clock.advance(6000);
    await stuckView.until(/\[outpost\] Nothing has come from this terminal 5 s after it started/, "the start notice");
    expect(stuckView.text()).toContain("bash --noprofile --norc -i");
    await admin.data(WRITE, { id: stuck, data: "\r" });
    await stuckView.until(/started-late/);

    const later = await watch(server, socket, stuck);
    await later.until(/\[outpost\][\s\S]*started-late/, "the notice in the replay, before the output");
    expect(talkingView.text()).not.toContain("[outpost]");
    await socket.dispose();
  });
});

describe("a program in a terminal", () => {
  test("runs the program's entry point with its interpreter, in its folder, and talks to it", async () => {
    await using server = await startTestApp();
    const admin = await server.admin();
    const script =
      "import os\nprint('in', os.path.basename(os.getcwd()) == os.path.basename(os.path.dirname(os.path.abspath(__file__))))\nprint('you said', input('name? '))\n";
    const upload = await uploadProgram(admin, new File([script], "ask.py"));
    const programId = upload.data?.uploadProgram.id as string;
    const { openTerminal } = await admin.data<{ openTerminal: { id: string; command: string } }>(
      "mutation ($programId: ID) { openTerminal(cols: 80, rows: 24, programId: $programId) { id command } }",
      { programId },
    );
    expect(openTerminal.command).toStartWith("ask.py: ");
    expect(openTerminal.command).toContain("python3");
    const socket = admin.socket();
    const view = await watch(server, socket, openTerminal.id);
    await view.until(/in True\r\nname\? /, "the program to ask");
    await admin.data(WRITE, { id: openTerminal.id, data: "olga\r" });
    await view.subscription.ended;
    expect(view.text()).toContain("you said olga");
    expect(view.chunks().at(-1)?.exitCode).toBe(0);

    const both = await admin.request(
      'mutation ($programId: ID) { openTerminal(cols: 80, rows: 24, programId: $programId, command: "ls") { id } }',
      {
        programId,
      },
    );
    expect(codes(both)).toEqual(["BAD_USER_INPUT"]);
    const missing = await admin.request('mutation { openTerminal(cols: 80, rows: 24, programId: "nope") { id } }');
    expect(codes(missing)).toEqual(["NOT_FOUND"]);
    await socket.dispose();
  });
});

describe("sharing a terminal", () => {
  test("the owner lets another user watch, then type, then takes it back, which ends their view", async () => {
    await using server = await startTestApp({ config: { terminalsForOperators: true } });
    const owner = await server.userWithRole("operator");
    const guest = await server.userWithRole("operator");
    const { me: guestUser } = await guest.data<{ me: { id: string; username: string } }>("{ me { id username } }");
    const id = await openTerminal(owner);
    const ownerSocket = owner.socket();
    const ownerView = await watch(server, ownerSocket, id);
    await owner.data(WRITE, { id, data: "echo shown-$((3*3))\r" });
    await ownerView.until(/shown-9/);

    const { terminalSharePartners } = await owner.data<{ terminalSharePartners: { userId: string }[] }>(
      "{ terminalSharePartners { userId } }",
    );
    expect(terminalSharePartners.map((p) => p.userId)).toContain(guestUser.id);
    // Not shared yet: to the guest the terminal does not exist.
    expect(await terminals(guest)).toEqual([]);
    expect(codes(await guest.request(WRITE, { id, data: "x" }))).toEqual(["NOT_FOUND"]);

    const shared = await owner.data<{ shareTerminal: { shares: unknown[] } }>(SHARE, { id, userId: guestUser.id, mode: "READ_ONLY" });
    expect(shared.shareTerminal.shares).toEqual([{ username: guestUser.username, mode: "READ_ONLY" }]);
    expect(await guest.data("{ terminals { id access } }")).toEqual({ terminals: [{ id, access: "READ_ONLY" }] });
    const guestSocket = guest.socket();
    const guestView = await watch(server, guestSocket, id);
    await guestView.until(/shown-9/, "the guest to see the earlier output");
    for (const refused of [
      guest.request(WRITE, { id, data: "echo typed-by-guest\r" }),
      guest.request(RESIZE, { id, cols: 20, rows: 5 }),
      guest.request(CLOSE, { id }),
      guest.request(SHARE, { id, userId: guestUser.id, mode: "READ_WRITE" }),
    ])
      expect(codes(await refused)).toEqual(["FORBIDDEN"]);

    await owner.data(SHARE, { id, userId: guestUser.id, mode: "READ_WRITE" });
    await guest.data(WRITE, { id, data: "echo typed-$((4*4))\r" });
    await ownerView.until(/typed-16/, "the owner to see what the guest typed");

    await owner.data(SHARE, { id, userId: guestUser.id, mode: "NONE" });
    await guestView.subscription.ended;
    expect(await terminals(guest)).toEqual([]);
    expect((await terminals(owner))[0]).toMatchObject({ id, viewers: 1 });
    await guestSocket.dispose();
    await ownerSocket.dispose();
  });

  test("only to existing users who may use terminals", async () => {
    await using server = await startTestApp();
    const admin = await server.admin();
    const viewer = await server.userWithRole("viewer");
    const { me } = await viewer.data<{ me: { id: string } }>("{ me { id } }");
    const id = await openTerminal(admin);
    expect(codes(await admin.request(SHARE, { id, userId: me.id, mode: "READ_ONLY" }))).toEqual(["BAD_USER_INPUT"]);
    expect(codes(await admin.request(SHARE, { id, userId: "no-such-user", mode: "READ_ONLY" }))).toEqual(["NOT_FOUND"]);
    expect(codes(await viewer.request(SHARE, { id, userId: me.id, mode: "READ_ONLY" }))).toEqual(["FORBIDDEN"]);
  });
});

describe("an admin's oversight", () => {
  test("an admin sees every user's terminal and may attach to it and type; another operator does not see it", async () => {
    await using server = await startTestApp({ config: { terminalsForOperators: true } });
    const owner = await server.userWithRole("operator");
    const other = await server.userWithRole("operator");
    const admin = await server.admin();
    const { me } = await owner.data<{ me: { username: string } }>("{ me { username } }");
    const id = await openTerminal(owner);
    await owner.data(WRITE, { id, data: "echo typed-by-owner-$((2*3))\r" });

    expect(await admin.data("{ terminals { id ownerName access } }")).toEqual({
      terminals: [{ id, ownerName: me.username, access: "OWNER" }],
    });
    const socket = admin.socket();
    const view = await watch(server, socket, id);
    await view.until(/typed-by-owner-6/, "the admin to see the owner's output");
    await admin.data(WRITE, { id, data: "echo typed-by-admin-$((3*3))\r" });
    await view.until(/typed-by-admin-9/, "the admin's own input to run");

    expect(await terminals(other)).toEqual([]);
    const otherSocket = other.socket();
    const refused = otherSocket.subscribe<{ terminalOutput: Chunk }>(OUTPUT, { id });
    await refused.ended;
    expect(codes(refused.results[0] ?? {})).toEqual(["NOT_FOUND"]);
    expect(codes(await other.request(WRITE, { id, data: "x" }))).toEqual(["NOT_FOUND"]);
    await owner.data(CLOSE, { id });
    await view.subscription.ended;
    await otherSocket.dispose();
    await socket.dispose();
  });
});

describe("when the session or the server ends", () => {
  test("revoking the owner's session closes their terminal socket; the shell keeps running for them to reattach", async () => {
    await using server = await startTestApp();
    const laptop = await server.admin();
    const id = await openTerminal(laptop);
    const socket = laptop.socket();
    const view = await watch(server, socket, id);
    await laptop.data(WRITE, { id, data: "echo kept-$((5*5))\r" });
    await view.until(/kept-25/);

    // The user signs out everywhere, from another device.
    const phone = await server.admin();
    await phone.data("mutation { revokeAllSessions }");
    expect(await socket.closed).toBe(4403);

    const again = await server.admin();
    expect(await terminals(again)).toMatchObject([{ id, running: true }]);
    const resumed = again.socket();
    const replay = await watch(server, resumed, id);
    await replay.until(/kept-25/);
    await again.data(CLOSE, { id });
    await resumed.dispose();
  });

  test("stopping Outpost hangs up on its terminals", async () => {
    const server = await startTestApp();
    const admin = await server.admin();
    const marker = join(mkdtempSync(join(tmpdir(), "outpost-hup-")), "hung-up");
    const id = await openTerminal(admin, { command: `trap 'echo > ${marker}; exit 0' HUP; echo ready; while :; do sleep 0.05; done` });
    const socket = admin.socket();
    const view = await watch(server, socket, id);
    await view.until(/ready/);
    await socket.dispose();
    await server.stop();
    expect(existsSync(marker)).toBe(true);
    rmSync(dirname(marker), { recursive: true, force: true });
  });
});

describe("the audit log", () => {
  test("records opening, attaching to, sharing and closing a terminal and refused input, never what is typed or an entry per keystroke", async () => {
    await using server = await startTestApp();
    const admin = await server.admin();
    const id = await openTerminal(admin);
    const socket = admin.socket();
    await watch(server, socket, id);
    for (const key of ["e", "c", "h", "o", " ", "s", "e", "c", "r", "e", "t", "\r"]) await admin.data(WRITE, { id, data: key });
    await admin.data(RESIZE, { id, cols: 90, rows: 20 });
    const other = await server.userWithRole("admin");
    const { me } = await other.data<{ me: { id: string } }>("{ me { id } }");
    await admin.data(SHARE, { id, userId: me.id, mode: "READ_ONLY" });
    await admin.data(CLOSE, { id });
    const viewer = await server.userWithRole("viewer");
    expect(codes(await viewer.request(WRITE, { id, data: "refused" }))).toEqual(["FORBIDDEN"]);
    await server.app.settled();

    const { auditLog } = await admin.data<{ auditLog: { nodes: { action: string; result: string; target: unknown }[] } }>(
      '{ auditLog(filter: { action: "Terminal" }, first: 100) { nodes { action result target } } }',
    );
    expect(auditLog.nodes.map((n) => `${n.action} ${n.result}`).reverse()).toEqual([
      "mutation.openTerminal ok",
      "subscription.terminalOutput ok",
      "mutation.shareTerminal ok",
      "mutation.closeTerminal ok",
      "mutation.writeTerminal FORBIDDEN",
    ]);
    expect(JSON.stringify(auditLog.nodes)).not.toContain("secret");
    expect(JSON.stringify(auditLog.nodes)).not.toContain("refused");
    await socket.dispose();
  });
});

describe("bounds", () => {
  test("past the per-user and overall limits opening is refused with the numbers", async () => {
    await using server = await startTestApp({ config: { terminalsMaxPerUser: 1, terminalsMaxTotal: 2 } });
    const admin = await server.admin();
    const other = await server.userWithRole("admin");
    await openTerminal(admin);
    const perUser = await admin.request(OPEN, { cols: 80, rows: 24 });
    expect(codes(perUser)).toEqual(["LIMIT_EXCEEDED"]);
    expect(perUser.errors?.[0]?.extensions).toMatchObject({ quota: "terminalsMaxPerUser", limit: 1 });
    await openTerminal(other);
    const third = await server.userWithRole("admin");
    const overall = await third.request(OPEN, { cols: 80, rows: 24 });
    expect(overall.errors?.[0]?.extensions).toMatchObject({ code: "LIMIT_EXCEEDED", quota: "terminalsMaxTotal", limit: 2 });
  });

  test("sizes, inputs and ids out of bounds are refused", async () => {
    await using server = await startTestApp();
    const admin = await server.admin();
    expect(codes(await admin.request(OPEN, { cols: 0, rows: 24 }))).toEqual(["BAD_USER_INPUT"]);
    expect(codes(await admin.request(OPEN, { cols: 80, rows: 100_000 }))).toEqual(["BAD_USER_INPUT"]);
    expect(codes(await admin.request(OPEN, { cols: 80, rows: 24, cwd: "relative/dir" }))).toEqual(["BAD_USER_INPUT"]);
    expect(codes(await admin.request(OPEN, { cols: 80, rows: 24, cwd: "/no/such/dir" }))).toEqual(["BAD_USER_INPUT"]);
    const id = await openTerminal(admin);
    expect(codes(await admin.request(WRITE, { id, data: "x".repeat((64 << 10) + 1) }))).toEqual(["BAD_USER_INPUT"]);
    expect(codes(await admin.request(WRITE, { id: "nope", data: "x" }))).toEqual(["NOT_FOUND"]);
    expect(codes(await admin.request(RESIZE, { id, cols: 80, rows: 0 }))).toEqual(["BAD_USER_INPUT"]);
  });

  test("a terminal nobody watches ends after the idle timeout; a watched one does not", async () => {
    const clock = createManualClock(Date.now());
    await using server = await startTestApp({ clock, config: { terminalIdleTimeoutMinutes: 10 } });
    const admin = await server.admin();
    const unwatched = await openTerminal(admin);
    const watched = await openTerminal(admin);
    const socket = admin.socket();
    await watch(server, socket, watched);
    await clock.advance(11 * 60 * 1000);
    await waitUntil(async () => (await terminals(admin)).length === 1, 10_000, "the unwatched terminal to end");
    expect((await terminals(admin)).map((t) => t.id)).toEqual([watched]);
    expect(unwatched).not.toBe(watched);
    await socket.dispose();
  });
});
