// Who is calling and how: the client's address (the peer's, or the one a trusted proxy forwarded),
// the key limits count it by (an IPv6 client by its /64), user agent, https or not, and our own
// request id to tie log lines together (the client's X-Request-Id is kept apart, never used as ours).
import { isIPv4, isIPv6 } from "node:net";
import type { Server } from "bun";
import { ConfigError } from "../errors";
import { settingNames } from "../settings";

const CLIENT_REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;
let requestCounter = 0;
const processTag = Math.random().toString(36).slice(2, 8);

export interface RequestOrigin {
  /** The client's address as seen (the peer, or what a trusted proxy forwarded): for logs, audit and sessions. */
  ip: string | null;
  /** What rate limits, the sign-in lockout and the socket cap count by: see `clientKey`. */
  clientKey: string;
  userAgent: string | null;
  secure: boolean;
  /** Ours, always: in every log line and error about this request and in the `x-request-id` response header. */
  requestId: string;
  /** The `x-request-id` the client sent (when well-formed), logged beside ours for correlation only. */
  clientRequestId: string | null;
}

export function newRequestId(): string {
  requestCounter = (requestCounter + 1) % Number.MAX_SAFE_INTEGER;
  return `${processTag}-${requestCounter.toString(36)}`;
}

/** The eight 16-bit groups of an IPv6 address (zone id dropped), or null when `text` is not one. */
function ipv6Groups(text: string): number[] | null {
  const zone = text.indexOf("%");
  let address = (zone === -1 ? text : text.slice(0, zone)).toLowerCase();
  if (!isIPv6(address)) return null;
  const lastColon = address.lastIndexOf(":");
  const tail = address.slice(lastColon + 1);
  if (tail.includes(".")) {
    const [a, b, c, d] = tail.split(".").map(Number) as [number, number, number, number];
    address = `${address.slice(0, lastColon + 1)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const halves = address.split("::");
  const head = halves[0] ? halves[0].split(":") : [];
  const rest = halves.length > 1 && halves[1] ? halves[1].split(":") : [];
  const groups = halves.length > 1 ? [...head, ...Array<string>(8 - head.length - rest.length).fill("0"), ...rest] : head;
  return groups.map((g) => Number.parseInt(g, 16));
}

/** The IPv4 address an IPv4-mapped IPv6 address (`::ffff:a.b.c.d`) stands for, or null. */
function mappedIPv4(groups: number[]): string | null {
  if (groups.slice(0, 5).some((g) => g !== 0) || groups[5] !== 0xffff) return null;
  const [high, low] = [groups[6] as number, groups[7] as number];
  return `${high >> 8}.${high & 0xff}.${low >> 8}.${low & 0xff}`;
}

/**
 * One spelling per IP address, for comparing addresses: IPv4 (and IPv4-mapped IPv6) as a.b.c.d,
 * IPv6 as eight lower-case hex groups without zone id. Null when `text` is not an IP address.
 */
export function canonicalAddress(text: string): string | null {
  if (isIPv4(text)) return text;
  const groups = ipv6Groups(text);
  if (!groups) return null;
  return mappedIPv4(groups) ?? groups.map((g) => g.toString(16)).join(":");
}

/**
 * What limits count a client by: an IPv4 address as itself (also when it arrives IPv4-mapped,
 * `::ffff:a.b.c.d`), an IPv6 address by its /64 (`2001:db8:0:1::/64`, `2001:db8::/64`), since one subscriber
 * usually holds a whole /64 and could otherwise take endless fresh addresses. "-" when the address
 * is unknown; anything that is no IP address is kept as given (cut to 64 characters).
 */
export function clientKey(address: string | null): string {
  if (address === null) return "-";
  if (isIPv4(address)) return address;
  const groups = ipv6Groups(address);
  if (!groups) return address.slice(0, 64);
  const mapped = mappedIPv4(groups);
  if (mapped) return mapped;
  const prefix = groups.slice(0, 4);
  // Trailing zero groups fold into the "::", as an address is usually written: 2001:db8::/64.
  while (prefix.at(-1) === 0) prefix.pop();
  return `${prefix.map((g) => g.toString(16)).join(":")}::/64`;
}

/**
 * Who may name the client of a request: the peers of the `trustedProxies` setting (by address, in
 * X-Forwarded-For / X-Forwarded-Proto), and the local entrances of tunnels Outpost starts (by the
 * server the request arrived on, in the tunnel provider's header). Made once per app and shared by
 * the HTTP and socket edges.
 */
export interface TrustedProxies {
  /** True when the connection's peer address may speak for its clients. */
  has(peer: string | null): boolean;
  /** Trusts one more address; returns the call that stops trusting it. */
  add(address: string): () => void;
  /**
   * Takes the client of requests arriving on `server` (a tunnel's own entrance) from
   * `visitorHeader`: of every one, or of those `admits` (the entrance's check that the connection
   * is the tunnel client's own). Returns the call that stops.
   */
  addEntrance(server: object, visitorHeader: string, admits?: (request: Request) => boolean): () => void;
  /** The header that names the client of `request`, arrived on `server`; null for an ordinary server or a caller not admitted. */
  visitorHeaderOn(server: object | null, request: Request): string | null;
}

/**
 * The trusted proxies of the `trustedProxies` setting (comma-separated IP addresses; null or empty
 * for none). Throws ConfigError naming the setting when an entry is not an IP address.
 */
export function createTrustedProxies(setting: string | null): TrustedProxies {
  // Counted, so a tunnel that stops trusting its client's address does not drop a configured entry.
  const trusted = new Map<string, number>();
  const add = (address: string) => {
    const canonical = canonicalAddress(address.trim());
    if (!canonical) throw new Error(`${JSON.stringify(address)} is not an IP address.`);
    trusted.set(canonical, (trusted.get(canonical) ?? 0) + 1);
    let added = true;
    return () => {
      if (!added) return;
      added = false;
      const count = (trusted.get(canonical) ?? 1) - 1;
      if (count > 0) trusted.set(canonical, count);
      else trusted.delete(canonical);
    };
  };
  for (const entry of (setting ?? "").split(",").map((e) => e.trim())) {
    if (!entry) continue;
    if (!canonicalAddress(entry)) {
      const names = settingNames("trustedProxies");
      throw new ConfigError(
        `Setting trustedProxies (${names.flag}, ${names.env}, ${names.toml}) must list IP addresses separated by commas; ${JSON.stringify(entry)} is not one.`,
      );
    }
    add(entry);
  }
  const entrances = new WeakMap<object, { visitorHeader: string; admits: (request: Request) => boolean }>();
  return {
    has(peer) {
      if (peer === null || trusted.size === 0) return false;
      const canonical = canonicalAddress(peer);
      return canonical !== null && trusted.has(canonical);
    },
    add,
    addEntrance(server, visitorHeader, admits = () => true) {
      entrances.set(server, { visitorHeader: visitorHeader.toLowerCase(), admits });
      return () => entrances.delete(server);
    },
    visitorHeaderOn(server, request) {
      const entrance = server === null ? undefined : entrances.get(server);
      return entrance?.admits(request) ? entrance.visitorHeader : null;
    },
  };
}

/** No proxy is trusted: X-Forwarded-* headers are ignored. */
export const NO_TRUSTED_PROXIES: TrustedProxies = createTrustedProxies(null);

/** The address in the last X-Forwarded-For entry (the one the proxy added), without a port; null when it is no IP address. */
function forwardedAddress(header: string | null): string | null {
  let entry = header?.split(",").at(-1)?.trim();
  if (!entry || entry.length > 64) return null;
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(entry);
  if (bracketed) entry = bracketed[1] as string;
  else if (/^[\d.]+:\d+$/.test(entry)) entry = entry.slice(0, entry.indexOf(":"));
  return canonicalAddress(entry) ? entry : null;
}

/** Where a request came from; forwarded headers count only from a trusted proxy or through a tunnel's entrance (`trustedProxies`). */
export function requestOrigin(
  request: Request,
  server: Server<unknown> | null,
  trustedProxies: TrustedProxies = NO_TRUSTED_PROXIES,
): RequestOrigin {
  const visitorHeader = trustedProxies.visitorHeaderOn(server, request);
  const peer = visitorHeader === null ? (server?.requestIP(request)?.address ?? null) : null;
  // The header that names the client, if anyone here may; earlier X-Forwarded-For entries are
  // whatever the client sent and prove nothing (forwardedAddress takes the last).
  const namedBy = visitorHeader ?? (trustedProxies.has(peer) ? "x-forwarded-for" : null);
  const trusted = namedBy !== null;
  const ip = (namedBy ? forwardedAddress(request.headers.get(namedBy)) : null) ?? peer;
  const forwardedProto = trusted ? request.headers.get("x-forwarded-proto")?.split(",").at(-1)?.trim().toLowerCase() : undefined;
  const givenId = request.headers.get("x-request-id");
  return {
    ip,
    clientKey: clientKey(ip),
    userAgent: request.headers.get("user-agent")?.slice(0, 256) ?? null,
    secure: forwardedProto === "https" || request.url.startsWith("https:"),
    requestId: newRequestId(),
    clientRequestId: givenId && CLIENT_REQUEST_ID.test(givenId) ? givenId : null,
  };
}
