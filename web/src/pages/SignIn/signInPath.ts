// Where sign-in sends the user afterwards: back to the page that asked for it, never off-site.

export const HOME_PATH = "/";

export function signInPath(returnTo: string): string {
  return returnTo === HOME_PATH ? "/login" : `/login?next=${encodeURIComponent(returnTo)}`;
}

/** `next` when it is a path inside this app, else the home page. */
export function pathAfterSignIn(next: string | undefined): string {
  return next?.startsWith("/") && !next.startsWith("//") && !next.startsWith("/\\") ? next : HOME_PATH;
}
