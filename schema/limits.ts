// Limits on what a GraphQL document may ask: depth, aliases, tokens, cost and directives
// (graphql-armor, applied in parse and validate on every transport), no field suggestions, and
// introspection only for signed-in admins (checked per request, since documents are cached).
// Before execution the cost is weighed again with the request's variables (armor sees only a
// literal page size), and during execution the bytes of values returned are counted against a
// budget per request, so pages that each stay within their service's bounds cannot add up. Answers
// past a small size also count, until the edge has written them, against what their owners (user
// and client address) may have in flight, so clients that never read cannot pile them up.
import { isAsyncIterable, type Plugin } from "@envelop/core";
import { EnvelopArmor } from "@escape.tech/graphql-armor";
import {
  type DocumentNode,
  defaultFieldResolver,
  type FieldNode,
  type FragmentDefinitionNode,
  GraphQLError,
  type GraphQLField,
  type GraphQLFieldResolver,
  type GraphQLNamedType,
  type GraphQLSchema,
  getNamedType,
  isInterfaceType,
  isLeafType,
  isObjectType,
  Kind,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type ValueNode,
  visit,
} from "graphql";
import { LimitExceededError } from "../server/errors";
import type { Context } from "./context";

export const DOCUMENT_LIMITS = { maxDepth: 16, maxAliases: 15, maxTokens: 2000, maxCost: 50_000, maxDirectives: 20 };
/** Most bytes of values (strings, numbers, JSON) one query or mutation may return, all its lists together. */
export const MAX_RESPONSE_VALUE_BYTES = 16 << 20;

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

/** Large answers being built or waiting to be written, per owner (a user, a client address). */
export const ANSWERS_IN_FLIGHT = { maxBytesPerOwner: 32 << 20, untrackedBytes: 256 << 10 };

/** What one large answer holds of its owners' allowance; released once the answer is written or dropped. */
export interface AnswerHold {
  readonly bytes: number;
  /** Gives the bytes back; later calls do nothing. */
  release(): void;
}

/** Bytes of large answers (over `untrackedBytes` of values) that each owner has being built or not yet written. */
export interface AnswersInFlight {
  readonly untrackedBytes: number;
  /**
   * Grows the hold of ctx's answer to cover `bytes` (in steps of `untrackedBytes`) and returns what
   * it now covers; null, holding no more, when one of ctx's owners would pass `maxBytesPerOwner`.
   */
  reserve(ctx: Context, bytes: number): number | null;
  /** Takes the hold of ctx's answer (none for a small one): whoever writes the answer releases it once written. */
  takeHold(ctx: Context): AnswerHold | undefined;
}

/**
 * The accounting behind `useResponseBudget`'s `answersInFlight`: `ownersOf` names whose allowance
 * an answer counts against (asked only once an answer passes `untrackedBytes`); `edgeContextOf`
 * gives the context the edge built from the one an execution runs with, when they differ, so
 * that the edge finds the hold with its own. A hold nobody released is given back when it is
 * garbage collected, so a missed path costs time, not the allowance.
 */
export function createAnswersInFlight({
  ownersOf,
  edgeContextOf = (ctx) => ctx,
  maxBytesPerOwner = ANSWERS_IN_FLIGHT.maxBytesPerOwner,
  untrackedBytes = ANSWERS_IN_FLIGHT.untrackedBytes,
}: {
  ownersOf: (ctx: Context) => readonly string[];
  edgeContextOf?: (ctx: Context) => Context;
  maxBytesPerOwner?: number;
  untrackedBytes?: number;
}): AnswersInFlight {
  const held = new Map<string, number>();
  // Kept apart from the hold object, so the finalizer can release a hold that was lost.
  interface Share {
    owners: readonly string[];
    bytes: number;
    released: boolean;
  }
  const giveBack = (share: Share) => {
    if (share.released) return;
    share.released = true;
    for (const owner of share.owners) {
      const left = (held.get(owner) ?? 0) - share.bytes;
      if (left > 0) held.set(owner, left);
      else held.delete(owner);
    }
  };
  const lost = new FinalizationRegistry<Share>(giveBack);
  const holds = new WeakMap<Context, { hold: AnswerHold; share: Share }>();
  const holdFor = (ctx: Context) => {
    let entry = holds.get(ctx);
    if (!entry) {
      const share: Share = { owners: ownersOf(ctx), bytes: 0, released: false };
      const hold: AnswerHold = {
        get bytes() {
          return share.bytes;
        },
        release() {
          lost.unregister(hold);
          giveBack(share);
        },
      };
      lost.register(hold, share, hold);
      entry = { hold, share };
      holds.set(ctx, entry);
    }
    return entry;
  };
  return {
    untrackedBytes,
    reserve(ctx, bytes) {
      const { share } = holdFor(edgeContextOf(ctx));
      if (share.released) return null;
      const covered = Math.ceil(bytes / untrackedBytes) * untrackedBytes;
      const more = covered - share.bytes;
      if (more <= 0) return share.bytes;
      if (share.owners.some((owner) => (held.get(owner) ?? 0) + more > maxBytesPerOwner)) return null;
      for (const owner of share.owners) held.set(owner, (held.get(owner) ?? 0) + more);
      share.bytes = covered;
      return covered;
    },
    takeHold(ctx) {
      const edgeContext = edgeContextOf(ctx);
      const entry = holds.get(edgeContext);
      holds.delete(edgeContext);
      return entry?.hold;
    },
  };
}

/** What one query or mutation may still return, in bytes of values. */
interface ResponseBudget {
  left: number;
  /** Bytes of values charged so far. */
  used: number;
  /** Up to which `used` the answer needs no (more) of its owners' allowance for answers in flight. */
  covered: number;
  /** The allowance, when this budget counts against one. */
  answers?: AnswersInFlight;
  ctx: Context;
  /** Refused because the owners' answers in flight were at their limit, not for its own size. */
  busy: boolean;
}
const budgets = new WeakMap<object, ResponseBudget>();
const BUDGETED = Symbol("outpost.responseBudget");
const budgetedSchemas = new WeakSet<GraphQLSchema>();

/** The size of a value as JSON, roughly; stops counting once past `limit`. */
function jsonBytes(value: unknown, limit: number): number {
  if (typeof value === "string") return value.length + 2;
  if (value === null || typeof value !== "object") return 8;
  let total = 0;
  const pending: unknown[] = [value];
  while (pending.length > 0 && total <= limit) {
    const next = pending.pop();
    if (typeof next === "string") total += next.length + 2;
    else if (next === null || typeof next !== "object") total += 8;
    else if (Array.isArray(next)) {
      total += 2 + next.length;
      for (let i = 0; i < next.length && total <= limit; i++) pending.push(next[i]);
    } else
      for (const key in next) {
        total += key.length + 4;
        pending.push((next as Record<string, unknown>)[key]);
      }
  }
  return total;
}

/**
 * Wraps every field's resolver (once per schema, in place, like @envelop/on-resolve) so that a
 * request with a budget stops resolving once it is spent, and leaf values are charged to it.
 */
function budgetResolvers(schema: GraphQLSchema): void {
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || type.name.startsWith("__")) continue;
    for (const field of Object.values(type.getFields())) {
      const resolve: GraphQLFieldResolver<unknown, unknown> & { [BUDGETED]?: true } = field.resolve ?? defaultFieldResolver;
      if (resolve[BUDGETED]) continue;
      const leaf = isLeafType(getNamedType(field.type));
      const charge = (budget: ResponseBudget, value: unknown) => {
        const bytes = jsonBytes(value, budget.left);
        budget.left -= bytes;
        budget.used += bytes;
        if (budget.used > budget.covered && budget.left >= 0 && budget.answers) {
          const covered = budget.answers.reserve(budget.ctx, budget.used);
          if (covered === null) {
            budget.busy = true;
            budget.left = -1;
          } else budget.covered = covered;
        }
        return value;
      };
      const budgeted: typeof resolve = (source, args, ctx, info) => {
        const budget = budgets.get(ctx as object);
        if (!budget) return resolve(source, args, ctx, info);
        if (budget.left < 0) throw new LimitExceededError("The response is too large.");
        const value = resolve(source, args, ctx, info);
        if (!leaf) return value;
        return value instanceof Promise ? value.then((v) => charge(budget, v)) : charge(budget, value);
      };
      budgeted[BUDGETED] = true;
      field.resolve = budgeted;
    }
  }
}

/**
 * Envelop plugin giving each query or mutation a budget of `maxValueBytes` of values to return: once
 * spent, nothing more is resolved and the whole answer is one LIMIT_EXCEEDED error. The services
 * bound each page they return; this bounds what many pages (aliases) add up to in one response.
 * With `answersInFlight`, an answer past its `untrackedBytes` also holds that many bytes of its
 * owners' allowance; when an owner has no more, the answer is one LIMIT_EXCEEDED error with
 * `retryAfterSeconds`, and its hold is released. Otherwise the edge that writes the answer takes
 * the hold (`takeHold`) and releases it once written.
 * Subscription events are bounded by what their services publish, and are not counted.
 */
export function useResponseBudget({
  maxValueBytes = MAX_RESPONSE_VALUE_BYTES,
  answersInFlight,
}: {
  maxValueBytes?: number;
  answersInFlight?: AnswersInFlight;
} = {}): Plugin<Context> {
  const covered = answersInFlight?.untrackedBytes ?? Number.POSITIVE_INFINITY;
  return {
    onExecute({ args }) {
      if (!budgetedSchemas.has(args.schema)) {
        budgetResolvers(args.schema);
        budgetedSchemas.add(args.schema);
      }
      const ctx = args.contextValue;
      if (!budgets.has(ctx)) budgets.set(ctx, { left: maxValueBytes, used: 0, covered, answers: answersInFlight, ctx, busy: false });
      return {
        onExecuteDone({ result, setResult }) {
          const budget = budgets.get(ctx);
          if (isAsyncIterable(result) || !budget || budget.left >= 0) return;
          answersInFlight?.takeHold(ctx)?.release();
          if (budget.busy) {
            setResult({
              errors: [
                new GraphQLError(
                  "Too many large answers to you or your address are still being sent; read them first, or try again in a moment.",
                  { extensions: { code: "LIMIT_EXCEEDED", retryAfterSeconds: 1 } },
                ),
              ],
            });
            return;
          }
          const mib = Math.round(maxValueBytes / (1 << 20));
          setResult({
            errors: [
              new GraphQLError(`The response would be larger than ${mib} MiB; ask for fewer or smaller items.`, {
                extensions: { code: "LIMIT_EXCEEDED" },
              }),
            ],
          });
        },
      };
    },
  };
}
