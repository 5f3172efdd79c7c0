// Turns whatever a resolver threw into what a client may see: AppErrors keep their message and
// get `extensions.code`; GraphQL's own input errors (and graphql-yoga's request errors) become
// BAD_USER_INPUT; anything else is logged with its cause and answered as INTERNAL with the request
// id. No message suggests names ("Did you mean …?"): they would map the schema for a stranger.
import { handleStreamOrSingleExecutionResult, type Plugin } from "@envelop/core";
import { GraphQLError } from "graphql";
import { AppError, type ErrorCode } from "../server/errors";
import type { Context } from "./context";

const APP_CODES: Record<ErrorCode, true> = {
  UNAUTHENTICATED: true,
  FORBIDDEN: true,
  BAD_USER_INPUT: true,
  NOT_FOUND: true,
  CONFLICT: true,
  LIMIT_EXCEEDED: true,
  INTERNAL: true,
};
/** graphql-yoga's codes that are not a caller's mistake in the input (its others, such as GRAPHQL_VALIDATION_FAILED, are). */
const YOGA_CODES: Record<string, ErrorCode> = { REQUEST_ENTITY_TOO_LARGE: "LIMIT_EXCEEDED", INTERNAL_SERVER_ERROR: "INTERNAL" };

/** The message without graphql-js's suggestions of field, argument, type or enum value names. */
function withoutSuggestions(message: string): string {
  return message.replace(/\s*Did you mean\b[^?]*\?/g, "");
}

/** A GraphQL error about the request itself (syntax, validation, variables, yoga's checks), as a client sees it. */
function asRequestError(error: GraphQLError): GraphQLError {
  const code = error.extensions?.code;
  const clientCode =
    typeof code !== "string" ? "BAD_USER_INPUT" : Object.hasOwn(APP_CODES, code) ? code : (YOGA_CODES[code] ?? "BAD_USER_INPUT");
  const message = withoutSuggestions(error.message);
  if (clientCode === code && message === error.message) return error;
  return new GraphQLError(message, {
    nodes: error.nodes,
    source: error.source,
    positions: error.positions,
    path: error.path,
    extensions: { ...error.extensions, code: clientCode },
  });
}

export function toClientError(thrown: unknown, ctx: Pick<Context, "requestId" | "log">): GraphQLError {
  const error = thrown instanceof GraphQLError ? thrown : new GraphQLError("Internal error.", { originalError: thrown as Error });
  if (typeof error.extensions?.code === "string") return asRequestError(error);
  const original = error.originalError;
  if (original instanceof AppError) {
    // The HTTP status is the edge's business; a resolver's error answers inside a 200.
    const { httpStatus: _status, ...details } = original.details ?? {};
    return new GraphQLError(original.message, {
      nodes: error.nodes,
      path: error.path,
      extensions: { ...details, code: original.code },
    });
  }
  if (!original || original instanceof GraphQLError) return asRequestError(error);
  ctx.log.error("unexpected error in resolver", { requestId: ctx.requestId, path: error.path?.join("."), err: original });
  return new GraphQLError(`Internal error; quote request id ${ctx.requestId} when reporting it.`, {
    nodes: error.nodes,
    path: error.path,
    extensions: { code: "INTERNAL", requestId: ctx.requestId },
  });
}

/** Envelop plugin applying `toClientError` to validation errors and to query, mutation and subscription results alike. */
export function useClientErrors(): Plugin<Context> {
  const rewrite = (payload: Parameters<typeof handleStreamOrSingleExecutionResult<Context>>[0]) =>
    handleStreamOrSingleExecutionResult(payload, ({ result, setResult }) => {
      if (!result.errors?.length) return;
      const ctx = payload.args.contextValue;
      setResult({ ...result, errors: result.errors.map((e) => toClientError(e, ctx)) });
    });
  return {
    // Validation errors are answered as they are, without passing yoga's error masking.
    onValidate:
      () =>
      ({ valid, result, setResult }) => {
        if (!valid) setResult(result.map((e) => (e instanceof GraphQLError ? asRequestError(e) : e)));
      },
    onExecute: () => ({ onExecuteDone: rewrite }),
    onSubscribe: () => ({ onSubscribeResult: rewrite }),
  };
}
