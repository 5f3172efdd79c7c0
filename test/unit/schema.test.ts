// The committed SDL and README's generated tables are the API's contract under review: they must
// equal what the code builds.
import { expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { printSchema } from "graphql";
import { readmeTables, readReadme, withTables } from "../../appliance/readme";
import { schema } from "../../schema/index";
import { FEATURES } from "../../server/features";

test("schema/schema.graphql equals the printed schema (run `npm run schema` after changing the API)", () => {
  const committed = readFileSync(new URL("../../schema/schema.graphql", import.meta.url), "utf8");
  expect(committed).toBe(`${printSchema(schema)}\n`);
});

test("every root field declares who may use it", () => {
  for (const type of [schema.getQueryType(), schema.getMutationType(), schema.getSubscriptionType()]) {
    for (const field of Object.values(type?.getFields() ?? {})) {
      const options = field.extensions?.pothosOptions as { authScopes?: unknown } | undefined;
      expect({ field: `${type?.name}.${field.name}`, hasAuth: !!options?.authScopes }).toEqual({
        field: `${type?.name}.${field.name}`,
        hasAuth: true,
      });
    }
  }
});

test("README's settings and roles tables equal what the code declares (run `npm run schema` after changing them)", () => {
  const readme = readReadme();
  expect(readme).toBe(withTables(readme, readmeTables(FEATURES, schema)));
});
