// The web UI's operation types come from schema/schema.graphql: web/src/graphql-env.d.ts is
// generated from it (`npm run web:types`) and committed, and gql.tada infers each operation's types
// from that file. These tests fail when the API changes and the UI has not followed: when the
// generated file is stale, and when an operation no longer fits the schema.
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { buildSchema, parse, validate } from "graphql";

const root = join(import.meta.dir, "..", "..", "..");
const webSrc = join(root, "web", "src");
const sdl = readFileSync(join(root, "schema", "schema.graphql"), "utf8");

describe("web/src/graphql-env.d.ts", () => {
  const scratch = mkdtempSync(join(tmpdir(), "outpost-web-types-"));
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  test("equals what gql.tada generates from schema/schema.graphql (run `npm run web:types` after changing the API)", () => {
    const output = join(scratch, "graphql-env.d.ts");
    const cli = join(root, "node_modules", "gql.tada", "bin", "cli.js");
    const run = Bun.spawnSync(
      [process.execPath, cli, "generate", "output", "--tsconfig", join(root, "web", "tsconfig.json"), "--output", output],
      { cwd: root, stdout: "pipe", stderr: "pipe" },
    );
    expect({ exitCode: run.exitCode, stderr: run.stderr.toString() }).toEqual({ exitCode: 0, stderr: "" });
    expect(readFileSync(join(webSrc, "graphql-env.d.ts"), "utf8")).toBe(readFileSync(output, "utf8"));
  }, 60_000);
});

interface FoundOperation {
  file: string;
  text: string;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((item) => {
    const path = join(dir, item.name);
    if (item.isDirectory()) return sourceFiles(path);
    return /\.tsx?$/.test(item.name) && !item.name.endsWith(".d.ts") ? [path] : [];
  });
}

const STRING_LITERAL = `(${/"(?:[^"\\]|\\.)*"/.source}|${/`(?:[^`\\]|\\.)*`/.source})`;

/** The text of a string literal; a template may interpolate only constants of the same file. */
function literalText(literal: string, source: string, file: string): string {
  if (literal.startsWith('"')) return JSON.parse(literal);
  return literal.slice(1, -1).replace(/\$\{\s*(\w+)\s*\}/g, (_, name: string) => {
    const constant = new RegExp(`const ${name}\\s*=\\s*${STRING_LITERAL};`).exec(source);
    if (!constant?.[1]) throw new Error(`${file}: an operation interpolates \${${name}}, which is not a string constant of the same file`);
    return literalText(constant[1], source, file);
  });
}

/** Every `graphql(…)` operation in web/src, with its interpolated constants filled in. */
function operationsOfTheWebUi(): FoundOperation[] {
  return sourceFiles(webSrc).flatMap((path) => {
    const source = readFileSync(path, "utf8");
    const file = relative(root, path);
    const calls = [...source.matchAll(new RegExp(String.raw`\bgraphql\(\s*${STRING_LITERAL}\s*,?\s*\)`, "g"))];
    // Every call with a literal must have been read whole, or an operation would escape the check.
    expect({ file, calls: calls.length }).toEqual({ file, calls: source.match(/\bgraphql\(\s*["`]/g)?.length ?? 0 });
    return calls.map((call) => ({ file, text: literalText(call[1] as string, source, file) }));
  });
}

describe("the web UI's operations", () => {
  const schema = buildSchema(sdl);
  const operations = operationsOfTheWebUi();

  test("are found in web/src", () => {
    expect(operations.length).toBeGreaterThan(20);
  });

  test("are valid against schema/schema.graphql", () => {
    const problems = operations.flatMap(({ file, text }) =>
      validate(schema, parse(text)).map((error) => `${file}: ${error.message}\n  in ${text.replace(/\s+/g, " ")}`),
    );
    expect(problems).toEqual([]);
  });

  test("have names of their own, so the server's logs tell them apart", () => {
    const names = operations.map(({ text }) => /^\s*(?:query|mutation|subscription)\s+(\w+)/.exec(text)?.[1] ?? "(anonymous)");
    expect(names.filter((name, i) => name === "(anonymous)" || names.indexOf(name) !== i)).toEqual([]);
  });
});
