// What answers may return and hold: during execution the bytes of values returned are counted
// against a budget per request, so pages that each stay within their service's bounds cannot add
// up; answers past a small size also count, until the edge has written them, against what their
// owners (user and client address) may have in flight, so clients that never read cannot pile them up.
import { isAsyncIterable, type Plugin } from "@envelop/core";
import {
  defaultFieldResolver,
  GraphQLError,
  type GraphQLFieldResolver,
  type GraphQLSchema,
  getNamedType,
  isLeafType,
  isObjectType,
} from "graphql";
import { LimitExceededError } from "../server/errors";
import type { Context } from "./context";

/** Most bytes of values (strings, numbers, JSON) one query or mutation may return, all its lists together. */
export const MAX_RESPONSE_VALUE_BYTES = 16 << 20;

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
