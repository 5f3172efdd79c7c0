// Pure pieces of the GraphQL edge: the cost of an operation with its variables, and how a request
// is recognised as JSON or as coming from another site's page.
import { describe, expect, test } from "bun:test";
import { parse } from "graphql";
import { schema } from "../../schema/index";
import { longerThanBytes, operationCost } from "../../schema/limits";
import { fromAnotherSite, isJsonContentType } from "../../server/http/request-auth";

const costOf = (document: string, variables: Record<string, unknown> = {}) => operationCost(schema, parse(document), undefined, variables);

describe("operation cost", () => {
  const LITERAL = '{ kvEntries(prefix: "a", first: 200) { nodes { key value } } }';

  test("a page size from a variable weighs what the same literal weighs", () => {
    const literal = costOf(LITERAL);
    expect(literal.fromVariables).toBe(false);
    const fromVariable = costOf('query ($n: Int) { kvEntries(prefix: "a", first: $n) { nodes { key value } } }', { n: 200 });
    expect(fromVariable).toEqual({ cost: literal.cost, fromVariables: true });
    const fromDefault = costOf('query ($n: Int = 200) { kvEntries(prefix: "a", first: $n) { nodes { key value } } }');
    expect(fromDefault.cost).toBe(literal.cost);
  });

  test("a page size left out counts as the field's default, and fragments count as written out", () => {
    expect(costOf('{ kvEntries(prefix: "a") { nodes { key value } } }').cost).toBe(
      costOf('{ kvEntries(prefix: "a", first: 50) { nodes { key value } } }').cost,
    );
    expect(costOf('{ kvEntries(prefix: "a", first: 200) { ...F } } fragment F on KvEntryConnection { nodes { key value } }').cost).toBe(
      costOf(LITERAL).cost,
    );
  });
});

describe("requests", () => {
  const request = (headers: Record<string, string>) => new Request("http://outpost.local:8080/graphql", { method: "POST", headers });

  test("only application/json, with or without parameters, is JSON", () => {
    for (const type of ["application/json", "Application/JSON; charset=utf-8"]) expect(isJsonContentType(type)).toBe(true);
    for (const type of ["application/jsonx", "application/json-patch+json", "text/plain, application/json", "", null])
      expect(isJsonContentType(type)).toBe(false);
  });

  test("another site is told by Sec-Fetch-Site or by an Origin naming another host", () => {
    const here = { host: "outpost.local:8080" };
    expect(fromAnotherSite(request(here))).toBe(false);
    expect(fromAnotherSite(request({ ...here, "sec-fetch-site": "same-origin", origin: "http://outpost.local:8080" }))).toBe(false);
    expect(fromAnotherSite(request({ ...here, "sec-fetch-site": "none" }))).toBe(false);
    for (const headers of [
      { "sec-fetch-site": "cross-site" },
      { "sec-fetch-site": "same-site" },
      { origin: "null" },
      { origin: "https://evil.example" },
    ] as Record<string, string>[])
      expect(fromAnotherSite(request({ ...here, ...headers }))).toBe(true);
  });

  test("a document's length is counted in UTF-8 bytes", () => {
    expect(longerThanBytes("a".repeat(100), 100)).toBe(false);
    expect(longerThanBytes("é".repeat(60), 100)).toBe(true);
    expect(longerThanBytes("a".repeat(101), 100)).toBe(true);
  });
});
