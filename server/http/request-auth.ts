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

/** Cookies ride along on any request a browser makes; only a JSON POST (which another site cannot
 * send without a CORS preflight we never grant) or an explicit header may use them. */
function csrfSafe(request: Request): boolean {
  return (
    (request.method === "POST" && !!request.headers.get("content-type")?.startsWith("application/json")) ||
    request.headers.has("x-outpost-csrf")
  );
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
      const pageOrigin = request.headers.get("origin");
      const sameSite = !pageOrigin || URL.parse(pageOrigin)?.host === request.headers.get("host");
      return sameSite ? readCookie(request.headers.get("cookie"), ACCESS_COOKIE) : null;
    },
    socketViewer: (token, cookieToken) => viewerFromBearer(token ?? cookieToken),
  };
}
