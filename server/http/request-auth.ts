// Who is asking, for every route and socket alike: a bearer credential (access token or API key)
// in the Authorization header, or the web UI's HttpOnly cookie under the CSRF rule.
import { ANONYMOUS, rejected, type Viewer } from "../auth/viewer";
import { ACCESS_COOKIE, REFRESH_COOKIE, readCookie } from "./cookies";

export interface RequestCredentials {
  viewer: Viewer;
  /** The refresh token from the UI's cookie, if the request may use it. */
  refreshTokenFromCookie: string | null;
}

export interface RequestAuth {
  /** The viewer of an HTTP request; a presented but refused credential yields anonymous with the reason. */
  authenticate(request: Request): Promise<RequestCredentials>;
  /** The UI's access cookie for a socket upgrade, only from a page of this origin (no cross-site hijacking). */
  socketCookieToken(request: Request): string | null;
  /** The viewer of a socket: a token from its first message, else the upgrade's cookie. */
  socketViewer(token: string | null, cookieToken: string | null): Promise<Viewer>;
}

export function bearerToken(header: string | null | undefined): string | null {
  if (!header) return null;
  const match = /^Bearer\s+(\S+)$/i.exec(header);
  return match ? (match[1] as string) : null;
}

/**
 * True for a Content-Type of exactly `application/json`, with or without parameters
 * (`; charset=utf-8`): not `application/jsonx`, and not a list whose first entry is JSON.
 */
export function isJsonContentType(header: string | null | undefined): boolean {
  return mediaType(header) === "application/json";
}

/** The media type of a Content-Type header, lowercased, without its parameters ("" when absent). */
export function mediaType(header: string | null | undefined): string {
  return (header ?? "").split(";", 1)[0]?.trim().toLowerCase() ?? "";
}

/**
 * True when a browser says the request comes from a page of another site: `Sec-Fetch-Site` of
 * `cross-site` or `same-site` (a sibling subdomain is another origin), or an `Origin` that is
 * `null` or names another host than the one asked. Programs that send neither are not browsers
 * acting for a visitor, and are let through.
 */
export function fromAnotherSite(request: Request): boolean {
  const fetchSite = request.headers.get("sec-fetch-site");
  if (fetchSite === "cross-site" || fetchSite === "same-site") return true;
  const pageOrigin = request.headers.get("origin");
  if (pageOrigin === null) return false;
  return URL.parse(pageOrigin)?.host !== request.headers.get("host");
}

/** Cookies ride along on any request a browser makes; only a JSON POST (which another site cannot
 * send without a CORS preflight we never grant), an explicit header, or a read that the browser
 * itself says a page of this origin made (Sec-Fetch-Site, which no page can set: the UI's download
 * links) may use them. */
function csrfSafe(request: Request): boolean {
  if (request.method === "POST" && isJsonContentType(request.headers.get("content-type"))) return true;
  if (request.headers.has("x-outpost-csrf")) return true;
  return (request.method === "GET" || request.method === "HEAD") && request.headers.get("sec-fetch-site") === "same-origin";
}

export function createRequestAuth(viewerFromBearer: (token: string | null) => Promise<Viewer>): RequestAuth {
  return {
    async authenticate(request) {
      const bearer = bearerToken(request.headers.get("authorization"));
      if (bearer) return { viewer: await viewerFromBearer(bearer), refreshTokenFromCookie: null };
      const cookieHeader = request.headers.get("cookie");
      const cookieToken = readCookie(cookieHeader, ACCESS_COOKIE);
      const refreshCookie = readCookie(cookieHeader, REFRESH_COOKIE);
      if (!cookieToken && !refreshCookie) return { viewer: ANONYMOUS, refreshTokenFromCookie: null };
      if (!csrfSafe(request))
        return { viewer: rejected("Cookie sign-in needs a JSON POST or the x-outpost-csrf header."), refreshTokenFromCookie: null };
      return { viewer: await viewerFromBearer(cookieToken), refreshTokenFromCookie: refreshCookie };
    },
    socketCookieToken(request) {
      return fromAnotherSite(request) ? null : readCookie(request.headers.get("cookie"), ACCESS_COOKIE);
    },
    socketViewer: (token, cookieToken) => viewerFromBearer(token ?? cookieToken),
  };
}
