// Typed GraphQL operations. `graphql(text)` returns the text itself; only the type checker sees
// more: gql.tada reads the text and the schema (src/graphql-env.d.ts, generated from
// schema/schema.graphql by `npm run web:types`) and infers the result and the variables. So
// nothing of gql.tada reaches the bundle, and no result type is written by hand.

import type { DocumentDecoration, initGraphQLTada, ResultOf, VariablesOf } from "gql.tada";
import type { introspection } from "../graphql-env";

export type { ResultOf, VariablesOf };

type Tada = initGraphQLTada<{
  introspection: introspection;
  scalars: { DateTime: string; JSON: unknown };
  disableMasking: true;
}>;

// Types only: what gql.tada's own `graphql` would return for `text`. Nothing calls this; it lets
// the type below pick the overload of gql.tada's function that parses a text.
declare const tada: Tada;
const typedDocument = <const Text extends string>(text: Text) => tada(text);
type TypedDocument<Text extends string> = ReturnType<typeof typedDocument<Text>>;

/** An operation's text, carrying the types of its result and variables. */
export type Operation<Result, Variables> = string & DocumentDecoration<Result, Variables>;

/**
 * Marks `text` as a GraphQL operation against the schema. Interpolate only constant strings (field
 * lists), so the type checker still sees the whole text; `npm test` validates every operation.
 */
export function graphql<const Text extends string>(text: Text): Operation<ResultOf<TypedDocument<Text>>, VariablesOf<TypedDocument<Text>>> {
  return text;
}

/** The values of an enum of the schema, e.g. `SchemaEnum<"Role">`. */
export type SchemaEnum<Name extends keyof introspection["types"]> = introspection["types"][Name] extends { enumValues: infer Values }
  ? Values
  : never;
