// Who may scrape GET /metrics: a caller holding metrics:read (an API key with that scope, say), a
// caller presenting the configured bearer token (metrics_bearer_token, for a Prometheus that
// cannot hold an API key), or any caller from a listed network (metrics_open_networks, for a
// scraper on the LAN). Everyone else is refused.
import { timingSafeEqual } from "node:crypto";
import { BlockList, isIPv4 } from "node:net";
import { can, forbidden, type Viewer } from "../auth/viewer";
import { UnauthenticatedError } from "../errors";
import { canonicalAddress } from "../http/client-info";
import { bearerToken } from "../http/request-auth";

export const MIN_SCRAPE_TOKEN_CHARS = 16;

/** The networks of a comma-separated CIDR list ("10.0.0.0/8, fd00::/8"); throws naming the entry that is not one. */
export function parseNetworks(list: string): BlockList {
  const networks = new BlockList();
  for (const entry of list
    .split(",")
    .map((e) => e.trim())
    .filter(Boolean)) {
    const [address = "", prefixText] = entry.split("/");
    const canonical = canonicalAddress(address);
    const family = canonical && isIPv4(canonical) ? "ipv4" : "ipv6";
    const prefix = prefixText === undefined ? (family === "ipv4" ? 32 : 128) : Number(prefixText);
    if (!canonical || !/^\d{0,3}$/.test(prefixText ?? "") || prefix > (family === "ipv4" ? 32 : 128)) {
      throw new Error(`${JSON.stringify(entry)} is not a network such as 192.168.1.0/24 or fd00::/8`);
    }
    networks.addSubnet(canonical, prefix, family);
  }
  return networks;
}

/** The setting's check: null when `list` parses, else why not. */
export function networksProblem(list: string): string | null {
  try {
    parseNetworks(list);
    return null;
  } catch (err) {
    return `must list networks separated by commas; ${(err as Error).message}`;
  }
}

export function createScrapeAccess({ token, openNetworks }: { token: string | null; openNetworks: string | null }) {
  const networks = openNetworks ? parseNetworks(openNetworks) : null;
  const tokenBytes = token ? Buffer.from(token) : null;

  const presentsToken = (request: Request) => {
    const given = bearerToken(request.headers.get("authorization"));
    if (!tokenBytes || given === null) return false;
    const givenBytes = Buffer.from(given);
    return givenBytes.length === tokenBytes.length && timingSafeEqual(givenBytes, tokenBytes);
  };

  const fromOpenNetwork = (ip: string | null) => {
    const canonical = ip === null ? null : canonicalAddress(ip);
    return networks !== null && canonical !== null && networks.check(canonical, isIPv4(canonical) ? "ipv4" : "ipv6");
  };

  /** Throws UnauthenticatedError or ForbiddenError unless the caller may scrape. */
  return function requireScrapeAccess(request: Request, { viewer, ip }: { viewer: Viewer; ip: string | null }): void {
    if (viewer.kind !== "anonymous" && can(viewer, "metrics:read")) return;
    if (presentsToken(request) || fromOpenNetwork(ip)) return;
    if (viewer.kind !== "anonymous") throw forbidden(viewer, "metrics:read");
    throw new UnauthenticatedError(
      viewer.rejection ?? "Scraping /metrics needs metrics:read, the metrics bearer token or an open network.",
    );
  };
}
