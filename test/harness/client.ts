// A small GraphQL client for tests: HTTP POST with an optional bearer token, and graphql-ws
// subscriptions collected into arrays.
import { type Client, createClient } from "graphql-ws";

export interface GraphqlError {
  message: string;
  path?: (string | number)[];
  extensions?: { code?: string; [key: string]: unknown };
}

export interface GraphqlResult<T> {
  data?: T | null;
  errors?: GraphqlError[];
  status: number;
  headers: Headers;
}

export interface Subscription<T> {
  /** Every `next` payload received so far. */
  results: { data?: T | null; errors?: GraphqlError[] }[];
  /** Resolves when at least `count` results arrived (rejects after `timeoutMs`). */
  waitFor(count: number, timeoutMs?: number): Promise<void>;
  /** Resolves when the server completes or errors the subscription. */
  ended: Promise<{ error?: unknown }>;
  stop(): void;
}

export interface GraphqlClient {
  url: string;
  accessToken: string | null;
  refreshToken: string | null;
  request<T = Record<string, unknown>>(
    query: string,
    variables?: Record<string, unknown>,
    headers?: Record<string, string>,
  ): Promise<GraphqlResult<T>>;
  /** Like request, but throws on errors and returns data. */
  data<T = Record<string, unknown>>(query: string, variables?: Record<string, unknown>): Promise<T>;
  /** Opens a graphql-ws connection that carries this client's token in connection_init. */
  socket(options?: { connectionParams?: Record<string, unknown>; headers?: Record<string, string> }): SocketClient;
}

export interface SocketClient {
  client: Client;
  subscribe<T = Record<string, unknown>>(query: string, variables?: Record<string, unknown>): Subscription<T>;
  /** Resolves with the close event's code when the server closes the socket. */
  closed: Promise<number>;
  dispose(): Promise<void>;
}

export function waitUntil(check: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const poll = async () => {
      try {
        if (await check()) return resolve();
      } catch (err) {
        return reject(err);
      }
      if (Date.now() - started > timeoutMs) return reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
      setTimeout(poll, 10);
    };
    void poll();
  });
}

export function openSocket(
  wsUrl: string,
  { connectionParams, headers }: { connectionParams?: Record<string, unknown>; headers?: Record<string, string> } = {},
): SocketClient {
  let resolveClosed: (code: number) => void = () => {};
  const closed = new Promise<number>((resolve) => {
    resolveClosed = resolve;
  });
  // Bun's WebSocket accepts headers (the cookie of a browser) as a second-argument option.
  class HeaderWebSocket extends WebSocket {
    constructor(url: string | URL, protocols?: string | string[]) {
      super(url, { protocols, headers } as unknown as string[]);
    }
  }
  const client = createClient({
    url: wsUrl,
    webSocketImpl: headers ? HeaderWebSocket : WebSocket,
    connectionParams,
    retryAttempts: 0,
    lazy: false,
    on: { closed: (event) => resolveClosed((event as CloseEvent).code) },
    // A non-lazy client hands a close it will not retry to this, console.error by default (the
    // CloseEvent dumps in test output). Tests see every close through `closed` and each
    // subscription's `ended` instead.
    onNonLazyError: () => {},
  });
  return {
    client,
    closed,
    subscribe<T>(query: string, variables?: Record<string, unknown>): Subscription<T> {
      const results: Subscription<T>["results"] = [];
      let stop: () => void = () => {};
      const ended = new Promise<{ error?: unknown }>((resolve) => {
        stop = client.subscribe<T>(
          { query, variables },
          {
            next: (value) => results.push(value as Subscription<T>["results"][number]),
            error: (error) => resolve({ error }),
            complete: () => resolve({}),
          },
        );
      });
      return {
        results,
        ended,
        stop: () => stop(),
        waitFor: (count, timeoutMs = 5000) => waitUntil(() => results.length >= count, timeoutMs, `${count} subscription results`),
      };
    },
    dispose: () => client.dispose() as Promise<void>,
  };
}

export function graphqlClient(baseUrl: string, accessToken: string | null = null, refreshToken: string | null = null): GraphqlClient {
  const endpoint = `${baseUrl}/graphql`;
  const self: GraphqlClient = {
    url: baseUrl,
    accessToken,
    refreshToken,
    async request<T>(query: string, variables?: Record<string, unknown>, headers: Record<string, string> = {}) {
      const response = await fetch(endpoint, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          ...(self.accessToken ? { authorization: `Bearer ${self.accessToken}` } : {}),
          ...headers,
        },
        body: JSON.stringify({ query, variables }),
      });
      const body = (await response.json()) as { data?: T | null; errors?: GraphqlError[] };
      return { ...body, status: response.status, headers: response.headers };
    },
    async data<T>(query: string, variables?: Record<string, unknown>) {
      const result = await self.request<T>(query, variables);
      if (result.errors?.length || !result.data) throw new Error(`GraphQL errors: ${JSON.stringify(result.errors)}`);
      return result.data;
    },
    socket(options = {}) {
      return openSocket(endpoint.replace(/^http/, "ws"), {
        connectionParams: options.connectionParams ?? (self.accessToken ? { authorization: `Bearer ${self.accessToken}` } : undefined),
        headers: options.headers,
      });
    },
  };
  return self;
}

/** The `extensions.code` of each error, for compact assertions. */
export const codes = (result: { errors?: GraphqlError[] }) => (result.errors ?? []).map((e) => e.extensions?.code);
