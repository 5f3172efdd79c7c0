// The context every resolver receives, built the same way for HTTP requests and sockets.

import type { ClientInfo, Viewer } from "../server/auth/service";
import type { SignedInViewer } from "../server/auth/viewer";
import { UnauthenticatedError } from "../server/errors";
import type { Services } from "../server/features";
import type { Logger } from "../server/log";

export interface Context {
  viewer: Viewer;
  services: Services;
  client: ClientInfo;
  requestId: string;
  log: Logger;
  transport: "http" | "ws";
  /** True when the client reached us over https (directly or through a proxy or tunnel). */
  secure: boolean;
  /** The refresh token from the UI's HttpOnly cookie, if the request carried one. */
  refreshTokenFromCookie: string | null;
  /** Set-Cookie values for the HTTP response (sign-in, sign-out); sockets ignore them. */
  responseCookies: string[];
}

/** The signed-in viewer; fields whose auth rule admits only signed-in callers use it. */
export function signedInViewer(ctx: Context): SignedInViewer {
  if (ctx.viewer.kind === "anonymous") throw new UnauthenticatedError(ctx.viewer.rejection);
  return ctx.viewer;
}
