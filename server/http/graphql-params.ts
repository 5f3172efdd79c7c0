// What a request to /graphql must carry, checked before anything in it is parsed: one object with
// a query string, an operation name that is a GraphQL Name, objects for variables and extensions,
// a document no longer than `maxQueryBytes`, and for multipart (uploads only) at least one file.
// JSON POSTs are checked by the endpoint itself, GETs before yoga reads them, multipart once yoga
// has parsed it.
import { GraphQLError } from "graphql";
import type { Plugin as YogaPlugin } from "graphql-yoga";
import { longerThanBytes } from "../../schema/limits";
import { type AppError, InvalidInputError, LimitExceededError } from "../errors";
import { mediaType } from "./request-auth";
import { httpStatus } from "./router";

/** The parameters of a GraphQL request, as a client sent them (not checked yet). */
export interface GraphQLParams {
  query?: unknown;
  variables?: Record<string, unknown> | null;
  operationName?: string | null;
  extensions?: unknown;
}

/** A GraphQL Name: so a name and a query joined by a newline (the document cache's key) never collide. */
const OPERATION_NAME = /^[_A-Za-z][_0-9A-Za-z]{0,127}$/;

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/** True when the variables of a multipart request hold at least one uploaded file. */
function carriesFile(value: unknown, depth = 0): boolean {
  if (value instanceof Blob) return true;
  if (typeof value !== "object" || value === null || depth > 8) return false;
  return Object.values(value).some((item) => carriesFile(item, depth + 1));
}

/** The refusal of a body that is neither a JSON POST nor a multipart upload (415). */
export const unsupportedBody = () =>
  new InvalidInputError("Send GraphQL as a JSON POST (Content-Type: application/json), or as multipart/form-data with a file.", {
    details: { httpStatus: 415 },
  });

/** An edge refusal as yoga reports errors it meets while reading a request: the status travels in `extensions.http`. */
function asYogaError(error: AppError): GraphQLError {
  const { httpStatus: _status, ...details } = error.details ?? {};
  return new GraphQLError(error.message, { extensions: { ...details, code: error.code, http: { status: httpStatus(error) } } });
}

export function createParamsChecks({ maxQueryBytes }: { maxQueryBytes: number }) {
  /** Why these parameters are refused before anything in them is parsed; null when they may go on. */
  const paramsProblem = (params: unknown): AppError | null => {
    if (!isPlainObject(params)) return new InvalidInputError("The request must be one JSON object with a query.");
    const { query, variables, operationName, extensions } = params;
    if (query != null && typeof query !== "string") return new InvalidInputError("query must be a string.");
    if (operationName != null && (typeof operationName !== "string" || (operationName !== "" && !OPERATION_NAME.test(operationName))))
      return new InvalidInputError("operationName must be the name of an operation in the query.");
    if (variables != null && !isPlainObject(variables)) return new InvalidInputError("variables must be a JSON object.");
    if (extensions != null && !isPlainObject(extensions)) return new InvalidInputError("extensions must be a JSON object.");
    if (typeof query === "string" && longerThanBytes(operationName ? `${operationName}\n${query}` : query, maxQueryBytes))
      return new LimitExceededError(`The query is longer than ${maxQueryBytes} bytes.`, { details: { httpStatus: 413 } });
    return null;
  };

  // Requests yoga reads itself (GET, multipart) meet the same checks once yoga has parsed them;
  // multipart is for uploads only, so it must carry a file.
  const useParamsChecks: YogaPlugin = {
    onRequestParse({ request }) {
      const multipart = mediaType(request.headers.get("content-type")) === "multipart/form-data";
      return {
        onRequestParseDone({ requestParserResult }) {
          for (const params of [requestParserResult].flat()) {
            const problem = paramsProblem(params) ?? (multipart && !carriesFile(params.variables) ? unsupportedBody() : null);
            if (problem) throw asYogaError(problem);
          }
        },
      };
    },
  };

  /** Parameters in a GET's query string, checked before yoga reads them (it would fail on bad JSON in them). */
  const checkSearchParams = (url: string) => {
    const search = new URL(url).searchParams;
    const params: Record<string, unknown> = { query: search.get("query"), operationName: search.get("operationName") };
    for (const name of ["variables", "extensions"]) {
      const text = search.get(name);
      if (!text) continue;
      try {
        params[name] = JSON.parse(text);
      } catch {
        throw new InvalidInputError(`${name} is not valid JSON.`);
      }
    }
    const problem = paramsProblem(params);
    if (problem) throw problem;
  };

  return { paramsProblem, useParamsChecks, checkSearchParams };
}
