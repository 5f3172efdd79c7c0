// Starts the real server in this process on a free port with a temp data dir, and gives tests
// GraphQL clients over HTTP and graphql-ws, as a user's client would talk to it.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type App, type AppOptions, createApp } from "../../server/app";
import { type Config, loadConfig } from "../../server/config";
import { createLogger } from "../../server/log";
import { type GraphqlClient, graphqlClient } from "./client";

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
  /** Signs in and returns a client carrying the access token. */
  signIn(username: string, password: string): Promise<GraphqlClient>;
  /** Signs in as the seeded admin. */
  admin(): Promise<GraphqlClient>;
  /** Creates a user with the given role (through the service: user management is not in the API yet). */
  userWithRole(role: "admin" | "operator" | "viewer"): Promise<GraphqlClient>;
  stop(): Promise<void>;
}

export const ADMIN_PASSWORD = "admin-password-1";

export async function startTestApp({
  seedAdmin = true,
  config = {},
  graphqlPlugins,
}: {
  seedAdmin?: boolean;
  config?: Partial<Config>;
  /** Envelop plugins added to the GraphQL pipeline. */
  graphqlPlugins?: AppOptions["graphqlPlugins"];
} = {}): Promise<TestApp> {
  const dataDir = mkdtempSync(join(tmpdir(), "outpost-test-"));
  const base = loadConfig({ flags: { data: dataDir, port: "0", host: "127.0.0.1" }, env: {} });
  const logs: string[] = [];
  const announced: string[] = [];
  const app = await createApp(
    { ...base, adminPassword: seedAdmin ? ADMIN_PASSWORD : null, ...config },
    { log: createLogger({ level: "info", write: (line) => logs.push(line) }), announce: (line) => announced.push(line), graphqlPlugins },
  );
  const { url, port } = await app.start();
  let stopped = false;
  let users = 0;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await app.stop();
    rmSync(dataDir, { recursive: true, force: true });
  };
  const signIn = async (username: string, password: string) => {
    const result = await graphqlClient(url).request<{ login: { accessToken: string; refreshToken: string } }>(
      "mutation ($u: String!, $p: String!) { login(username: $u, password: $p) { accessToken refreshToken } }",
      { u: username, p: password },
    );
    if (!result.data) throw new Error(`sign-in failed: ${JSON.stringify(result.errors)}`);
    return graphqlClient(url, result.data.login.accessToken, result.data.login.refreshToken);
  };
  return {
    app,
    url,
    port,
    dataDir,
    logs,
    announced,
    anonymous: graphqlClient(url),
    signIn,
    admin: () => signIn("admin", ADMIN_PASSWORD),
    async userWithRole(role) {
      const username = `${role}${++users}`;
      await app.services.users.create({ username, password: `${username}-password`, role });
      return signIn(username, `${username}-password`);
    },
    stop,
    [Symbol.asyncDispose]: stop,
  };
}
