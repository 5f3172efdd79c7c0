// The authorization matrix, generated: every root field of the schema, called as every kind of
// caller (anonymous, each role, API keys with limited scopes), allowed or denied exactly as the
// documented table says. A root field without a table entry fails.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { FIELD_REQUIREMENTS, type Requirement, ROLE_GRANTS } from "../authorization-table";
import { startTestApp, type TestApp } from "../harness/app";
import { type GraphqlClient, type GraphqlError, graphqlClient } from "../harness/client";
import { rootOperations } from "../harness/schema-walk";

const operations = rootOperations();
const DENIALS = new Set(["UNAUTHENTICATED", "FORBIDDEN"]);
/** Fields that end the caller's own session: the caller signs in again after them. */
const ENDS_SESSION = new Set(["mutation.logout", "mutation.revokeAllSessions"]);

interface Caller {
  name: string;
  grants: Requirement[];
  /** A fresh client for this caller (a new session, or the same key). */
  client: () => Promise<GraphqlClient>;
}

let server: TestApp;
const callers: Caller[] = [];

beforeAll(async () => {
  server = await startTestApp({ config: { rateLimitAuthPerMinute: 100_000, rateLimitApiPerMinute: 1_000_000 } });
  const password = (role: string) => `${role}-matrix-password`;
  for (const role of ["viewer", "operator", "admin"] as const) {
    await server.app.services.users.create({ username: `matrix-${role}`, password: password(role), role });
    callers.push({ name: role, grants: ROLE_GRANTS[role], client: () => server.signIn(`matrix-${role}`, password(role)) });
  }
  const keyOf = async (role: "operator" | "admin", scopes: string[]) => {
    const owner = await server.signIn(`matrix-${role}`, password(role));
    const created = await owner.data<{ createApiKey: { secret: string } }>(
      'mutation ($s: [String!]!, $p: String!) { createApiKey(name: "matrix", scopes: $s, password: $p) { secret } }',
      { s: scopes, p: password(role) },
    );
    return graphqlClient(server.url, created.createApiKey.secret);
  };
  const readKey = await keyOf("admin", ["read"]);
  const writeKey = await keyOf("operator", ["kv:write"]);
  callers.push(
    { name: "anonymous", grants: [], client: async () => server.anonymous },
    // A key never carries self-service ("account"), and "read" means every read permission.
    {
      name: "admin key scoped read",
      grants: [
        "signedIn",
        "kv:read",
        "system:read",
        "files:read",
        "audit:read",
        "jobs:read",
        "metrics:read",
        "processes:read",
        "alerts:read",
        "programs:read",
      ],
      client: async () => readKey,
    },
    { name: "operator key scoped kv:write", grants: ["signedIn", "kv:write"], client: async () => writeKey },
  );
});
afterAll(() => server.stop());

test("every root field has an entry in the documented table", () => {
  const missing = operations.map((op) => `${op.kind}.${op.field}`).filter((name) => !(name in FIELD_REQUIREMENTS));
  expect(missing).toEqual([]);
});

test("every entry of the table is a field of the schema", () => {
  const fields = new Set(operations.map((op) => `${op.kind}.${op.field}`));
  expect(Object.keys(FIELD_REQUIREMENTS).filter((name) => !fields.has(name))).toEqual([]);
});

async function deniedCodeOver(client: GraphqlClient, op: (typeof operations)[number]): Promise<string | null> {
  const firstDenial = (errors: GraphqlError[] | undefined) =>
    errors?.map((e) => e.extensions?.code).find((c) => c && DENIALS.has(c)) ?? null;
  if (op.kind !== "subscription") return firstDenial((await client.request(op.document)).errors);
  const socket = client.socket();
  const sub = socket.subscribe(op.document);
  const outcome = await Promise.race([
    sub.ended.then((e) => e.error),
    sub.waitFor(1, 500).then(
      () => null,
      () => null,
    ),
  ]);
  await socket.dispose();
  const errors = [...sub.results.flatMap((r) => r.errors ?? []), ...(Array.isArray(outcome) ? outcome : [])] as GraphqlError[];
  return firstDenial(errors);
}

describe("each caller on each root field", () => {
  for (const op of operations) {
    const name = `${op.kind}.${op.field}`;
    const requirement = FIELD_REQUIREMENTS[name];
    if (requirement === "public") continue; // open to every caller by definition; login and setup are tested on their own
    test(`${name} needs ${requirement}`, async () => {
      const outcomes: Record<string, string> = {};
      const expected: Record<string, string> = {};
      for (const caller of callers) {
        const client = await caller.client();
        const code = await deniedCodeOver(client, op);
        outcomes[caller.name] = code ?? "allowed";
        expected[caller.name] =
          requirement && caller.grants.includes(requirement) ? "allowed" : caller.name === "anonymous" ? "UNAUTHENTICATED" : "FORBIDDEN";
        if (ENDS_SESSION.has(name)) await caller.client();
      }
      expect(outcomes).toEqual(expected);
    });
  }
});
