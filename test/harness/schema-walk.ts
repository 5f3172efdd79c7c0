// Builds a minimal valid operation for every root field of the schema, so tests can walk the
// whole API (every field, including ones added later) as a given caller.
import {
  type GraphQLArgument,
  type GraphQLField,
  type GraphQLInputType,
  getNamedType,
  isAbstractType,
  isEnumType,
  isInputObjectType,
  isListType,
  isNonNullType,
  isObjectType,
  isScalarType,
} from "graphql";
import { schema } from "../../schema/index";

export interface RootOperation {
  kind: "query" | "mutation" | "subscription";
  field: string;
  document: string;
}

function sampleValue(type: GraphQLInputType): string {
  if (isNonNullType(type)) return sampleValue(type.ofType);
  if (isListType(type)) return `[${sampleValue(type.ofType)}]`;
  if (isEnumType(type)) return type.getValues()[0]?.name ?? "null";
  if (isInputObjectType(type))
    return `{${Object.values(type.getFields())
      .filter((f) => isNonNullType(f.type))
      .map((f) => `${f.name}: ${sampleValue(f.type)}`)
      .join(", ")}}`;
  if (isScalarType(type)) {
    if (type.name === "Int" || type.name === "Float") return "1";
    if (type.name === "Boolean") return "true";
    if (type.name === "JSON") return "1";
    if (type.name === "DateTime") return '"2026-01-01T00:00:00Z"';
    return '"sample"';
  }
  return "null";
}

function selection(field: GraphQLField<unknown, unknown>): string {
  const named = getNamedType(field.type);
  return isObjectType(named) || isAbstractType(named) ? " { __typename }" : "";
}

function args(list: readonly GraphQLArgument[]): string {
  const required = list.filter((a) => isNonNullType(a.type) && a.defaultValue === undefined);
  return required.length ? `(${required.map((a) => `${a.name}: ${sampleValue(a.type)}`).join(", ")})` : "";
}

export function rootOperations(): RootOperation[] {
  const roots = [
    ["query", schema.getQueryType()],
    ["mutation", schema.getMutationType()],
    ["subscription", schema.getSubscriptionType()],
  ] as const;
  return roots.flatMap(([kind, type]) =>
    type
      ? Object.values(type.getFields()).map((field) => ({
          kind,
          field: field.name,
          document: `${kind} { ${field.name}${args(field.args)}${selection(field)} }`,
        }))
      : [],
  );
}
