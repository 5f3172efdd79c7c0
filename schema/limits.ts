// Limits on what a GraphQL document may ask: depth, aliases, tokens, cost and directives
// (graphql-armor, applied in parse and validate on every transport), no field suggestions, and
// introspection only for signed-in admins (checked per request, since documents are cached).
import type { Plugin } from "@envelop/core";
import { EnvelopArmor } from "@escape.tech/graphql-armor";
import { type DocumentNode, GraphQLError, visit } from "graphql";
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

/** An error when this viewer may not run an introspection query, else null. */
function introspectionRefusal(ctx: Context): GraphQLError | null {
  if (ctx.viewer.kind !== "anonymous" && ctx.viewer.role === "admin") return null;
  return new GraphQLError("Introspection is only for signed-in admins; the schema is in schema/schema.graphql.", {
    extensions: { code: ctx.viewer.kind === "anonymous" ? "UNAUTHENTICATED" : "FORBIDDEN" },
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

/** Envelop plugin refusing introspection to everyone but admins (yoga and socket paths). */
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
