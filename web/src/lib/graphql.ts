// The UI's only transport: queries and mutations as JSON POSTs to /graphql, subscriptions over one
// shared graphql-ws socket on the same path. Sessions live in HttpOnly cookies, so nothing here
// reads or stores a token; an expired access token is renewed once with the refresh cookie. The
// socket stays open while someone is signed in, subscriptions or not: the server closes it the
// moment the session ends or the role changes, and its close reason says which.

import { type Client, createClient } from "graphql-ws";
import { createSignal } from "solid-js";
import { graphql, type Operation } from "./operation";

/** Codes the server puts in `errors[].extensions.code`. */
export const SERVER_ERROR_CODES = [
  "UNAUTHENTICATED",
  "FORBIDDEN",
  "BAD_USER_INPUT",
  "NOT_FOUND",
  "CONFLICT",
  "LIMIT_EXCEEDED",
  "INTERNAL",
] as const;

/** A server's code, or NETWORK when it could not be reached. */
export type ErrorCode = (typeof SERVER_ERROR_CODES)[number] | "NETWORK";

const SERVER_CODES = new Set<string>(SERVER_ERROR_CODES);

export class GraphQLRequestError extends Error {
  readonly code: ErrorCode;
  /**
   * The server's `extensions` beside the code, e.g. `currentVersion` on a CONFLICT,
   * `totpRequired` on a login that needs a second factor, `retryAfterSeconds` on LIMIT_EXCEEDED.
   */
  readonly details: Record<string, unknown>;

  constructor(code: ErrorCode, message: string, details: Record<string, unknown> = {}) {
    super(message);
    this.name = "GraphQLRequestError";
    this.code = code;
    this.details = details;
  }
}

/** Anything thrown, as a GraphQLRequestError, so views have one kind of error to show. */
export function toRequestError(error: unknown): GraphQLRequestError {
  if (error instanceof GraphQLRequestError) return error;
  return new GraphQLRequestError("INTERNAL", error instanceof Error ? error.message : String(error));
}

interface FormattedError {
  message: string;
  extensions?: Record<string, unknown>;
}

function fromServerErrors(errors: readonly FormattedError[]): GraphQLRequestError {
  const [first] = errors;
  const { code, ...details } = first?.extensions ?? {};
  const known = typeof code === "string" && SERVER_CODES.has(code) ? (code as ErrorCode) : "INTERNAL";
  return new GraphQLRequestError(known, first?.message ?? "The server answered with an error.", details);
}

const GRAPHQL_PATH = "/graphql";

async function post<Result, Variables>(operation: Operation<Result, Variables>, variables: Variables | undefined): Promise<Result> {
  let response: Response;
  try {
    response = await fetch(GRAPHQL_PATH, {
      method: "POST",
      credentials: "same-origin",
      headers: { "content-type": "application/json", accept: "application/json" },
      body: JSON.stringify({ query: operation, variables }),
    });
  } catch {
    throw new GraphQLRequestError("NETWORK", "Could not reach the server. Check your connection and that Outpost is running.");
  }
  let body: { data?: Result | null; errors?: FormattedError[] };
  try {
    body = await response.json();
  } catch {
    if (response.status === 429) {
      const retryAfterSeconds = Number(response.headers.get("retry-after"));
      throw new GraphQLRequestError(
        "LIMIT_EXCEEDED",
        "Too many requests; wait a moment and try again.",
        Number.isFinite(retryAfterSeconds) && retryAfterSeconds > 0 ? { retryAfterSeconds } : {},
      );
    }
    throw new GraphQLRequestError("NETWORK", `The server answered ${response.status} ${response.statusText} instead of GraphQL.`);
  }
  if (body.errors?.length) throw fromServerErrors(body.errors);
  if (body.data == null) throw new GraphQLRequestError("INTERNAL", "The server answered without data.");
  return body.data;
}

/**
 * Sends `operation` with one file as the variable `fileVariable` in a GraphQL multipart request
 * (for small uploads such as programs), reporting the share of bytes sent to `onProgress` (0 to 1).
 */
export function postWithFile<Result, Variables>(
  operation: Operation<Result, Variables>,
  variables: Omit<Variables, "file">,
  file: File,
  onProgress: (sent: number) => void,
): Promise<Result> {
  const form = new FormData();
  form.set("operations", JSON.stringify({ query: operation, variables: { ...variables, file: null } }));
  form.set("map", JSON.stringify({ 0: ["variables.file"] }));
  form.set("0", file);
  return new Promise((resolve, reject) => {
    const request = new XMLHttpRequest();
    request.open("POST", GRAPHQL_PATH);
    // Not a JSON POST, so the cookie sign-in needs the CSRF header (a cross-site form cannot send it).
    request.setRequestHeader("x-outpost-csrf", "1");
    request.upload.onprogress = (event) => event.lengthComputable && onProgress(event.loaded / event.total);
    request.onerror = () =>
      reject(new GraphQLRequestError("NETWORK", "Could not reach the server. Check your connection and that Outpost is running."));
    request.onload = () => {
      let body: { data?: Result | null; errors?: FormattedError[] };
      try {
        body = JSON.parse(request.responseText);
      } catch {
        return reject(new GraphQLRequestError("NETWORK", `The server answered ${request.status} instead of GraphQL.`));
      }
      if (body.errors?.length) return reject(fromServerErrors(body.errors));
      if (body.data == null) return reject(new GraphQLRequestError("INTERNAL", "The server answered without data."));
      resolve(body.data);
    };
    request.send(form);
  });
}

/**
 * Why the server ended the session (server/auth/credential-end.ts: "account-disabled",
 * "signed-out-everywhere", …), or null when it did not say.
 */
export type SessionEnd = string | null;

const sessionEndedListeners = new Set<(endedBecause: SessionEnd) => void>();

/** Calls `listener` whenever the session can no longer be renewed, with why; returns a function that stops it. */
export function onSessionEnded(listener: (endedBecause: SessionEnd) => void): () => void {
  sessionEndedListeners.add(listener);
  return () => sessionEndedListeners.delete(listener);
}

const sessionEnded = (endedBecause: SessionEnd) => {
  for (const listener of sessionEndedListeners) listener(endedBecause);
};

const roleChangedListeners = new Set<() => void>();

/** Calls `listener` when the server says the signed-in user's role changed; returns a function that stops it. */
export function onRoleChanged(listener: () => void): () => void {
  roleChangedListeners.add(listener);
  return () => roleChangedListeners.delete(listener);
}

const REFRESH = graphql("mutation Refresh { refresh { accessTokenExpiresAt } }");
let refreshing: Promise<boolean> | null = null;

/**
 * Trades the refresh cookie for new session cookies. Resolves false (and tells the
 * onSessionEnded listeners) when the session is over. Concurrent callers share one request,
 * because each refresh token works once and reusing one ends the whole session.
 */
export function refreshSession(): Promise<boolean> {
  refreshing ??= post(REFRESH, undefined)
    .then(
      () => true,
      (error: unknown) => {
        if (!(error instanceof GraphQLRequestError) || error.code !== "UNAUTHENTICATED") throw error;
        const { endedBecause } = error.details;
        sessionEnded(typeof endedBecause === "string" ? endedBecause : null);
        return false;
      },
    )
    .finally(() => {
      refreshing = null;
    });
  return refreshing;
}

export interface QueryOptions {
  /** False for operations that work without a session (login, setup, health): UNAUTHENTICATED is then final. */
  needsSession?: boolean;
}

/** An operation's variables, then options; the variables may be left out when none is required. */
type QueryArguments<Variables> =
  Partial<Variables> extends Variables ? [variables?: Variables, options?: QueryOptions] : [variables: Variables, options?: QueryOptions];

/**
 * Runs a query or mutation and resolves with its `data`; rejects with a GraphQLRequestError.
 * When the session has expired it is refreshed once and the operation retried.
 */
export async function query<Result, Variables>(
  operation: Operation<Result, Variables>,
  ...[variables, { needsSession = true } = {}]: QueryArguments<Variables>
): Promise<Result> {
  try {
    return await post(operation, variables);
  } catch (error) {
    if (!needsSession || !(error instanceof GraphQLRequestError) || error.code !== "UNAUTHENTICATED") throw error;
    if (!(await refreshSession())) throw error;
    return post(operation, variables);
  }
}

export type ConnectionStatus = "offline" | "connecting" | "connected";

const [connectionStatus, setConnectionStatus] = createSignal<ConnectionStatus>("offline");

/** The state of the subscription socket, for "live" indicators. */
export { connectionStatus };

const MAX_RETRY_DELAY_MS = 15_000;
const KEEP_ALIVE_MS = 20_000;
// Close codes the server uses when the socket's session is missing, expired or revoked.
const AUTH_CLOSE_CODES = new Set([4401, 4403]);

const isAuthClose = (event: unknown) =>
  typeof event === "object" && event !== null && "code" in event && AUTH_CLOSE_CODES.has((event as { code: number }).code);

/** The server's reason for an auth close (see SessionEnd); "" when it gave none. */
const closeReason = (event: unknown) =>
  typeof event === "object" && event !== null && "reason" in event ? String((event as { reason: unknown }).reason) : "";

let socket: Client | null = null;
// Counts the sockets made; a socket's events count only while it is the latest (not closed since).
let socketGeneration = 0;
let renewBeforeReconnect = false;

function subscriptionSocket(): Client {
  if (socket) return socket;
  // Events of a socket that was closed and replaced must not touch the status of its successor.
  // (Compared by generation: a socket that is not lazy reports "connecting" before createClient returns.)
  const generation = ++socketGeneration;
  const isCurrent = () => generation === socketGeneration;
  const current = (status: ConnectionStatus) => () => {
    if (isCurrent()) setConnectionStatus(status);
  };
  socket = createClient({
    url: () => `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}${GRAPHQL_PATH}`,
    keepAlive: KEEP_ALIVE_MS,
    // Open from the start and kept open without subscriptions: it is how the server reaches a
    // page at once when the session ends or the role changes.
    lazy: false,
    retryAttempts: Number.POSITIVE_INFINITY,
    shouldRetry: () => true,
    retryWait: async (retries) => {
      if (renewBeforeReconnect) {
        renewBeforeReconnect = false;
        // A failed refresh either ends the session (listeners navigate away) or is a network
        // problem the next attempt will meet again; either way there is nothing to report here.
        await refreshSession().catch(() => false);
      }
      const delayMs = Math.min(MAX_RETRY_DELAY_MS, 500 * 2 ** retries) * (0.5 + Math.random() / 2);
      await new Promise((resolve) => setTimeout(resolve, delayMs));
    },
    on: {
      connecting: current("connecting"),
      connected: current("connected"),
      closed: (event) => {
        current("offline")();
        // A socket closed here on purpose (signing out) says nothing about the session.
        if (!isCurrent() || !isAuthClose(event)) return;
        const reason = closeReason(event);
        // Still signed in, with other permissions: the reconnect carries them, the page asks anew.
        if (reason === "role-changed") for (const listener of roleChangedListeners) listener();
        // Expired, or no reason given: the refresh decides (and says why when it fails).
        else if (reason === "expired" || reason === "") renewBeforeReconnect = true;
        else {
          closeSubscriptionSocket();
          sessionEnded(reason);
        }
      },
    },
  });
  return socket;
}

function subscriptionError(error: unknown): GraphQLRequestError {
  if (Array.isArray(error)) return fromServerErrors(error as FormattedError[]);
  if (isAuthClose(error)) return new GraphQLRequestError("UNAUTHENTICATED", "Your session has ended; sign in again.");
  if (typeof error === "object" && error !== null && "code" in error)
    return new GraphQLRequestError("NETWORK", `The live connection closed (${(error as { code: number }).code}).`);
  return toRequestError(error);
}

// A subscription renews the session at most this often, so a server that keeps refusing
// a fresh session cannot make it rotate tokens in a loop.
const MIN_RENEWAL_INTERVAL_MS = 10_000;

/**
 * Starts a subscription and calls `onData` with each result's data. The socket reconnects by
 * itself; an authentication failure is answered by refreshing the session, reconnecting with
 * the new cookies and subscribing again. Every other failure goes to `onError`. Returns the
 * function that stops it.
 */
export function subscribe<Result, Variables extends Record<string, unknown>>(
  operation: Operation<Result, Variables>,
  variables: Variables,
  onData: (data: Result) => void,
  onError: (error: GraphQLRequestError) => void,
): () => void {
  let stopped = false;
  let lastRenewalAt = Number.NEGATIVE_INFINITY;
  let stopCurrent = () => {};

  const fail = (error: GraphQLRequestError) => {
    if (stopped) return;
    if (error.code !== "UNAUTHENTICATED" || Date.now() - lastRenewalAt < MIN_RENEWAL_INTERVAL_MS) return onError(error);
    lastRenewalAt = Date.now();
    stopCurrent();
    refreshSession().then(
      (renewed) => {
        if (stopped) return;
        if (!renewed) return onError(error);
        // The socket's session was fixed when it connected; only a new socket carries the new cookies.
        subscriptionSocket().terminate();
        start();
      },
      (refreshError: unknown) => onError(toRequestError(refreshError)),
    );
  };

  const start = () => {
    stopCurrent = subscriptionSocket().subscribe<Result>(
      { query: operation, variables },
      {
        next: (result) => {
          if (result.errors?.length) fail(fromServerErrors(result.errors));
          else if (result.data) onData(result.data);
        },
        error: (raw) => fail(subscriptionError(raw)),
        complete: () => {},
      },
    );
  };

  start();
  return () => {
    stopped = true;
    stopCurrent();
  };
}

/** Opens the socket (if it is not open) and keeps it open until `closeSubscriptionSocket`; for when someone signs in. */
export function openSubscriptionSocket(): void {
  subscriptionSocket();
}

/** Closes the subscription socket, e.g. after signing out, so the next one carries the new cookies. */
export function closeSubscriptionSocket(): void {
  const closing = socket;
  socket = null;
  socketGeneration++;
  setConnectionStatus("offline");
  // dispose() rejects when the socket was still connecting and gets refused; it is going away anyway.
  if (closing) Promise.resolve(closing.dispose()).catch(() => {});
}
