// The context every resolver receives, built the same way for HTTP requests and sockets.
import type { AuthService, ClientInfo, Viewer } from "../server/auth/service";
import type { KvService } from "../server/kv/service";
import type { Logger } from "../server/log";
import type { SystemService } from "../server/system/service";

export interface Services {
  auth: AuthService;
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
