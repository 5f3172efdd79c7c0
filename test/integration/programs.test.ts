// Programs: a user uploads a script or a ZIP project, Outpost finds its entry point and
// interpreter, lists its files, and lets them choose another entry, rename and delete it.
// Malicious archives are refused with nothing left on disk.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { buildZip, uploadProgram, withLyingSize } from "../fixtures/program-archives";
import { startTestApp, type TestApp } from "../harness/app";
import { codes, type GraphqlClient } from "../harness/client";

let app: TestApp;
let operator: GraphqlClient;
let viewer: GraphqlClient;

beforeAll(async () => {
  app = await startTestApp();
  operator = await app.userWithRole("operator");
  viewer = await app.userWithRole("viewer");
});
afterAll(() => app.stop());

const zipFile = (bytes: Uint8Array<ArrayBuffer>, name = "project.zip") => new File([bytes], name);
const script = (name: string, text: string) => new File([text], name);

/** Uploads and returns the program, failing the test on errors. */
async function upload(file: File, name?: string) {
  const result = await uploadProgram(operator, file, name);
  if (!result.data) throw new Error(`upload failed: ${JSON.stringify(result.errors)}`);
  return result.data.uploadProgram;
}

/** What the server keeps of programs on disk: their folders, and staging in tmp. */
function onDisk() {
  const programs = existsSync(join(app.dataDir, "programs")) ? readdirSync(join(app.dataDir, "programs")) : [];
  const staging = readdirSync(join(app.dataDir, "tmp")).filter((name) => name.startsWith("program-"));
  return { programs, staging };
}

describe("a single script", () => {
  test.each([
    ["hello.py", "print('hi')\n", "python3"],
    ["deploy.sh", "echo hi\n", "sh"],
    ["tool.ts", "console.log(1)\n", "bun (built in)"],
    ["job.js", "console.log(1)\n", "bun (built in)"],
    ["report", "#!/usr/bin/env python3\nprint(1)\n", "/usr/bin/env python3"],
    ["server.py", "#!/usr/bin/python3 -u\nprint(1)\n", "/usr/bin/python3 -u"],
    ["binary-ish", "plain text\n", "run directly"],
  ])("%s is its own entry point", async (name, text, interpreter) => {
    const program = await upload(script(name, text));
    expect(program).toMatchObject({ name, entryPath: name, interpreter, fileCount: 1, sizeBytes: text.length });
    expect(program.files).toEqual([{ path: name, sizeBytes: text.length, executable: true }]);
    expect(readFileSync(join(app.dataDir, "programs", program.id, name), "utf8")).toBe(text);
  });
});

describe("entry point of a ZIP project", () => {
  const helper = { name: "lib/helper.py", text: "X = 1\n" };
  test.each([
    ["main.py", [{ name: "main.py", text: "" }, { name: "app.py", text: "" }, helper], "main.py", "python3"],
    [
      "__main__.py",
      [
        { name: "__main__.py", text: "" },
        { name: "app.py", text: "" },
      ],
      "__main__.py",
      "python3",
    ],
    [
      "app.py",
      [
        { name: "app.py", text: "" },
        { name: "index.js", text: "" },
      ],
      "app.py",
      "python3",
    ],
    [
      "index.ts",
      [
        { name: "index.ts", text: "" },
        { name: "index.js", text: "" },
      ],
      "index.ts",
      "bun (built in)",
    ],
    [
      "index.js",
      [
        { name: "index.js", text: "" },
        { name: "main.ts", text: "" },
      ],
      "index.js",
      "bun (built in)",
    ],
    [
      "main.ts",
      [
        { name: "main.ts", text: "" },
        { name: "main.js", text: "" },
      ],
      "main.ts",
      "bun (built in)",
    ],
    [
      "main.js",
      [
        { name: "main.js", text: "" },
        { name: "run.sh", text: "" },
      ],
      "main.js",
      "bun (built in)",
    ],
    [
      "package.json main",
      [
        { name: "package.json", text: '{"main":"./src/server.js"}' },
        { name: "src/server.js", text: "" },
      ],
      "src/server.js",
      "bun (built in)",
    ],
    [
      "package.json scripts.start",
      [
        { name: "package.json", text: '{"scripts":{"start":"bun src/a.ts"}}' },
        { name: "src/a.ts", text: "" },
      ],
      "package.json",
      "bun run start (built in)",
    ],
    [
      "main.sh",
      [
        { name: "main.sh", text: "echo\n" },
        { name: "run.sh", text: "" },
      ],
      "main.sh",
      "sh",
    ],
    [
      "run.sh",
      [
        { name: "run.sh", text: "[[ 1 ]] && echo\n" },
        { name: "notes.txt", text: "" },
      ],
      "run.sh",
      "bash",
    ],
    [
      "the only executable file",
      [
        { name: "start-me", text: "#!/bin/sh\necho\n", mode: 0o100755 },
        { name: "other", text: "#!/bin/sh\n" },
      ],
      "start-me",
      "/bin/sh",
    ],
    [
      "the only file with a shebang",
      [
        { name: "serve", text: "#!/usr/bin/env bash\necho\n" },
        { name: "README", text: "read me" },
      ],
      "serve",
      "/usr/bin/env bash",
    ],
    [
      "a project in one top folder",
      [{ name: "proj/" }, { name: "proj/main.py", text: "" }, { name: "proj/util.py", text: "" }],
      "proj/main.py",
      "python3",
    ],
  ])("%s", async (_rule, entries, entryPath, interpreter) => {
    const program = await upload(zipFile(buildZip(entries)), "project");
    expect(program).toMatchObject({ name: "project", entryPath, interpreter });
  });

  test("no rule fits: no entry point until the user chooses one, which sets the interpreter", async () => {
    const program = await upload(
      zipFile(
        buildZip([
          { name: "a.py", text: "" },
          { name: "b.sh", text: "" },
        ]),
        "two.zip",
      ),
    );
    expect(program).toMatchObject({ name: "two", entryPath: null, interpreter: null, fileCount: 2 });
    const chosen = await operator.data<{ setProgramEntry: { entryPath: string; interpreter: string } }>(
      "mutation ($id: ID!, $p: String!) { setProgramEntry(id: $id, path: $p) { entryPath interpreter } }",
      { id: program.id, p: "b.sh" },
    );
    expect(chosen.setProgramEntry).toEqual({ entryPath: "b.sh", interpreter: "sh" });
    for (const path of ["../b.sh", "missing.py", "/etc/passwd", ""]) {
      const refused = await operator.request("mutation ($id: ID!, $p: String!) { setProgramEntry(id: $id, path: $p) { entryPath } }", {
        id: program.id,
        p: path,
      });
      expect(codes(refused)).toEqual(["BAD_USER_INPUT"]);
    }
  });
});

describe("listing, renaming and deleting", () => {
  test("a viewer sees programs and their files; renaming and deleting are the operator's", async () => {
    const program = await upload(
      zipFile(
        buildZip([
          { name: "main.py", text: "print(1)\n" },
          { name: "data/x.csv", text: "a,b\n" },
        ]),
      ),
      "listed",
    );
    const seen = await viewer.data<{ program: { name: string; files: { path: string }[] }; programs: { nodes: { id: string }[] } }>(
      "query ($id: ID!) { program(id: $id) { name files { path } } programs(first: 200) { nodes { id } } }",
      { id: program.id },
    );
    expect(seen.program).toEqual({ name: "listed", files: [{ path: "data/x.csv" }, { path: "main.py" }] });
    expect(seen.programs.nodes[0]?.id).toBe(program.id);

    expect(codes(await uploadProgram(viewer, script("x.py", "")))).toEqual(["FORBIDDEN"]);
    expect(codes(await viewer.request("mutation ($id: ID!) { deleteProgram(id: $id) }", { id: program.id }))).toEqual(["FORBIDDEN"]);

    const renamed = await operator.data<{ renameProgram: { name: string } }>(
      'mutation ($id: ID!) { renameProgram(id: $id, name: "  renamed  ") { name } }',
      { id: program.id },
    );
    expect(renamed.renameProgram.name).toBe("renamed");
    expect(codes(await operator.request('mutation ($id: ID!) { renameProgram(id: $id, name: " ") { name } }', { id: program.id }))).toEqual(
      ["BAD_USER_INPUT"],
    );

    expect(await operator.data("mutation ($id: ID!) { deleteProgram(id: $id) }", { id: program.id })).toEqual({ deleteProgram: true });
    expect(existsSync(join(app.dataDir, "programs", program.id))).toBe(false);
    expect(await operator.data("mutation ($id: ID!) { deleteProgram(id: $id) }", { id: program.id })).toEqual({ deleteProgram: false });
    expect(await viewer.data("query ($id: ID!) { program(id: $id) { id } }", { id: program.id })).toEqual({ program: null });
  });

  test("pages of programs follow one another, newest first", async () => {
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await upload(script(`page${i}.sh`, "echo\n"))).id);
    type Page = { programs: { nodes: { id: string }[]; pageInfo: { hasNextPage: boolean; endCursor: string } } };
    const first = await viewer.data<Page>("{ programs(first: 2) { nodes { id } pageInfo { hasNextPage endCursor } } }");
    expect(first.programs.nodes.map((n) => n.id)).toEqual([ids[2], ids[1]] as string[]);
    expect(first.programs.pageInfo.hasNextPage).toBe(true);
    const next = await viewer.data<Page>("query ($a: String) { programs(first: 1, after: $a) { nodes { id } } }", {
      a: first.programs.pageInfo.endCursor,
    });
    expect(next.programs.nodes.map((n) => n.id)).toEqual([ids[0]] as string[]);
  });
});

describe("malicious archives are refused with nothing written", () => {
  test.each([
    [
      "zip-slip ../",
      () =>
        buildZip([
          { name: "ok.py", text: "" },
          { name: "../../escaped.py", text: "boom" },
        ]),
      "BAD_USER_INPUT",
    ],
    ["zip-slip inside a folder", () => buildZip([{ name: "a/../../escaped.py", text: "boom" }]), "BAD_USER_INPUT"],
    ["an absolute path", () => buildZip([{ name: "/tmp/outpost-escaped.py", text: "boom" }]), "BAD_USER_INPUT"],
    [
      "a symlink",
      () =>
        buildZip([
          { name: "main.py", text: "" },
          { name: "passwd", text: "/etc/passwd", mode: 0o120777 },
        ]),
      "BAD_USER_INPUT",
    ],
    ["10 000 entries", () => buildZip([], { manyEntries: 10_000 }), "LIMIT_EXCEEDED"],
    ["a 1 GiB zero bomb", () => buildZip([{ name: "main.py", text: "" }], { zeroBytes: 1 << 30 }), "LIMIT_EXCEEDED"],
    [
      "a header that lies about sizes",
      () =>
        withLyingSize(
          buildZip([
            { name: "main.py", text: "" },
            { name: "big.bin", text: "x".repeat(300_000) },
          ]),
          "big.bin",
          10,
        ),
      "BAD_USER_INPUT",
    ],
    ["a damaged archive", () => new Uint8Array([0x50, 0x4b, 3, 4, 1, 2, 3]), "BAD_USER_INPUT"],
  ])(
    "%s",
    async (_what, build, code) => {
      const before = onDisk();
      const result = await uploadProgram(operator, zipFile(build()));
      expect(codes(result)).toEqual([code]);
      expect(onDisk()).toEqual(before);
      expect(existsSync("/tmp/outpost-escaped.py")).toBe(false);
    },
    60_000,
  );
});

describe("limits counted on the bytes written", () => {
  test("an archive whose files each fit but together pass the unpacked limit is refused and removed", async () => {
    await using small = await startTestApp({ config: { programsMaxUnpackedBytes: 100_000, programsMaxFileBytes: 60_000 } });
    const client = await small.userWithRole("operator");
    const parts = [1, 2].map((i) => ({ name: `part${i}.txt`, text: "y".repeat(55_000) }));
    expect(codes(await uploadProgram(client, zipFile(buildZip(parts))))).toEqual(["LIMIT_EXCEEDED"]);
    expect(codes(await uploadProgram(client, zipFile(buildZip([{ name: "one.txt", text: "z".repeat(70_000) }]))))).toEqual([
      "LIMIT_EXCEEDED",
    ]);
    expect(codes(await uploadProgram(client, script("big.py", "#".repeat(70_000))))).toEqual(["LIMIT_EXCEEDED"]);
    expect(readdirSync(join(small.dataDir, "tmp")).filter((n) => n.startsWith("program-"))).toEqual([]);
    expect(existsSync(join(small.dataDir, "programs")) ? readdirSync(join(small.dataDir, "programs")) : []).toEqual([]);
  });
});
