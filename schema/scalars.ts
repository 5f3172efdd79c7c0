// Custom scalars: DateTime (ISO 8601 strings), JSON (any JSON value with finite numbers and
// bounded nesting) and File (an upload in a multipart request).
import { GraphQLError, Kind, type ValueNode } from "graphql";
import { unstorableJsonReason } from "../server/kv/json-value";
import { builder } from "./builder";

builder.scalarType("DateTime", {
  description: "An instant, as an ISO 8601 string in UTC.",
  serialize: (value) => (value as Date).toISOString(),
  parseValue: (value) => {
    const date = typeof value === "string" ? new Date(value) : Number.NaN;
    if (!(date instanceof Date) || Number.isNaN(date.getTime())) throw new GraphQLError("DateTime must be an ISO 8601 string.");
    return date;
  },
});

function literalToJson(node: ValueNode, variables: Record<string, unknown> | null | undefined): unknown {
  switch (node.kind) {
    case Kind.STRING:
    case Kind.BOOLEAN:
      return node.value;
    case Kind.INT:
    case Kind.FLOAT:
      return Number(node.value);
    case Kind.NULL:
      return null;
    case Kind.LIST:
      return node.values.map((v) => literalToJson(v, variables));
    case Kind.OBJECT:
      return Object.fromEntries(node.fields.map((f) => [f.name.value, literalToJson(f.value, variables)]));
    case Kind.VARIABLE:
      return variables?.[node.name.value];
    default:
      throw new GraphQLError("Not a JSON value.");
  }
}

/** `value`, unless it holds a number JSON cannot carry (1e400 parses to Infinity, stored as null) or nests too deeply. */
function storableJson(value: unknown): unknown {
  const reason = unstorableJsonReason(value);
  if (reason !== null) throw new GraphQLError(reason, { extensions: { code: "BAD_USER_INPUT" } });
  return value;
}

builder.scalarType("JSON", {
  description: "Any JSON value. Numbers must be finite (1e400 is refused); arrays and objects nest at most 128 deep.",
  serialize: (value) => value,
  parseValue: storableJson,
  parseLiteral: (node, variables) => storableJson(literalToJson(node, variables)),
});

// A file can only arrive as a variable of a multipart request; anything else becomes null, which the
// field refuses with a message saying how to send a file (so a query without one still reaches the
// field's auth rule first).
builder.scalarType("File", {
  description: "A file sent as a variable of a multipart request (GraphQL multipart request spec); input only.",
  serialize: () => {
    throw new GraphQLError("File is an input type only.");
  },
  parseValue: (value) => (value instanceof File ? value : null),
  parseLiteral: () => null,
});
