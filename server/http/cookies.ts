// The web UI's session cookies: HttpOnly, SameSite=Strict, Secure when reached over https.
// The access token goes to every path; the refresh token only to /graphql, where it is used.

export const ACCESS_COOKIE = "outpost_access";
export const REFRESH_COOKIE = "outpost_refresh";

export function readCookie(header: string | null, name: string): string | null {
  if (!header) return null;
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq === -1 || part.slice(0, eq).trim() !== name) continue;
    try {
      return decodeURIComponent(part.slice(eq + 1).trim());
    } catch {
      return null; // a mangled cookie is no cookie
    }
  }
  return null;
}

function cookie(name: string, value: string, { path, maxAgeSeconds, secure }: { path: string; maxAgeSeconds: number; secure: boolean }) {
  return `${name}=${encodeURIComponent(value)}; Path=${path}; Max-Age=${maxAgeSeconds}; HttpOnly; SameSite=Strict${secure ? "; Secure" : ""}`;
}

export function sessionCookies(
  session: { issuedAt: Date; accessToken: string; accessTokenExpiresAt: Date; refreshToken: string; refreshTokenExpiresAt: Date },
  secure: boolean,
): string[] {
  const seconds = (at: Date) => Math.max(0, Math.floor((at.getTime() - session.issuedAt.getTime()) / 1000));
  return [
    cookie(ACCESS_COOKIE, session.accessToken, { path: "/", maxAgeSeconds: seconds(session.accessTokenExpiresAt), secure }),
    cookie(REFRESH_COOKIE, session.refreshToken, { path: "/graphql", maxAgeSeconds: seconds(session.refreshTokenExpiresAt), secure }),
  ];
}

export function clearedSessionCookies(secure: boolean): string[] {
  return [
    cookie(ACCESS_COOKIE, "", { path: "/", maxAgeSeconds: 0, secure }),
    cookie(REFRESH_COOKIE, "", { path: "/graphql", maxAgeSeconds: 0, secure }),
  ];
}
