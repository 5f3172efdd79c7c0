// ngrok through its library (@ngrok/ngrok, a native addon per platform), imported only when an
// ngrok tunnel starts or its availability is asked: its loader runs `which ldd` at import, and a
// build whose addon is missing must still start. The library reconnects by itself after a network
// drop; it reports that through onStatusChange, which the service shows as RECONNECTING.
import type { Logger } from "../log";
import {
  type ConnectRequest,
  type ProviderDriver,
  TunnelConnectError,
  type TunnelConnection,
  withoutTokens,
  withTimeout,
} from "./connection";

type NgrokModule = typeof import("@ngrok/ngrok");

let loaded: Promise<NgrokModule> | null = null;
/** The library, loaded once; rejects with why when this build cannot load its addon. */
function loadNgrok(): Promise<NgrokModule> {
  loaded ??= import("@ngrok/ngrok");
  return loaded;
}

const CIDR = /^[0-9a-f:.]+\/\d{1,3}$/i;

export function ngrokDriver({ defaultAuthtoken, log }: { defaultAuthtoken: string | null; log: Logger }): ProviderDriver {
  return {
    provider: "NGROK",
    visitorHeader: "x-forwarded-for",
    needsLoopback: false,
    async availability() {
      try {
        await loadNgrok();
        return { available: true, reason: null };
      } catch (err) {
        return {
          available: false,
          reason: `The ngrok library cannot load in this build (${process.platform}-${process.arch}): ${(err as Error).message.split("\n")[0]?.slice(0, 200)}`,
        };
      }
    },
    checkOptions(options, startOnBoot) {
      if (options.domain != null && !/^[a-z0-9.-]{1,253}$/i.test(options.domain)) return "A domain is a DNS name like outpost.ngrok.app.";
      if (options.basicAuth != null && !/^[^:]{1,64}:.{8,128}$/.test(options.basicAuth))
        return "Basic auth is user:password, with a password of 8 to 128 characters.";
      if (options.basicAuth != null && startOnBoot)
        return "Basic auth is kept in memory only, so a start-on-boot tunnel cannot use it; use an IP allow list.";
      if ((options.allowCidrs?.length ?? 0) > 32 || options.allowCidrs?.some((c) => !CIDR.test(c)))
        return "The allow list holds at most 32 CIDR ranges like 203.0.113.0/24.";
      return null;
    },
    async connect({ entrance, options, timeoutMs, onReconnecting, onOnline }: ConnectRequest): Promise<TunnelConnection> {
      const authtoken = options.authtoken ?? defaultAuthtoken;
      if (!authtoken)
        throw new TunnelConnectError("ngrok needs an authtoken: give one, or set ngrok_authtoken (or NGROK_AUTHTOKEN).", "setup");
      let ngrok: NgrokModule;
      try {
        ngrok = await loadNgrok();
      } catch (err) {
        throw new TunnelConnectError(`The ngrok library cannot load in this build: ${(err as Error).message.split("\n")[0]}`, "setup");
      }
      let reportDrop: (reason: string) => void = () => {};
      const dropped = new Promise<string>((resolve) => {
        reportDrop = resolve;
      });
      const forwarding = ngrok.forward({
        addr: entrance.path ? `unix:${entrance.path}` : `127.0.0.1:${entrance.port}`,
        authtoken,
        ...(options.domain ? { domain: options.domain } : {}),
        ...(options.basicAuth ? { basic_auth: options.basicAuth } : {}),
        ...(options.allowCidrs?.length ? { ip_restriction_allow_cidrs: options.allowCidrs } : {}),
        // Called from the addon's thread: an exception thrown back into it aborts the process.
        onStatusChange: (status: string) => {
          try {
            if (status === "closed") onReconnecting("ngrok lost its connection; it is reconnecting.");
            else if (status === "connected") onOnline();
          } catch (err) {
            log.error("ngrok status handler failed", { err });
          }
        },
      });
      let listener: Awaited<typeof forwarding>;
      try {
        listener = await withTimeout(
          forwarding,
          timeoutMs,
          () => new TunnelConnectError(`ngrok did not answer within ${Math.round(timeoutMs / 1000)} s.`, "unreachable"),
        );
      } catch (err) {
        // A listener that arrives after the timeout must not stay open.
        void forwarding.then((late) => late.close()).catch(() => {});
        if (err instanceof TunnelConnectError) throw err;
        const message = withoutTokens(String((err as Error).message), [authtoken, defaultAuthtoken]);
        throw new TunnelConnectError(`ngrok could not open the tunnel: ${message.slice(0, 300)}`, "unreachable");
      }
      return {
        publicUrl: listener.url() ?? "",
        dropped,
        async close() {
          reportDrop("closed");
          await listener.close().catch(() => {});
        },
      };
    },
  };
}
