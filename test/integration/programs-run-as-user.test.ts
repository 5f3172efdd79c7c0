// run_as_user: when Outpost runs as root, runs and terminals drop to the named user (uid, gid,
// groups, HOME) and may still read and write their program's folder inside the private data directory.
import { expect, test } from "bun:test";
import { chmodSync, copyFileSync, lstatSync, mkdtempSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { uploadProgram } from "../fixtures/program-archives";
import { startTestApp } from "../harness/app";
import { type GraphqlClient, waitUntil } from "../harness/client";

const RUN = "id status error output { text }";
type Run = { id: string; status: string; error: string | null; output: { text: string | null }[] };

async function runToEnd(client: GraphqlClient, name: string, text: string): Promise<Run> {
  const id = (await uploadProgram(client, new File([text], name))).data?.uploadProgram.id as string;
  const { startRun } = await client.data<{ startRun: Run }>(`mutation ($p: ID!) { startRun(programId: $p) { ${RUN} } }`, { p: id });
  let run = startRun;
  await waitUntil(
    async () => {
      run = (await client.data<{ run: Run }>(`query ($id: ID!) { run(id: $id) { ${RUN} } }`, { id: startRun.id })).run;
      return !["QUEUED", "RUNNING"].includes(run.status);
    },
    15_000,
    "the run to end",
  );
  return run;
}
const textOf = (run: Run) => run.output.map((c) => c.text ?? "").join("");

// Only root may switch users; these tests run as root here (and in CI), as Outpost under its unit does.
test.if(process.getuid?.() === 0)("with run_as_user = nobody a run is nobody, with nobody's HOME, and writes its own folder", async () => {
  await using app = await startTestApp({ config: { runAsUser: "nobody" } });
  const operator = await app.userWithRole("operator");
  const shell = await runToEnd(operator, "who.sh", 'id -u; id -g; id -G; echo "$HOME $USER"; echo hi > made-by-run && cat made-by-run\n');
  expect(shell.status).toBe("SUCCEEDED");
  expect(textOf(shell)).toBe("65534\n65534\n65534\n/nonexistent nobody\nhi\n");
  const python = await runToEnd(operator, "who.py", "import os\nprint(os.getresuid(), os.getresgid())\n");
  expect(textOf(python)).toBe("(65534, 65534, 65534) (65534, 65534, 65534)\n");
});

test("a run_as_user that names no user of the box fails the run, saying so", async () => {
  await using app = await startTestApp({ config: { runAsUser: "no-such-user" } });
  const operator = await app.userWithRole("operator");
  const run = await runToEnd(operator, "hello.sh", "echo hello\n");
  expect(run.status).toBe("FAILED");
  expect(run.error).toContain('There is no user "no-such-user" on this box');
});

// Root only, as above: only root hands a folder to another user.
test.if(process.getuid?.() === 0)(
  "handing a program's folder to run_as_user changes links themselves, never what they point at",
  async () => {
    await using app = await startTestApp({ config: { runAsUser: "nobody" } });
    const operator = await app.userWithRole("operator");
    const id = (await uploadProgram(operator, new File(["echo ran\n"], "run.sh"))).data?.uploadProgram.id as string;
    // What a run of an earlier run_as_user could have left: a link out of the folder.
    const outside = mkdtempSync(join(tmpdir(), "outpost-outside-"));
    writeFileSync(join(outside, "secret"), "root's");
    const link = join(app.app.config.dataDir, "programs", id, "escape");
    symlinkSync(outside, link);
    try {
      const { startRun } = await operator.data<{ startRun: Run }>(`mutation ($p: ID!) { startRun(programId: $p) { ${RUN} } }`, { p: id });
      await waitUntil(
        async () =>
          (await operator.data<{ run: Run }>(`query ($id: ID!) { run(id: $id) { ${RUN} } }`, { id: startRun.id })).run.status ===
          "SUCCEEDED",
        15_000,
        "the run to succeed",
      );
      expect(lstatSync(link).uid).toBe(65534);
      expect([statSync(outside).uid, statSync(join(outside, "secret")).uid]).toEqual([0, 0]);
    } finally {
      rmSync(outside, { recursive: true, force: true });
    }
  },
);

// Root only, as above: only root starts a shell as another user.
test.if(process.getuid?.() === 0)("terminals run as run_as_user too, starting in / when that user's home does not exist", async () => {
  await using app = await startTestApp({ config: { runAsUser: "nobody" } });
  const admin = await app.admin();
  const { openTerminal } = await admin.data<{ openTerminal: { id: string } }>(
    `mutation { openTerminal(cols: 80, rows: 24, command: "id -u; pwd; echo \\"home=$HOME\\"; sleep 30") { id } }`,
  );
  const socket = admin.socket();
  const output = socket.subscribe<{ terminalOutput: { data: string } }>("subscription ($id: ID!) { terminalOutput(id: $id) { data } }", {
    id: openTerminal.id,
  });
  const text = () => output.results.map((r) => r.data?.terminalOutput.data ?? "").join("");
  await waitUntil(() => text().includes("home="), 15_000, "the terminal's output");
  expect(text().replace(/\r/g, "")).toContain("65534\n/\nhome=/nonexistent");
  await socket.dispose();
});

// Root only, as above: only root switches users, and only a switch from root has privileges to get back.
test.if(process.getuid?.() === 0)(
  "runs and terminals as run_as_user cannot gain privileges: no-new-privileges is set, and a setuid-root program stays that user",
  async () => {
    // A setuid-root `id`: without no-new-privileges it would report uid 0 (unless /tmp is mounted nosuid).
    const dir = mkdtempSync(join(tmpdir(), "outpost-setuid-"));
    chmodSync(dir, 0o755);
    const setuidId = join(dir, "id");
    copyFileSync("/usr/bin/id", setuidId);
    chmodSync(setuidId, 0o4755);
    try {
      await using app = await startTestApp({ config: { runAsUser: "nobody" } });
      const admin = await app.admin();
      const run = await runToEnd(admin, "privs.sh", `grep NoNewPrivs /proc/self/status; ${setuidId} -u\n`);
      expect(run.status).toBe("SUCCEEDED");
      expect(textOf(run)).toBe("NoNewPrivs:\t1\n65534\n");

      const { openTerminal } = await admin.data<{ openTerminal: { id: string } }>(
        "mutation ($c: String!) { openTerminal(cols: 80, rows: 24, command: $c) { id } }",
        { c: `grep NoNewPrivs /proc/self/status; echo "euid=$(${setuidId} -u)"; sleep 30` },
      );
      const socket = admin.socket();
      const output = socket.subscribe<{ terminalOutput: { data: string } }>(
        "subscription ($id: ID!) { terminalOutput(id: $id) { data } }",
        { id: openTerminal.id },
      );
      const text = () => output.results.map((r) => r.data?.terminalOutput.data ?? "").join("");
      await waitUntil(() => text().includes("euid="), 15_000, "the terminal's output");
      expect(text().replace(/\r/g, "")).toContain("NoNewPrivs:\t1\neuid=65534");
      await socket.dispose();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
);
