// What the tunnel service asks of a provider (ngrok, cloudflared, localtunnel): open one
// connection from a local entrance to a public URL, report when it drops, close it. Reconnecting
// with backoff, state and events are the service's; a provider only connects once per call.
import type { LocalEntrance, LoopbackConnection } from "../http/local-entrance";
import type { Logger } from "../log";
import type { Supervisor } from "../supervisor";

export type TunnelProvider = "NGROK" | "CLOUDFLARED" | "LOCALTUNNEL";

/** Options of `startTunnel`; each provider reads its own and ignores the rest. */
export interface TunnelOptions {
  /** ngrok: authtoken (else the setting or NGROK_AUTHTOKEN). Kept in memory only. */
  authtoken?: string | null;
  /** ngrok: a reserved domain. */
  domain?: string | null;
  /** ngrok: "user:password" asked by ngrok before a visitor reaches Outpost. Kept in memory only. */
  basicAuth?: string | null;
  /** ngrok: CIDR ranges allowed in; everyone else is turned away by ngrok. */
  allowCidrs?: string[] | null;
  /** cloudflared: the token of a named tunnel (else the setting); none for a quick tunnel. Kept in memory only. */
  token?: string | null;
  /** cloudflared named tunnel: its public hostname, shown as the URL (cloudflared does not print it). */
  hostname?: string | null;
  /** localtunnel: the server (else the setting). */
  server?: string | null;
  /** localtunnel: the subdomain asked for; the server may give another. */
  subdomain?: string | null;
}

/** Why a provider could not connect, in words for the person starting the tunnel (never a secret). */
export class TunnelConnectError extends Error {
  /** "setup": the box lacks something (a token, a program); "unreachable": the provider did not answer or refused. */
  constructor(
    message: string,
    readonly kind: "setup" | "unreachable",
  ) {
    super(message);
  }
}

/** One live connection of a tunnel. */
export interface TunnelConnection {
  publicUrl: string;
  /** Resolves once the connection has ended by itself, with why; never rejects. */
  dropped: Promise<string>;
  /** Ends it; resolves when its resources are released. */
  close(): Promise<void>;
  /** For a client on a loopback entrance: whether that connection to the entrance is the client's own. */
  ownsConnection?(connection: LoopbackConnection): boolean;
}

export interface ConnectRequest {
  entrance: LocalEntrance;
  options: TunnelOptions;
  /** Connecting fails with TunnelConnectError after this long. */
  timeoutMs: number;
  /** A provider that reconnects by itself (ngrok) reports it here. */
  onReconnecting(reason: string): void;
  onOnline(): void;
}

export interface ProviderDriver {
  provider: TunnelProvider;
  /** The header in which the provider's local client names the visitor. */
  visitorHeader: string;
  /** Cloudflared's quick tunnels take only a URL, not a socket file; its connections must then prove to be its own (`ownsConnection`). */
  needsLoopback: boolean;
  /** Whether this build and box can run it, and if not, why. Cheap; loads nothing. */
  availability(): Promise<{ available: boolean; reason: string | null }>;
  /** Options this provider cannot use, or null. Called before anything is opened. */
  checkOptions(options: TunnelOptions, startOnBoot: boolean): string | null;
  connect(request: ConnectRequest): Promise<TunnelConnection>;
}

/** What drivers are made with. */
export interface DriverNeeds {
  supervisor: Supervisor;
  log: Logger;
}

/** Placeholder for a secret taken out of a provider's message. */
const REDACTED = "[redacted]";

/**
 * A provider's message with the `secrets` (tokens given or configured) taken out, and everything
 * after "authtoken:" too (ngrok's ERR_NGROK_105 and 107 quote the token they refused), so it can
 * be stored as lastError, logged, audited and published.
 */
export function withoutTokens(message: string, secrets: readonly (string | null | undefined)[]): string {
  let text = message;
  for (const secret of secrets) if (secret) text = text.split(secret).join(REDACTED);
  return text.replace(/(authtoken\s*:).*$/is, `$1 ${REDACTED}`);
}

/**
 * Rejects with `error()` when `promise` has not settled within `timeoutMs`, calling `onTimeout`
 * first. Real time, not the injected clock: it bounds waits on the network and on programs, which
 * a test's manual clock would otherwise never end.
 */
export function withTimeout<T>(promise: Promise<T>, timeoutMs: number, error: () => Error, onTimeout?: () => void): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      onTimeout?.();
      reject(error());
    }, timeoutMs);
  });
  return Promise.race([promise, expired]).finally(() => clearTimeout(timer));
}
