// cloudflared, the program the user installed, run under the supervisor: a quick tunnel (its
// trycloudflare.com URL read from cloudflared's log on stderr) or a named tunnel with a token
// (its hostname given by the user: cloudflared does not print it). Online once cloudflared logs
// "Registered tunnel connection"; the tunnel drops when the program exits.
import { accessSync, constants } from "node:fs";
import type { LoopbackConnection } from "../http/local-entrance";
import type { Logger } from "../log";
import type { SupervisedProcess } from "../supervisor";
import { type ConnectRequest, type DriverNeeds, type ProviderDriver, TunnelConnectError, withoutTokens, withTimeout } from "./connection";
import { loopbackPeerCheck } from "./loopback-peer";

/** The quick tunnel's URL; the API host cloudflared asks for it is not the tunnel. */
const QUICK_URL = /https:\/\/(?!api\.)[a-z0-9-]+\.trycloudflare\.com/;
const REGISTERED = "Registered tunnel connection";
/** A log line longer than this is cut: the parts we look for come early. */
const MAX_LINE_CHARS = 4096;

/** The program to run: the setting, or `cloudflared` on PATH; null when neither is there. */
function findProgram(configured: string | null): string | null {
  if (configured) {
    try {
      accessSync(configured, constants.X_OK);
      return configured;
    } catch {
      return null;
    }
  }
  return Bun.which("cloudflared");
}

/** Refusals before any connection was vouched for, after which cloudflared itself is probably not the caller. */
const REFUSALS_BEFORE_WARNING = 20;

/**
 * `owns` that warns once when no connection was ever cloudflared's own: a wrapper script that
 * runs cloudflared without `exec` leaves cloudflared a child of `pid`, and then every visitor
 * counts as 127.0.0.1 (one shared lockout) without any error.
 */
function warnWhenNeverOwned(owns: (connection: LoopbackConnection) => boolean, program: string, log: Logger) {
  let vouched = false;
  let refusals = 0;
  return (connection: LoopbackConnection) => {
    const owned = owns(connection);
    if (owned) vouched = true;
    else if (!vouched && ++refusals === REFUSALS_BEFORE_WARNING)
      log.warn(
        "requests through the cloudflared tunnel do not come from the process Outpost started, so visitors count as 127.0.0.1; if cloudflared_path is a wrapper script, make it `exec` cloudflared",
        { program },
      );
    return owned;
  };
}

/** The text of a cloudflared log line without its time stamp and level ("2026-… ERR …"). */
const messageOf = (line: string) => line.replace(/^\S+\s+(INF|WRN|ERR|DBG|FTL)\s+/, "").trim();

export function cloudflaredDriver({
  supervisor,
  log,
  program,
  defaultToken,
}: DriverNeeds & { program: string | null; defaultToken: string | null }): ProviderDriver {
  /** Why cloudflared cannot run here, or null when it can. */
  const unavailableBecause = () => {
    if (findProgram(program)) return null;
    return program
      ? `cloudflared_path ${program} is not an executable file.`
      : "cloudflared is not installed: install it from Cloudflare (or your package manager), or set cloudflared_path.";
  };
  return {
    provider: "CLOUDFLARED",
    // cloudflared also sets X-Forwarded-For; CF-Connecting-IP is the one Cloudflare's edge vouches for.
    visitorHeader: "cf-connecting-ip",
    needsLoopback: true,
    availability: async () => {
      const reason = unavailableBecause();
      return { available: reason === null, reason };
    },
    checkOptions(options) {
      if (options.hostname != null && !/^[a-z0-9.-]{1,253}$/i.test(options.hostname))
        return "A hostname is a DNS name like outpost.example.com.";
      if (options.hostname == null && (options.token ?? null) !== null) return "A named tunnel needs its hostname, to show its URL.";
      return null;
    },
    async connect({ entrance, options, timeoutMs }: ConnectRequest) {
      const found = findProgram(program);
      if (!found) throw new TunnelConnectError(unavailableBecause() as string, "setup");
      const token = options.token ?? (options.hostname ? defaultToken : null);
      if (options.hostname && !token)
        throw new TunnelConnectError("A named cloudflared tunnel needs its token (in the call or the cloudflared_token setting).", "setup");
      const origin = `http://127.0.0.1:${entrance.port}`;
      const command = token
        ? [found, "tunnel", "--no-autoupdate", "run", "--url", origin]
        : [found, "tunnel", "--no-autoupdate", "--url", origin];

      let publicUrl = options.hostname ? `https://${options.hostname}` : null;
      let registered = false;
      let lastError: string | null = null;
      let partial = "";
      let settleStart: (error: Error | null) => void = () => {};
      const started = new Promise<void>((resolve, reject) => {
        settleStart = (error) => (error ? reject(error) : resolve());
      });
      const readLine = (line: string) => {
        if (/\s(ERR|FTL)\s/.test(line)) lastError = withoutTokens(messageOf(line), [token, defaultToken]).slice(0, 300);
        publicUrl ??= QUICK_URL.exec(line)?.[0] ?? null;
        if (line.includes(REGISTERED)) registered = true;
        if (registered && publicUrl) settleStart(null);
      };
      let child: SupervisedProcess;
      try {
        child = supervisor.start({
          name: "tunnel:cloudflared",
          command,
          // The token in the environment, not on the command line where `ps` shows it.
          env: token ? { TUNNEL_TOKEN: token } : {},
          maxOutputBytes: 64 << 10,
          onOutput: (_stream, chunk) => {
            const lines = (partial + new TextDecoder().decode(chunk)).split("\n");
            partial = (lines.pop() ?? "").slice(-MAX_LINE_CHARS);
            for (const line of lines) readLine(line.slice(0, MAX_LINE_CHARS));
          },
        });
      } catch (err) {
        throw new TunnelConnectError(`cloudflared could not be started: ${(err as Error).message}`, "setup");
      }
      const dropped = child.exited.then((exit) => {
        const why = lastError ?? (exit.signal ? `killed by ${exit.signal}` : `exit status ${exit.code}`);
        settleStart(new TunnelConnectError(`cloudflared stopped: ${why}.`, "unreachable"));
        return `cloudflared stopped: ${why}.`;
      });
      await withTimeout(
        started,
        timeoutMs,
        () =>
          new TunnelConnectError(
            `cloudflared did not connect within ${Math.round(timeoutMs / 1000)} s${lastError ? `: ${lastError}` : ""}.`,
            "unreachable",
          ),
        () => void child.stop({ graceMs: 1000 }),
      );
      return {
        publicUrl: publicUrl as string,
        dropped,
        ownsConnection: warnWhenNeverOwned(loopbackPeerCheck(child.pid as number), found, log),
        close: async () => {
          await child.stop();
        },
      };
    },
  };
}
