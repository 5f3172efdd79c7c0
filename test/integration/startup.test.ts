// Starting Outpost from the command line, as a person does (`bun server/main.ts serve ...`): every
// way the start can fail before the server listens ends with one plain sentence on stderr and a
// non-zero exit, never a stack or source lines; settings are named as the user wrote them; and one
// process at a time may use a data directory, also after the one before it was killed with -9.
import { afterAll, describe, expect, test } from "bun:test";
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir, userInfo } from "node:os";
import { join } from "node:path";
import { waitUntil } from "../harness/client";

const ROOT = join(import.meta.dir, "../..");
const IS_ROOT = process.getuid?.() === 0;
/** Root may write anywhere, so the cases about permissions run as user nobody when the tests run as root. */
const AS_OTHER_USER = IS_ROOT ? ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"] : [];
const OTHER_USER = IS_ROOT ? { uid: 65534, name: "nobody" } : { uid: process.getuid?.() ?? -1, name: userInfo().username };

const base = mkdtempSync(join(tmpdir(), "outpost-startup-"));
chmodSync(base, 0o755); // user nobody must reach the directories made in it
afterAll(() => rmSync(base, { recursive: true, force: true }));
let made = 0;
/** A path in the test's directory that does not exist yet. */
const newPath = () => join(base, `data-${++made}`);
/** A new directory owned by the user the permission cases run as. */
function otherUsersDir(mode = 0o700): string {
  const dir = newPath();
  mkdirSync(dir, { mode });
  chownSync(dir, OTHER_USER.uid, -1);
  chmodSync(dir, mode);
  return dir;
}

interface Started {
  proc: ReturnType<typeof Bun.spawn>;
  stdout: () => string;
  stderr: () => string;
  /** Resolves once both streams have ended. */
  drained: Promise<unknown>;
}

/** Starts `bun server/main.ts serve` with `args`, in a clean environment plus `env`, behind `runner` (setpriv, unshare). */
function spawnOutpost(args: string[], { env = {}, runner = [] }: { env?: Record<string, string>; runner?: string[] } = {}): Started {
  const proc = Bun.spawn([...runner, process.execPath, "server/main.ts", "serve", "--port", "0", "--host", "127.0.0.1", ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", ...env },
    stdout: "pipe",
    stderr: "pipe",
  });
  const text = { stdout: "", stderr: "" };
  const drain = async (name: keyof typeof text, stream: ReadableStream<Uint8Array>) => {
    const decoder = new TextDecoder();
    const reader = stream.getReader();
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read())
      text[name] += decoder.decode(chunk.value, { stream: true });
  };
  const drained = Promise.all([drain("stdout", proc.stdout), drain("stderr", proc.stderr)]);
  return { proc, stdout: () => text.stdout, stderr: () => text.stderr, drained };
}

/** Starts Outpost and waits for it to listen; the announced address. */
async function listening(started: Started): Promise<string> {
  await waitUntil(() => /^Outpost listening on \S+/m.test(started.stderr()) || started.proc.exitCode !== null, 15_000, "Outpost to listen");
  const url = /^Outpost listening on (\S+)/m.exec(started.stderr())?.[1];
  if (!url) throw new Error(`Outpost did not start:\n${started.stderr()}`);
  return url;
}

/** Starts Outpost where it must refuse to start; its exit code and what it printed. */
async function refusedStart(args: string[], options?: Parameters<typeof spawnOutpost>[1]) {
  const started = spawnOutpost(args, options);
  // A start that wrongly succeeds would listen for ever: end it, and let the expectations say what went wrong.
  await waitUntil(() => started.proc.exitCode !== null || /^Outpost listening on /m.test(started.stderr()), 15_000, "Outpost to stop");
  if (started.proc.exitCode === null) started.proc.kill("SIGKILL");
  const code = await started.proc.exited;
  await started.drained;
  return { code, stdout: started.stdout(), stderr: started.stderr() };
}

/** Stack frames ("    at f (file:1:2)") or source lines ("12 | code") that must never reach the person starting Outpost. */
const STACK_OR_SOURCE = /^\s+at |^\s*\d+ \| /m;

/** Outpost printed exactly `sentence` on stderr, prefixed with "outpost: ", and nothing on stdout. */
function expectOneSentence(run: { stdout: string; stderr: string }, sentence: string) {
  expect(run.stderr).toBe(`outpost: ${sentence}\n`);
  expect(run.stdout).toBe("");
}

describe("a data directory Outpost cannot use stops the start with one sentence saying why and what to do", () => {
  test("a file", async () => {
    const file = newPath();
    writeFileSync(file, "not a directory");
    const run = await refusedStart(["--data", file]);
    expect(run.code).toBe(1);
    expectOneSentence(
      run,
      `Cannot use data directory ${file}: it is a file, not a directory. Give --data the path of a directory, or move the file away.`,
    );
  });

  test("a directory that does not exist and cannot be made", async () => {
    const file = newPath();
    writeFileSync(file, "not a directory");
    const run = await refusedStart(["--data", join(file, "data")]);
    expect(run.code).toBe(1);
    expectOneSentence(
      run,
      `Cannot use data directory ${join(file, "data")}: it does not exist and cannot be created (${file} is a file, not a directory). Create it yourself, or choose another directory with --data.`,
    );
  });

  test("a directory its owner may not write to", async () => {
    const dir = otherUsersDir(0o500);
    const run = await refusedStart(["--data", dir], { runner: AS_OTHER_USER });
    expect(run.code).toBe(1);
    expectOneSentence(
      run,
      `Cannot use data directory ${dir}: ${OTHER_USER.name} may not write to it. Give its owner write access (chmod u+rwx ${dir}), or choose another directory with --data.`,
    );
  });

  test("a directory that belongs to another user", async () => {
    // As root: a directory of root's, used by nobody. Otherwise: the root directory, which is root's.
    const dir = IS_ROOT ? newPath() : "/";
    if (IS_ROOT) mkdirSync(dir, { mode: 0o755 });
    const run = await refusedStart(["--data", dir], { runner: AS_OTHER_USER });
    expect(run.code).toBe(1);
    expectOneSentence(
      run,
      `Cannot use data directory ${dir}: it belongs to root, but Outpost runs as ${OTHER_USER.name}. Run Outpost as its owner, or make ${OTHER_USER.name} the owner of everything in it: chown -R ${OTHER_USER.name} ${dir}.`,
    );
  });

  test("a directory on a read-only filesystem", async () => {
    // A read-only tmpfs mounted in a mount namespace of the child's own: it needs no unmounting and
    // cannot outlive the test. Without root, a user namespace lends the rights to mount it.
    const dir = newPath();
    mkdirSync(dir);
    const mountReadOnly = ["sh", "-c", 'mount -t tmpfs -o ro,size=1m tmpfs "$0" && exec "$@"', dir];
    const runner = [...(IS_ROOT ? ["unshare", "--mount"] : ["unshare", "--user", "--map-root-user", "--mount"]), ...mountReadOnly];
    const run = await refusedStart(["--data", dir], { runner });
    expect(run.code).toBe(1);
    expectOneSentence(
      run,
      `Cannot use data directory ${dir}: it is on a read-only filesystem. Choose a directory on a writable disk with --data, or mount the disk read-write.`,
    );
  });

  test("a database its owner may not write to", async () => {
    const dir = otherUsersDir();
    const database = join(dir, "outpost.db");
    writeFileSync(database, "", { mode: 0o400 });
    chownSync(database, OTHER_USER.uid, -1);
    const run = await refusedStart(["--data", dir], { runner: AS_OTHER_USER });
    expect(run.code).toBe(1);
    expectOneSentence(
      run,
      `Cannot use data directory ${dir}: its database file outpost.db is read-only. Make it writable (chmod u+rw ${database}), or restore the data directory from a backup.`,
    );
  });

  test("a database that is not one", async () => {
    const dir = newPath();
    mkdirSync(dir);
    writeFileSync(join(dir, "outpost.db"), "x".repeat(8192));
    const run = await refusedStart(["--data", dir]);
    expect(run.code).toBe(1);
    expectOneSentence(
      run,
      `Cannot use data directory ${dir}: its database file outpost.db is damaged or not a database. Restore the data directory from a backup, or move ${join(dir, "outpost.db")} away to start afresh.`,
    );
  });
});

describe("a bad setting stops the start with one sentence naming it as the user wrote it", () => {
  test.each([
    [["--host", "203.0.113.7"], {}, "--host is 203.0.113.7, which is not an address of this machine; use one of "],
    [["--host", "no such host!"], {}, "--host must be an IP address of this machine, localhost or "],
    [
      [],
      { OUTPOST_PUBLIC_URL: "outpost.example.com" },
      "OUTPOST_PUBLIC_URL must be an absolute http:// or https:// URL such as https://outpost.example.com",
    ],
    [[], { OUTPOST_LOG_LEVEL: "loud" }, 'OUTPOST_LOG_LEVEL must be one of debug, info, warn, error, got "loud".'],
    [
      [],
      { OUTPOST_ADMIN_PASSWORD: "tiny1" },
      "OUTPOST_ADMIN_PASSWORD is not a usable password: password must be 8 to 256 characters long.",
    ],
    [["--data-dir", "/tmp"], {}, "Unknown flag --data-dir. Did you mean --data? See outpost --help."],
  ] as const)("%j %j", async (args, env, message) => {
    const run = await refusedStart(["--data", newPath(), ...args], { env });
    expect(run.code).toBe(2);
    expect(run.stderr).toStartWith(`outpost: ${message}`);
    expect(run.stderr.trimEnd().split("\n")).toHaveLength(1);
    expect(run.stderr).not.toMatch(STACK_OR_SOURCE);
    expect(run.stdout).toBe("");
    // A secret is never repeated back.
    expect(run.stderr).not.toContain("tiny1");
  });

  test("a bad value in outpost.toml names the file's key and the file", async () => {
    const dir = newPath();
    mkdirSync(dir);
    writeFileSync(join(dir, "outpost.toml"), 'log_level = "loud"\n');
    const run = await refusedStart(["--data", dir]);
    expect(run.code).toBe(2);
    expectOneSentence(run, `log_level in ${join(dir, "outpost.toml")} must be one of debug, info, warn, error, got "loud".`);
  });
});

describe("anything else that stops the start", () => {
  test("is logged in full, and summed up in one sentence that says where the log is", async () => {
    const dir = newPath();
    mkdirSync(join(dir, "secret"), { recursive: true }); // the signing key's file is a directory
    const run = await refusedStart(["--data", dir]);
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(
      "outpost: stopped by an unexpected error: EISDIR: illegal operation on a directory, read. The log (JSON lines on standard output) has the details.\n",
    );
    const logged = run.stdout
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line));
    expect(logged.at(-1)).toMatchObject({
      level: "error",
      msg: "stopped by an unexpected error",
      err: { message: expect.stringContaining("EISDIR") },
    });
  });

  // Where the kernel lets every user bind every port (ip_unprivileged_port_start 0, as some
  // containers set it) there is no privileged port to be refused, so the case cannot arise there.
  const unprivilegedFrom = Number(readFileSync("/proc/sys/net/ipv4/ip_unprivileged_port_start", "utf8"));
  test.if(unprivilegedFrom > 1)("a privileged port, for a user who may not listen on it", async () => {
    const port = unprivilegedFrom - 1;
    const run = await refusedStart(["--data", otherUsersDir(), "--port", String(port)], { runner: AS_OTHER_USER });
    expect(run.code).toBe(1);
    expect(run.stderr).toStartWith(`outpost: Port ${port} is privileged: only root may listen below port 1024.`);
    expect(run.stderr).not.toMatch(STACK_OR_SOURCE);
  });
});

describe("the command line", () => {
  test("-v prints what --version prints", async () => {
    const print = async (flag: string) => {
      const proc = Bun.spawn([process.execPath, "server/main.ts", flag], { cwd: ROOT, stdout: "pipe" });
      const text = await new Response(proc.stdout).text();
      expect(await proc.exited).toBe(0);
      return text;
    };
    const version = await print("--version");
    expect(version).toStartWith("outpost ");
    expect(await print("-v")).toBe(version);
  });

  test("--help gives each setting's allowed values and default", async () => {
    const proc = Bun.spawn([process.execPath, "server/main.ts", "--help"], { cwd: ROOT, stdout: "pipe" });
    const help = await new Response(proc.stdout).text();
    expect(await proc.exited).toBe(0);
    expect(help).toContain("  --port <n>\n      port (0 = any free port). Allowed: 0 to 65535. Default: 8080.");
    expect(help).toContain("  --log-level <value>\n      log level: debug, info, warn or error. Default: info.");
    expect(help).toContain("OUTPOST_ADMIN_PASSWORD");
  });

  test("an IPv6 listen address is printed in brackets, and a public URL's trailing slash makes no //setup link", async () => {
    const started = spawnOutpost(["--data", newPath(), "--host", "::1", "--public-url", "https://outpost.example.com/"]);
    try {
      const url = await listening(started);
      expect(url).toMatch(/^http:\/\/\[::1\]:\d+$/);
      expect((await fetch(`${url}/health`)).status).toBe(200);
      await waitUntil(() => started.stderr().includes("/setup?token="), 5_000, "the setup link");
      expect(started.stderr()).toMatch(/create the admin at https:\/\/outpost\.example\.com\/setup\?token=\S+\n/);
    } finally {
      started.proc.kill("SIGKILL");
      await started.proc.exited;
    }
  });
});

describe("one process per data directory", () => {
  test("a second start is refused naming the first; after kill -9 of the first the directory is free again", async () => {
    const dir = newPath();
    const first = spawnOutpost(["--data", dir]);
    let third: Started | null = null;
    try {
      const firstUrl = await listening(first);
      await waitUntil(() => readFileSync(join(dir, "outpost.pid"), "utf8").includes(firstUrl), 5_000, "the address in outpost.pid");

      const second = await refusedStart(["--data", dir]);
      expect(second.code).toBe(1);
      expectOneSentence(
        second,
        `Cannot use data directory ${dir}: another Outpost process (pid ${first.proc.pid}, at ${firstUrl}) is using it. Stop that one first, or give this one a directory of its own with --data.`,
      );

      // The kernel lets go of the lock with the process, however it ends; the stale pid file is no obstacle.
      first.proc.kill("SIGKILL");
      await first.proc.exited;
      expect(existsSync(join(dir, "outpost.pid"))).toBe(true);
      third = spawnOutpost(["--data", dir]);
      await listening(third);

      // A clean stop takes the pid file away.
      third.proc.kill("SIGTERM");
      expect(await third.proc.exited).toBe(0);
      expect(existsSync(join(dir, "outpost.pid"))).toBe(false);
    } finally {
      for (const started of [first, third]) {
        if (started && started.proc.exitCode === null) started.proc.kill("SIGKILL");
        await started?.proc.exited;
      }
    }
  });

  test("SIGTERM while the server is still starting (the directory locked) stops it cleanly once started", async () => {
    const dir = newPath();
    // Seeding the admin hashes a password (argon2) after the lock is taken: the start is still under way.
    const started = spawnOutpost(["--data", dir], { env: { OUTPOST_ADMIN_PASSWORD: "a long enough password" } });
    try {
      await waitUntil(
        () => existsSync(join(dir, "outpost.pid")) || started.proc.exitCode !== null,
        15_000,
        "the data directory to be locked",
      );
      started.proc.kill("SIGTERM");
      expect(await started.proc.exited).toBe(0);
      expect(existsSync(join(dir, "outpost.pid"))).toBe(false);
    } finally {
      if (started.proc.exitCode === null) started.proc.kill("SIGKILL");
      await started.proc.exited;
    }
  });
});
