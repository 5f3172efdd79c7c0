// Limits on what a GraphQL document may ask: depth, aliases, tokens, cost and directives
// (graphql-armor, applied in parse and validate on every transport), no field suggestions, and
// introspection only with `schema:read` (checked per request, since documents are cached).
// Before execution the cost is weighed again with the request's variables (armor sees only a
// literal page size). What an answer may return in bytes is in response-budget.ts.
import type { Plugin } from "@envelop/core";
import { EnvelopArmor } from "@escape.tech/graphql-armor";
import {
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  GraphQLError,
  type GraphQLField,
  type GraphQLNamedType,
  type GraphQLSchema,
  getNamedType,
  isInterfaceType,
  isObjectType,
  Kind,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type ValueNode,
  visit,
} from "graphql";
import { can, forbidden } from "../server/auth/viewer";
import type { Context } from "./context";

export const DOCUMENT_LIMITS = { maxDepth: 16, maxAliases: 15, maxTokens: 2000, maxCost: 50_000, maxDirectives: 20 };

/** The armor plugins; every GraphQL path runs them before a document is executed. */
export function armorPlugins(): Plugin[] {
  return new EnvelopArmor({
    // Introspection counts too (its ofType chains are the classic depth bomb); 16 still admits
    // the introspection query GraphiQL sends (depth 15).
    maxDepth: { n: DOCUMENT_LIMITS.maxDepth, flattenFragments: true, ignoreIntrospection: false },
    maxAliases: { n: DOCUMENT_LIMITS.maxAliases },
    maxTokens: { n: DOCUMENT_LIMITS.maxTokens },
    // Armor multiplies a list's cost by a literal `first`; 50k admits a full page (first: 500) of
    // any list with all its fields, while services cap page sizes themselves.
    costLimit: { maxCost: DOCUMENT_LIMITS.maxCost },
    maxDirectives: { n: DOCUMENT_LIMITS.maxDirectives },
    blockFieldSuggestion: { enabled: true },
  }).protect().plugins as Plugin[];
}

// Documents are cached and reused across requests, so the answer is kept with the document.
const introspectionOf = new WeakMap<DocumentNode, boolean>();

function usesIntrospection(document: DocumentNode): boolean {
  const known = introspectionOf.get(document);
  if (known !== undefined) return known;
  let found = false;
  visit(document, {
    Field(node) {
      if (node.name.value === "__schema" || node.name.value === "__type") found = true;
    },
  });
  introspectionOf.set(document, found);
  return found;
}

/** An error when this viewer may not run an introspection query (it needs `schema:read`, as GraphiQL does), else null. */
function introspectionRefusal({ viewer }: Context): GraphQLError | null {
  if (can(viewer, "schema:read")) return null;
  const where = "the schema is in schema/schema.graphql.";
  if (viewer.kind === "anonymous")
    return new GraphQLError(`Sign in to use introspection; ${where}`, { extensions: { code: "UNAUTHENTICATED" } });
  return new GraphQLError(`${forbidden(viewer, "schema:read").message} Introspection needs it; ${where}`, {
    extensions: { code: "FORBIDDEN" },
  });
}

/**
 * Envelop plugin keeping subscriptions on WebSockets, where a socket is closed the moment its
 * credential ends; yoga would otherwise also stream them over plain HTTP (server-sent events).
 */
export function useSubscriptionsOnSocketsOnly(): Plugin<Context> {
  return {
    onSubscribe({ args, setResultAndStopExecution }) {
      if (args.contextValue.transport !== "ws")
        setResultAndStopExecution({
          errors: [
            new GraphQLError("Subscriptions are served over WebSocket (graphql-transport-ws) on /graphql.", {
              extensions: { code: "BAD_USER_INPUT" },
            }),
          ],
        });
    },
  };
}

/** Envelop plugin refusing introspection to viewers without `schema:read` (yoga and socket paths). */
export function useIntrospectionGuard(): Plugin<Context> {
  const guard = ({
    args,
    setResultAndStopExecution,
  }: {
    args: { document: DocumentNode; contextValue: Context };
    setResultAndStopExecution: (r: { errors: GraphQLError[] }) => void;
  }) => {
    const refusal = usesIntrospection(args.document) ? introspectionRefusal(args.contextValue) : null;
    if (refusal) setResultAndStopExecution({ errors: [refusal] });
  };
  return { onExecute: guard, onSubscribe: guard as never };
}

/** True when `text` takes more than `maxBytes` as UTF-8, decided without encoding it when its length settles it. */
export function longerThanBytes(text: string, maxBytes: number): boolean {
  if (text.length > maxBytes) return true;
  return text.length * 3 > maxBytes && Buffer.byteLength(text, "utf8") > maxBytes;
}

// Armor's weights: a leaf costs 1, an object 2 plus 1.5 times its selections, times its page size.
const COST = { scalar: 1, object: 2, depthFactor: 1.5 };

/**
 * Armor's cost of the operation that will run, with each list's page size (`first` or `last`) taken
 * from a literal, a variable, the variable's default, or else the field's own default. Fragments
 * count as if written out. `fromVariables` tells whether any page size came from a variable (a cost
 * without one is the same on every request of the document).
 */
export function operationCost(
  schema: GraphQLSchema,
  document: DocumentNode,
  operationName: string | null | undefined,
  variables: Readonly<Record<string, unknown>> | null | undefined,
): { cost: number; fromVariables: boolean } {
  let operation: OperationDefinitionNode | undefined;
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
    else if (definition.kind === Kind.OPERATION_DEFINITION && (operationName ? definition.name?.value === operationName : !operation))
      operation = definition;
  }
  let fromVariables = false;
  if (!operation) return { cost: 0, fromVariables };
  const variableDefaults = new Map(operation.variableDefinitions?.map((d) => [d.variable.name.value, d.defaultValue]));

  const intOf = (value: ValueNode | undefined): number | undefined => {
    if (value?.kind === Kind.INT) return Number.parseInt(value.value, 10);
    if (value?.kind !== Kind.VARIABLE) return undefined;
    fromVariables = true;
    const given = variables?.[value.name.value];
    if (given === undefined) return intOf(variableDefaults.get(value.name.value));
    return typeof given === "number" ? given : undefined;
  };
  const pageSize = (node: FieldNode, field: GraphQLField<unknown, unknown> | undefined): number => {
    for (const name of ["first", "last"]) {
      const size =
        intOf(node.arguments?.find((a) => a.name.value === name)?.value) ?? field?.args.find((a) => a.name === name)?.defaultValue;
      if (typeof size === "number") return Math.max(1, size);
    }
    return 1;
  };

  // A fragment's cost does not depend on where it is spread; a cycle (refused by validation) adds nothing.
  const fragmentCosts = new Map<string, number>();
  const selectionsCost = (selectionSet: SelectionSetNode, parent: GraphQLNamedType | undefined): number => {
    let cost = 0;
    for (const selection of selectionSet.selections) {
      if (selection.kind === Kind.FIELD) cost += fieldCost(selection, parent);
      else if (selection.kind === Kind.INLINE_FRAGMENT)
        cost += selectionsCost(
          selection.selectionSet,
          selection.typeCondition ? schema.getType(selection.typeCondition.name.value) : parent,
        );
      else {
        const name = selection.name.value;
        let known = fragmentCosts.get(name);
        if (known === undefined) {
          fragmentCosts.set(name, 0);
          const fragment = fragments.get(name);
          known = fragment ? selectionsCost(fragment.selectionSet, schema.getType(fragment.typeCondition.name.value)) : 0;
          fragmentCosts.set(name, known);
        }
        cost += known;
      }
    }
    return cost;
  };
  const fieldCost = (node: FieldNode, parent: GraphQLNamedType | undefined): number => {
    // Introspection is for admins only, and armor leaves its schema query out of the cost too.
    if (node.name.value === "__schema") return 0;
    if (!node.selectionSet) return COST.scalar;
    const field = parent && (isObjectType(parent) || isInterfaceType(parent)) ? parent.getFields()[node.name.value] : undefined;
    const children = selectionsCost(node.selectionSet, field ? getNamedType(field.type) : undefined);
    return (COST.object + COST.depthFactor * children) * pageSize(node, field);
  };
  return { cost: selectionsCost(operation.selectionSet, schema.getRootType(operation.operation) ?? undefined), fromVariables };
}

/**
 * Envelop plugin refusing (BAD_USER_INPUT, as armor refuses the same document with the page size
 * written in it, and before anything runs) an operation whose cost with its variables is over the
 * limit: armor's own rule weighs `first: 500` but not `first: $n`.
 */
export function useCostWithVariables({ maxCost = DOCUMENT_LIMITS.maxCost }: { maxCost?: number } = {}): Plugin<Context> {
  // Costs that no variable changes, per document and operation name.
  const fixed = new WeakMap<DocumentNode, Map<string, number>>();
  const costOf = (args: { schema: GraphQLSchema; document: DocumentNode; operationName?: string | null; variableValues?: unknown }) => {
    const name = args.operationName ?? "";
    const known = fixed.get(args.document)?.get(name);
    if (known !== undefined) return known;
    const { cost, fromVariables } = operationCost(args.schema, args.document, name, args.variableValues as Record<string, unknown>);
    if (!fromVariables) fixed.set(args.document, (fixed.get(args.document) ?? new Map()).set(name, cost));
    return cost;
  };
  const check = ({
    args,
    setResultAndStopExecution,
  }: {
    args: Parameters<typeof costOf>[0];
    setResultAndStopExecution: (r: { errors: GraphQLError[] }) => void;
  }) => {
    const cost = costOf(args);
    if (cost > maxCost)
      setResultAndStopExecution({
        errors: [
          new GraphQLError(
            `Query cost limit of ${maxCost} exceeded, found ${Math.ceil(cost)} (page sizes in variables count too); ask for smaller pages.`,
            { extensions: { code: "BAD_USER_INPUT" } },
          ),
        ],
      });
  };
  return { onExecute: check as never, onSubscribe: check as never };
}

/**
 * The `extensions` of a subscription field whose events wait for the socket to be read: while
 * more than a little of what was sent is unread, its next event is held back (and so is its
 * source), instead of the socket being cut off. For streams that must arrive whole (run output).
 */
export const PACED_BY_READER = { pacedByReader: true };

/** Whether the subscription `document` asks for is paced by its reader (see PACED_BY_READER). */
export function isPacedByReader(schema: GraphQLSchema, operation: OperationDefinitionNode): boolean {
  if (operation.operation !== "subscription") return false;
  const [root] = operation.selectionSet.selections;
  if (root?.kind !== Kind.FIELD) return false;
  return schema.getSubscriptionType()?.getFields()[root.name.value]?.extensions?.pacedByReader === true;
}
