// Who is calling and how: peer address (or the forwarded one when a local proxy or tunnel client
// sits in front), user agent, https or not, and a request id to tie log lines together.
import type { Server } from "bun";

const LOOPBACK = /^(127\.|::1$|::ffff:127\.)/;
const REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;
let requestCounter = 0;
const processTag = Math.random().toString(36).slice(2, 8);

export interface RequestOrigin {
  ip: string | null;
  userAgent: string | null;
  secure: boolean;
  requestId: string;
}

export function newRequestId(): string {
  requestCounter = (requestCounter + 1) % Number.MAX_SAFE_INTEGER;
  return `${processTag}-${requestCounter.toString(36)}`;
}

export function requestOrigin(request: Request, server: Server<unknown> | null): RequestOrigin {
  const peer = server?.requestIP(request)?.address ?? null;
  // Forwarded headers are believed only from this machine: that is where tunnel clients connect
  // from. The last X-Forwarded-For entry is the one the proxy added; earlier ones are whatever the
  // client sent and prove nothing.
  const trustForwarded = peer !== null && LOOPBACK.test(peer);
  const forwardedFor = trustForwarded ? request.headers.get("x-forwarded-for")?.split(",").at(-1)?.trim().slice(0, 64) : undefined;
  const forwardedProto = trustForwarded ? request.headers.get("x-forwarded-proto") : null;
  const givenId = request.headers.get("x-request-id");
  return {
    ip: forwardedFor || peer,
    userAgent: request.headers.get("user-agent")?.slice(0, 256) ?? null,
    secure: forwardedProto === "https" || request.url.startsWith("https:"),
    requestId: givenId && REQUEST_ID.test(givenId) ? givenId : newRequestId(),
  };
}
