// Outpost as the installed unit runs it: an unprivileged user holding CAP_KILL as an ambient
// capability. An admin's signalProcess then reaches another user's process, while what Outpost
// starts (a shell command through exec, a terminal) holds no capability and cannot signal that process.
import { afterAll, expect, test } from "bun:test";
import { chownSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { graphqlClient, waitUntil } from "../harness/client";

const ROOT = join(import.meta.dir, "..", "..");
const PASSWORD = "capabilities-test-password";
const NOBODY = 65534;
const CAP_KILL = 1n << 5n;
/** What systemd does for a unit with User=nobody and AmbientCapabilities=CAP_KILL. */
const AS_NOBODY_WITH_CAP_KILL = [
  "setpriv",
  `--reuid=${NOBODY}`,
  `--regid=${NOBODY}`,
  "--clear-groups",
  "--inh-caps=+kill",
  "--ambient-caps=+kill",
];
const cleanups: (() => unknown)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A capability set of /proc/<pid>/status ("CapAmb", "CapEff", ...) as a bit mask. */
function capabilitySet(status: string, set: string): bigint {
  const hex = new RegExp(`^${set}:\\s*([0-9a-f]+)$`, "m").exec(status)?.[1];
  if (hex === undefined) throw new Error(`no ${set} in:\n${status}`);
  return BigInt(`0x${hex}`);
}

// Only root can hand another user an ambient capability, as systemd does for the unit; this test
// runs as root here and in CI.
test.if(process.getuid?.() === 0)(
  "with CAP_KILL, an admin signals another user's process, and the shell commands and terminals Outpost starts hold no capability",
  async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "outpost-capabilities-"));
    chownSync(dataDir, NOBODY, NOBODY);
    cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
    const serve = [process.execPath, "server/main.ts", "serve", "--data", dataDir, "--port", "0", "--host", "127.0.0.1"];
    const server = Bun.spawn([...AS_NOBODY_WITH_CAP_KILL, "--", ...serve], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? "/usr/bin:/bin", OUTPOST_ADMIN_PASSWORD: PASSWORD },
      stdout: "ignore",
      stderr: "pipe",
    });
    cleanups.push(async () => {
      server.kill("SIGTERM");
      await server.exited;
    });
    let stderr = "";
    void (async () => {
      const decoder = new TextDecoder();
      const reader = server.stderr.getReader();
      for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read())
        stderr += decoder.decode(chunk.value, { stream: true });
    })();
    await waitUntil(() => /listening on \S+/.test(stderr) || server.exitCode !== null, 30_000, "Outpost to listen");
    const url = /listening on (\S+)/.exec(stderr)?.[1];
    if (!url) throw new Error(`Outpost did not start:\n${stderr}`);
    // setpriv executed Outpost in its own place: the server is nobody, with CAP_KILL to use.
    const serverStatus = readFileSync(`/proc/${server.pid}/status`, "utf8");
    expect(serverStatus).toMatch(new RegExp(`^Uid:\\s+${NOBODY}\\s`, "m"));
    expect(capabilitySet(serverStatus, "CapAmb")).toBe(CAP_KILL);
    expect(capabilitySet(serverStatus, "CapEff")).toBe(CAP_KILL);

    const login = await graphqlClient(url).data<{ login: { accessToken: string } }>(
      'mutation ($p: String!) { login(username: "admin", password: $p) { accessToken } }',
      { p: PASSWORD },
    );
    const admin = graphqlClient(url, login.login.accessToken);
    // A process of root's, which nobody could not signal without the capability.
    const rootsProcess = Bun.spawn(["sleep", "1000"], { stdout: "ignore", stderr: "ignore" });
    cleanups.push(() => rootsProcess.kill("SIGKILL"));

    const probe = `grep Cap /proc/self/status; if kill -0 ${rootsProcess.pid}; then echo "kill allowed"; else echo "kill refused"; fi`;
    /** What `probe` printed shows no capability, and that it could not signal root's process. */
    const expectPowerless = (output: string) => {
      for (const set of ["CapInh", "CapPrm", "CapEff", "CapAmb"]) expect(capabilitySet(output, set)).toBe(0n);
      expect(output).toContain("kill refused");
      expect(output).not.toContain("kill allowed");
    };

    const { exec } = await admin.data<{ exec: { id: string } }>("mutation ($c: String!) { exec(command: $c) { id } }", { c: probe });
    type Run = { status: string; output: { text: string | null }[] };
    let run: Run = { status: "QUEUED", output: [] };
    await waitUntil(
      async () => {
        run = (await admin.data<{ run: Run }>("query ($id: ID!) { run(id: $id) { status output { text } } }", { id: exec.id })).run;
        return !["QUEUED", "RUNNING"].includes(run.status);
      },
      15_000,
      "the shell command to end",
    );
    expect(run.status).toBe("SUCCEEDED");
    expectPowerless(run.output.map((chunk) => chunk.text ?? "").join(""));

    const { openTerminal } = await admin.data<{ openTerminal: { id: string } }>(
      'mutation ($c: String!) { openTerminal(cols: 200, rows: 24, command: $c, cwd: "/") { id } }',
      { c: probe },
    );
    const socket = admin.socket();
    cleanups.push(() => socket.dispose());
    // The scrollback, or the output as it comes; either way it ends once the probe has exited.
    const screen = socket.subscribe<{ terminalOutput: { data: string } }>("subscription ($id: ID!) { terminalOutput(id: $id) { data } }", {
      id: openTerminal.id,
    });
    await screen.ended;
    expectPowerless(
      screen.results
        .map((result) => result.data?.terminalOutput.data ?? "")
        .join("")
        .replaceAll("\r\n", "\n"),
    );

    expect(await admin.data("mutation ($pid: Int!) { signalProcess(pid: $pid, signal: TERM) }", { pid: rootsProcess.pid })).toEqual({
      signalProcess: true,
    });
    expect(await rootsProcess.exited).toBe(143);
    expect(rootsProcess.signalCode).toBe("SIGTERM");
  },
  60_000,
);
