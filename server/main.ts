#!/usr/bin/env bun
// The command line: `outpost serve` (default), `outpost version`, `outpost --help`.
import { type App, createApp, PortInUseError } from "./app";
import { describeSettings, loadConfig, parseFlags } from "./config";
import { ConfigError } from "./errors";
import { BUILD_TARGET, VERSION } from "./version";

const HELP = `Outpost ${VERSION}: a GraphQL API and web UI to run and watch this machine.

Usage:
  outpost [serve] [flags]   start the server (default)
  outpost version           print version, Bun version and build target
  outpost help              this text

Flags for serve (each also OUTPOST_<NAME> in the environment or <name> in <data>/outpost.toml):
${describeSettings()
  .map((f) => `  ${f}`)
  .join("\n")}

Environment only:
  OUTPOST_ADMIN_PASSWORD    creates user "admin" with this password on first start
`;

async function serve(argv: string[]) {
  const config = loadConfig({ flags: parseFlags(argv) });
  const app: App = await createApp(config);
  await app.start();
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    app.log.info("shutting down", { signal });
    await app.stop();
    process.exit(0);
  };
  process.on("SIGTERM", () => void shutdown("SIGTERM"));
  process.on("SIGINT", () => void shutdown("SIGINT"));
}

async function main(argv: string[]) {
  const [first, ...rest] = argv;
  if (first === "version" || first === "--version") {
    console.log(`outpost ${VERSION}\nbun ${Bun.version}\ntarget ${BUILD_TARGET}`);
    return;
  }
  if (first === "help" || first === "--help" || first === "-h") {
    console.log(HELP);
    return;
  }
  if (first === "serve") return serve(rest);
  if (first === undefined || first.startsWith("--")) return serve(argv);
  throw new ConfigError(`Unknown command ${JSON.stringify(first)}. Run outpost --help.`);
}

try {
  await main(process.argv.slice(2));
} catch (err) {
  if (err instanceof ConfigError || err instanceof PortInUseError) {
    console.error(`outpost: ${err.message}`);
    process.exit(err instanceof ConfigError ? 2 : 1);
  }
  throw err;
}
