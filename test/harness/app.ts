// Starts the real server in this process on a free port with a temp data dir, and gives tests
// GraphQL clients over HTTP and graphql-ws, as a user's client would talk to it, and ways to wait
// for what the server reports (a subscription listening, queued writes committed) instead of sleeping.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type App, type AppOptions, createApp } from "../../server/app";
import type { Clock } from "../../server/clock";
import { type Config, loadConfig } from "../../server/config";
import { createEventBus, type EventBus, type Topic } from "../../server/events";
import { createLogger } from "../../server/log";
import { type GraphqlClient, type GraphqlResult, graphqlClient, waitUntil } from "./client";

export interface TestApp extends AsyncDisposable {
  app: App;
  url: string;
  port: number;
  dataDir: string;
  /** JSON log lines the server wrote. */
  logs: string[];
  /** Lines the server announced to the person starting it (address, setup link). */
  announced: string[];
  /** An anonymous client. */
  anonymous: GraphqlClient;
  /** Tries to sign in (with an authenticator code when given): the answer, and a client when it worked. */
  tryLogin(
    username: string,
    password: string,
    totpCode?: string,
  ): Promise<{ result: GraphqlResult<LoginData>; client: GraphqlClient | null }>;
  /** Signs in and returns a client carrying the access token. */
  signIn(username: string, password: string): Promise<GraphqlClient>;
  /** Signs in as the seeded admin. */
  admin(): Promise<GraphqlClient>;
  /** Creates a user with the given role (through the service, to keep set-up out of the audit log and the rate limits) and signs in as them. */
  userWithRole(role: "admin" | "operator" | "viewer"): Promise<GraphqlClient>;
  /** How many listeners the server has added to `topic` so far; only grows, so a listener removed meanwhile hides none. */
  listenersAdded(topic: Topic): number;
  /**
   * Runs `start` (opening a subscription, say) and resolves with what it returned once the server
   * has added a listener to `topic`: from then on the subscription sees every event published.
   */
  listening<T>(topic: Topic, start: () => T, timeoutMs?: number): Promise<T>;
  stop(): Promise<void>;
}

export const ADMIN_PASSWORD = "admin-password-1";

const LOGIN =
  "mutation ($u: String!, $p: String!, $c: String) { login(username: $u, password: $p, totpCode: $c) { accessToken refreshToken } }";
type LoginData = { login: { accessToken: string; refreshToken: string } };

export async function startTestApp({
  seedAdmin = true,
  config = {},
  graphqlPlugins,
  clock,
  dataDir: givenDataDir,
}: {
  /** A data directory to start on (a restart); kept after stop, the caller's to remove. A fresh temp one by default. */
  dataDir?: string;
  seedAdmin?: boolean;
  config?: Partial<Config>;
  /** Envelop plugins added to the GraphQL pipeline. */
  graphqlPlugins?: AppOptions["graphqlPlugins"];
  /** Time for the server (the system clock by default); a manual clock lets a test move time forward. */
  clock?: Clock;
} = {}): Promise<TestApp> {
  const dataDir = givenDataDir ?? mkdtempSync(join(tmpdir(), "outpost-test-"));
  const base = loadConfig({ flags: { data: dataDir, port: "0", host: "127.0.0.1" }, env: {} });
  const logs: string[] = [];
  const announced: string[] = [];
  const events = countingEventBus(createEventBus());
  const app = await createApp(
    { ...base, adminPassword: seedAdmin ? ADMIN_PASSWORD : null, ...config },
    {
      log: createLogger({ level: "info", write: (line) => logs.push(line) }),
      announce: (line) => announced.push(line),
      graphqlPlugins,
      clock,
      shared: { events: events.bus },
    },
  );
  const { url, port } = await app.start();
  let stopped = false;
  let users = 0;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await app.stop();
    if (!givenDataDir) rmSync(dataDir, { recursive: true, force: true });
  };
  const tryLogin = async (username: string, password: string, totpCode?: string) => {
    const result = await graphqlClient(url).request<LoginData>(LOGIN, { u: username, p: password, c: totpCode });
    return { result, client: result.data ? graphqlClient(url, result.data.login.accessToken, result.data.login.refreshToken) : null };
  };
  const signIn = async (username: string, password: string) => {
    const { result, client } = await tryLogin(username, password);
    if (!client) throw new Error(`sign-in failed: ${JSON.stringify(result.errors)}`);
    return client;
  };
  return {
    app,
    url,
    port,
    dataDir,
    logs,
    announced,
    anonymous: graphqlClient(url),
    tryLogin,
    signIn,
    admin: () => signIn("admin", ADMIN_PASSWORD),
    async userWithRole(role) {
      const username = `${role}${++users}`;
      await app.services.users.create({ username, password: `${username}-password`, role });
      return signIn(username, `${username}-password`);
    },
    listenersAdded: events.added,
    async listening(topic, start, timeoutMs = 5000) {
      const before = events.added(topic);
      const started = start();
      await waitUntil(() => events.added(topic) > before, timeoutMs, `the server to listen on ${topic}`);
      return started;
    },
    stop,
    [Symbol.asyncDispose]: stop,
  };
}

/** `bus`, counting the listeners added to each topic (through `on` or `subscribe`). */
function countingEventBus(bus: EventBus): { bus: EventBus; added: (topic: Topic) => number } {
  const added = new Map<Topic, number>();
  const count = (topic: Topic) => added.set(topic, (added.get(topic) ?? 0) + 1);
  return {
    bus: {
      ...bus,
      on(topic, listener) {
        count(topic);
        return bus.on(topic, listener);
      },
      subscribe(topic, options) {
        count(topic);
        return bus.subscribe(topic, options);
      },
    },
    added: (topic) => added.get(topic) ?? 0,
  };
}
