// Turns whatever a resolver threw into what a client may see: AppErrors keep their message and
// get `extensions.code`; GraphQL's own input errors become BAD_USER_INPUT; anything else is
// logged with its cause and answered as INTERNAL with the request id.
import { handleStreamOrSingleExecutionResult, type Plugin } from "@envelop/core";
import { GraphQLError } from "graphql";
import { AppError } from "../server/errors";
import type { Context } from "./context";

export function toClientError(thrown: unknown, ctx: Pick<Context, "requestId" | "log">): GraphQLError {
  const error = thrown instanceof GraphQLError ? thrown : new GraphQLError("Internal error.", { originalError: thrown as Error });
  if (typeof error.extensions?.code === "string") return error;
  const original = error.originalError;
  if (original instanceof AppError)
    return new GraphQLError(original.message, {
      nodes: error.nodes,
      path: error.path,
      extensions: { ...original.details, code: original.code },
    });
  if (!original || original instanceof GraphQLError)
    return new GraphQLError(error.message, {
      nodes: error.nodes,
      source: error.source,
      positions: error.positions,
      path: error.path,
      extensions: { ...error.extensions, code: "BAD_USER_INPUT" },
    });
  ctx.log.error("unexpected error in resolver", { requestId: ctx.requestId, path: error.path?.join("."), err: original });
  return new GraphQLError(`Internal error; quote request id ${ctx.requestId} when reporting it.`, {
    nodes: error.nodes,
    path: error.path,
    extensions: { code: "INTERNAL", requestId: ctx.requestId },
  });
}

/** Envelop plugin applying `toClientError` to query, mutation and subscription results alike. */
export function useClientErrors(): Plugin<Context> {
  const rewrite = (payload: Parameters<typeof handleStreamOrSingleExecutionResult<Context>>[0]) =>
    handleStreamOrSingleExecutionResult(payload, ({ result, setResult }) => {
      if (!result.errors?.length) return;
      const ctx = payload.args.contextValue;
      setResult({ ...result, errors: result.errors.map((e) => toClientError(e, ctx)) });
    });
  return {
    onExecute: () => ({ onExecuteDone: rewrite }),
    onSubscribe: () => ({ onSubscribeResult: rewrite }),
  };
}
