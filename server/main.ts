#!/usr/bin/env bun
// The command line: `outpost serve` (default), `outpost install` / `uninstall` / `status`,
// `outpost version`, `outpost --help`. Whatever stops the start reaches the person who ran it as
// one plain sentence on stderr, never a stack or source lines: a StartupError says what is wrong
// and what to do; anything else is logged in full and summed up in one line that says where the
// log is.
import { type App, createApp } from "./app";
import { describeSettings, loadConfig, parseFlags } from "./config";
import { ConfigError, StartupError } from "./errors";
import { install, uninstall } from "./install/command";
import { status } from "./install/status";
import { createLogger, type Logger } from "./log";
import { BUILD_TARGET, VERSION } from "./version";

const HELP = `Outpost ${VERSION}: a GraphQL API and web UI to run and watch this machine.

Usage:
  outpost [serve] [flags]   start the server (default)
  outpost install [flags]   install or upgrade the systemd service (needs root): --port <n>, --data
                            <dir> (default /var/lib/outpost), --public-url <url>, --user <name>
                            (default outpost), --ready-timeout-seconds <n> (default 120: an upgrade
                            that is not ready by then is rolled back); --dry-run prints every file
                            and command and changes nothing
  outpost uninstall         stop and remove the service and /usr/local/bin/outpost; keeps the data
                            unless --purge (asks first; --yes does not ask); --data <dir>
  outpost status            whether the service is installed and running, the running version,
                            URL, data directory, disk use and (before the first admin) the setup
                            link; --data <dir>; exits 3 when not running
  outpost version           print version, Bun version and build target (also -v, --version)
  outpost help              this text (also -h, --help)

Flags for serve. Each setting is also OUTPOST_<NAME> in the environment (OUTPOST_LOG_LEVEL) and
<name> in the settings file (log_level = "debug"), which is --config <file> or else
<data>/outpost.toml; a flag wins over the environment, and the environment over the file.

${describeSettings()}

Environment only:
  OUTPOST_ADMIN_PASSWORD
      creates user "admin" with this password on the first start
`;

/** Replaced by one at the configured level once the settings are read. */
let log: Logger = createLogger();

async function serve(argv: string[]) {
  const config = loadConfig({ flags: parseFlags(argv) });
  log = createLogger({ level: config.logLevel, format: config.logFormat });
  // The signals are caught before anything is opened: one that arrives while the server starts
  // (the data directory locked, the database open) stops it cleanly once started, instead of
  // killing it with the pid file left behind and writes unmerged. (A handler runs from the event
  // loop, so `starting` is set by then.)
  let starting: Promise<App> | null = null;
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info("shutting down", { signal });
    // A start that failed is reported by main(), which ends the process.
    const app = await starting?.catch(() => null);
    if (!app) return;
    await app.stop();
    process.exit(0);
  };
  process.on("SIGTERM", () => void shutdown("SIGTERM"));
  process.on("SIGINT", () => void shutdown("SIGINT"));
  starting = createApp(config, { log }).then(async (app) => {
    await app.start();
    return app;
  });
  await starting;
}

async function main(argv: string[]) {
  const [first, ...rest] = argv;
  if (first === "version" || first === "--version" || first === "-v") {
    console.log(`outpost ${VERSION}\nbun ${Bun.version}\ntarget ${BUILD_TARGET}`);
    return;
  }
  if (first === "help" || first === "--help" || first === "-h") {
    console.log(HELP);
    return;
  }
  if (first === "install") {
    process.exitCode = await install(rest);
    return;
  }
  if (first === "status") {
    process.exitCode = await status(rest);
    return;
  }
  if (first === "uninstall") {
    // Ended here: a confirmation prompt leaves standard input open, which would keep the process alive.
    process.exit(await uninstall(rest));
  }
  if (first === "serve") return serve(rest);
  if (first === undefined || first.startsWith("--")) return serve(argv);
  throw new ConfigError(`Unknown command ${JSON.stringify(first)}. Run outpost --help.`);
}

/** The last resort, for what no StartupError describes: the details go to the log, one line to the person watching. */
function stopOnUnexpectedError(err: unknown): never {
  log.error("stopped by an unexpected error", { err });
  const message = (err instanceof Error ? err.message : String(err)).replace(/\.?\s*$/, "");
  console.error(`outpost: stopped by an unexpected error: ${message}. The log (JSON lines on standard output) has the details.`);
  process.exit(1);
}

process.on("uncaughtException", stopOnUnexpectedError);
process.on("unhandledRejection", stopOnUnexpectedError);

try {
  await main(process.argv.slice(2));
} catch (err) {
  if (!(err instanceof StartupError)) stopOnUnexpectedError(err);
  console.error(`outpost: ${err.message}`);
  process.exit(err.exitCode);
}
