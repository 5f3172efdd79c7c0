// Headers every response carries: no framing, no MIME sniffing, a strict referrer policy, a CSP
// that allows only this origin (the UI is self-contained), and HSTS when reached over https.
const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "object-src 'none'",
].join("; ");

/** The headers for every response; hot paths pass them to the Response constructor (cheaper than setting them after). */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  "x-content-type-options": "nosniff",
  "x-frame-options": "DENY",
  "referrer-policy": "no-referrer",
  "content-security-policy": CSP,
};

/** Adds the security headers a response does not have yet (hot paths set the common ones themselves). */
export function securityHeaders(response: Response, request: Request): Response {
  const h = response.headers;
  if (!h.has("content-security-policy")) for (const [name, value] of Object.entries(SECURITY_HEADERS)) h.set(name, value);
  // Browsers ignore HSTS received over plain http, so a forged forwarded header gains nothing.
  if (request.url.startsWith("https:") || request.headers.get("x-forwarded-proto") === "https")
    h.set("strict-transport-security", "max-age=31536000");
  return response;
}
