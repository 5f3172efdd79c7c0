// README.md tells the truth: its "Using the API" walk-through runs as written (each bash block in
// bash with curl and jq, the shell variables URL, PASSWORD, TOKEN and KEY carried from block to
// block as in one shell; the graphql-ws script with Bun) against a real server, and each answer
// equals the one the README shows. The error codes it names are the ones the API answers, and it
// links to nothing outside the repository.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { startTestApp, type TestApp } from "../harness/app";
import { codes, type GraphqlError, waitUntil } from "../harness/client";

const root = join(import.meta.dir, "..", "..");
const readme = readFileSync(join(root, "README.md"), "utf8");

/** The README's own words: the API answers with these codes and no others. */
const ERROR_CODES = ["UNAUTHENTICATED", "FORBIDDEN", "BAD_USER_INPUT", "NOT_FOUND", "CONFLICT", "LIMIT_EXCEEDED", "INTERNAL"];

interface Block {
  lang: string;
  body: string;
  /** Where the block starts in README.md, for messages. */
  line: number;
}

/** The fenced code blocks of the README section `## title`, in order. */
function blocksOf(title: string): Block[] {
  const start = readme.indexOf(`\n## ${title}\n`);
  if (start === -1) throw new Error(`README.md has no section "${title}".`);
  const end = readme.indexOf("\n## ", start + 1);
  const section = readme.slice(start, end === -1 ? undefined : end);
  const firstLine = readme.slice(0, start).split("\n").length + 1;
  return [...section.matchAll(/^```(\w*)\n([\s\S]*?)^```$/gm)].map((match) => ({
    lang: match[1] ?? "",
    body: match[2] ?? "",
    line: firstLine + section.slice(0, match.index).split("\n").length - 1,
  }));
}

/** The shell variables of the walk-through, as a user's shell would hold them between blocks. */
type ShellVariables = Record<"URL" | "PASSWORD" | "TOKEN" | "KEY", string | undefined>;
const CARRIED = ["TOKEN", "KEY"] as const;

/** Runs one bash block with `variables` set; its output, and the variables as it left them. */
async function runBash(block: Block, variables: ShellVariables, scratch: string) {
  const stateFile = join(scratch, "state.json");
  // -e, -u and pipefail make a failing curl or an unset variable fail the block instead of going unnoticed.
  const script = `set -euo pipefail\n${block.body}\njq -n '$ARGS.named' ${CARRIED.map((name) => `--arg ${name} "\${${name}-}"`).join(" ")} > "$WALKTHROUGH_STATE"\n`;
  const defined = Object.fromEntries(Object.entries(variables).filter(([, value]) => value !== undefined)) as Record<string, string>;
  const bash = Bun.spawn(["bash", "-c", script], {
    cwd: scratch,
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: scratch, ...defined, WALKTHROUGH_STATE: stateFile },
    stdout: "pipe",
    stderr: "pipe",
  });
  const [output, errors, exitCode] = await Promise.all([new Response(bash.stdout).text(), new Response(bash.stderr).text(), bash.exited]);
  expect({ line: block.line, exitCode, errors }).toEqual({ line: block.line, exitCode: 0, errors: "" });
  const carried = JSON.parse(readFileSync(stateFile, "utf8")) as Record<string, string>;
  return { output, variables: { ...variables, ...Object.fromEntries(CARRIED.map((name) => [name, carried[name] || undefined])) } };
}

/** The graphql-ws script, started as a user would after `npm install graphql-ws` beside it; its output lines as they come. */
function startScript(block: Block, variables: ShellVariables, scratch: string) {
  const dir = mkdtempSync(join(scratch, "script-"));
  writeFileSync(join(dir, "watch.mjs"), block.body);
  // Stands for `npm install graphql-ws` in that folder.
  symlinkSync(join(root, "node_modules"), join(dir, "node_modules"));
  const script = Bun.spawn([process.execPath, "watch.mjs"], {
    cwd: dir,
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", URL: variables.URL ?? "", TOKEN: variables.TOKEN ?? "" },
    stdout: "pipe",
    stderr: "pipe",
  });
  const lines: string[] = [];
  void (async () => {
    const reader = script.stdout.pipeThrough(new TextDecoderStream()).getReader();
    let pending = "";
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) {
      const parts = (pending + chunk.value).split("\n");
      pending = parts.pop() ?? "";
      lines.push(...parts);
    }
  })();
  return { process: script, lines };
}

describe("README's walk-through", () => {
  let server: TestApp;
  let scratch: string;
  // A password that only survives the shell and JSON if the commands quote it right.
  const password = `it's a "quoted" \\ $HOME password`;
  beforeAll(async () => {
    server = await startTestApp({ config: { adminPassword: password } });
    scratch = mkdtempSync(join(tmpdir(), "outpost-readme-"));
  });
  afterAll(async () => {
    await server.stop();
    rmSync(scratch, { recursive: true, force: true });
  });

  test("every block runs as written and answers what README shows", async () => {
    const blocks = blocksOf("Using the API");
    expect(blocks.filter((b) => b.lang === "sh").length).toBeGreaterThanOrEqual(5);
    let variables: ShellVariables = { URL: server.url, PASSWORD: password, TOKEN: undefined, KEY: undefined };
    const scripts: ReturnType<typeof startScript>[] = [];
    /** Code blocks whose answer has not come yet; a `json` block answers the latest of them. */
    const unanswered: { block: Block; output: () => string[] }[] = [];
    try {
      for (const block of blocks) {
        if (block.lang === "sh") {
          const ran = await runBash(block, variables, scratch);
          const assigned = [...block.body.matchAll(/^([A-Z]+)=/gm)].map((m) => m[1] as keyof ShellVariables);
          if (assigned.length) {
            // A block that sets variables prints nothing; each variable holds a value (jq prints "null" for a missing one).
            expect({ line: block.line, output: ran.output }).toEqual({ line: block.line, output: "" });
            for (const name of assigned)
              expect({ line: block.line, [name]: ran.variables[name] }).toEqual({
                line: block.line,
                [name]: expect.stringMatching(/^(?!null$)\S+$/),
              });
          } else unanswered.push({ block, output: () => [ran.output] });
          variables = ran.variables;
        } else if (block.lang === "js") {
          const script = await server.listening("kv.changed", () => startScript(block, variables, scratch), 15_000);
          scripts.push(script);
          unanswered.push({ block, output: () => script.lines });
        } else if (block.lang === "json") {
          const asked = unanswered.pop();
          if (!asked) throw new Error(`README.md line ${block.line}: an answer with no command before it.`);
          const expected = block.body.trim().split("\n");
          await waitUntil(() => asked.output().length >= expected.length, 10_000, `the answer to README.md line ${asked.block.line}`);
          const answer = asked.output().map((text) => JSON.parse(text));
          expect({ line: asked.block.line, answer }).toEqual({ line: asked.block.line, answer: expected.map((text) => JSON.parse(text)) });
        } else
          throw new Error(`README.md line ${block.line}: a \`${block.lang}\` block; the walk-through runs sh and js and compares json.`);
      }
      expect(unanswered.map((asked) => asked.block.line)).toEqual([]);
    } finally {
      for (const script of scripts) {
        script.process.kill();
        await script.process.exited;
      }
    }
  }, 60_000);
});

describe("README's error codes", () => {
  let server: TestApp;
  beforeAll(async () => {
    server = await startTestApp();
  });
  afterAll(() => server.stop());

  test("every code README names is one of the API's", () => {
    const named = new Set([...readme.matchAll(/`([A-Z]+(?:_[A-Z]+)*)`/g)].map((m) => m[1] as string));
    // Environment variables (OUTPOST_…) and Linux capabilities (CAP_…) look like codes and are not.
    const codeLike = [...named].filter((word) => (word.includes("_") ? !/^(OUTPOST|CAP)_/.test(word) : ERROR_CODES.includes(word)));
    expect(codeLike.sort()).toEqual([...ERROR_CODES].sort());
  });

  test("syntax and validation errors and refusals by the document limits are BAD_USER_INPUT on every transport; a document past max_query_bytes is LIMIT_EXCEEDED with 413", async () => {
    const admin = await server.admin();
    /** The distinct codes of an answer's errors. */
    const codesOf = (result: { errors?: GraphqlError[] }) => [...new Set(codes(result))];
    const SYNTAX = '{ kv(key: "k") { value }';
    expect(codesOf(await admin.request(SYNTAX))).toEqual(["BAD_USER_INPUT"]);
    expect(codesOf(await admin.request("{ kv(nope: 1) { value } }"))).toEqual(["BAD_USER_INPUT"]);
    const aliasBomb = `{ ${Array.from({ length: 100 }, (_, i) => `a${i}: me { username }`).join(" ")} }`;
    expect(codesOf(await admin.request(aliasBomb))).toEqual(["BAD_USER_INPUT"]);

    const get = await fetch(`${server.url}/graphql?query=${encodeURIComponent(SYNTAX)}`, {
      headers: { authorization: `Bearer ${admin.accessToken}` },
    });
    expect(codesOf((await get.json()) as { errors?: GraphqlError[] })).toEqual(["BAD_USER_INPUT"]);

    const socket = admin.socket();
    const { error } = await socket.subscribe('subscription { kvChanged(prefix: "k") { key }').ended;
    expect(codesOf({ errors: error as GraphqlError[] })).toEqual(["BAD_USER_INPUT"]);
    await socket.dispose();

    const long = await admin.request(`{ health { ok } } # ${"x".repeat(server.app.config.maxQueryBytes)}`);
    expect([long.status, ...codesOf(long)]).toEqual([413, "LIMIT_EXCEEDED"]);
  });
});

// The public services a tunnel goes through are named as what they are (a setting's default, an
// example of the address a tunnel gets); any other address would be a link out of the repository.
const TUNNEL_SERVICE_HOSTS = /^([a-z0-9-]+\.)*(localtunnel\.me|loca\.lt|trycloudflare\.com|ngrok-free\.app|ngrok\.app)$/;

test("README links only to files in the repository, and names no address but this machine and the tunnel services", () => {
  const targets = [...readme.matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1] as string);
  for (const target of targets) {
    expect(target).not.toMatch(/^[a-z]+:/i);
    expect({ target, exists: existsSync(join(root, target.split("#")[0] as string)) }).toEqual({ target, exists: true });
    expect(join(dirname(join(root, "README.md")), target).startsWith(root)).toBe(true);
  }
  const addresses = [...readme.matchAll(/\b[a-z]+:\/\/([^/\s`'")]+)/gi)].map((m) => m[1] as string);
  for (const address of addresses.filter((a) => !TUNNEL_SERVICE_HOSTS.test(a)))
    expect(address).toMatch(/^(localhost|127\.0\.0\.1)(:\d+)?$/);
});
