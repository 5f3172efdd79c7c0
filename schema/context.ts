// The context every resolver receives, built the same way for HTTP requests and sockets.

import type { AuditService } from "../server/audit/service";
import type { AccountService } from "../server/auth/account";
import type { ApiKeyService } from "../server/auth/api-keys";
import type { AuthService, ClientInfo, Viewer } from "../server/auth/service";
import type { UserService } from "../server/auth/users";
import type { SignedInViewer } from "../server/auth/viewer";
import { UnauthenticatedError } from "../server/errors";
import type { KvService } from "../server/kv/service";
import type { RateLimiter } from "../server/limits/rate-limiter";
import type { Logger } from "../server/log";
import type { SystemService } from "../server/system/service";

export interface Services {
  auth: AuthService;
  account: AccountService;
  users: UserService;
  apiKeys: ApiKeyService;
  audit: AuditService;
  limits: RateLimiter;
  kv: KvService;
  system: SystemService;
}

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
