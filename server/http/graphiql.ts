// The GraphiQL page, for viewers with `schema:read` who open /graphql in a browser. It is rendered
// and compressed at build time (appliance/graphiql-page.ts, appliance/build-web.ts) and kept only as
// brotli and gzip: its 9 MB travel as about 1.9 MB (brotli) or 2.4 MB (gzip), and the binary
// carries 4.3 MB instead of 9. A client that accepts neither gets the gzip variant decompressed as
// it is sent.
import { SECURITY_HEADERS } from "./security-headers";
import { acceptedVariant } from "./static-ui";
import { graphiqlPage } from "./ui-manifest.generated";

/** GraphiQL runs inline scripts and its editor's workers from blobs; nothing else may differ from the UI's policy. */
const GRAPHIQL_CSP = [
  "default-src 'self'",
  "script-src 'self' 'unsafe-inline' 'unsafe-eval' blob:",
  "worker-src blob:",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "frame-ancestors 'none'",
].join("; ");

/** Whether `request` is a browser opening /graphql as a page (a GET that accepts HTML), as graphql-yoga decides it. */
export function asksForGraphiQL(request: Request, pathname: string): boolean {
  return request.method === "GET" && pathname === "/graphql" && (request.headers.get("accept") ?? "").includes("text/html");
}

/** The GraphiQL page in the best encoding the client accepts; 304 when its copy is current. */
export function graphiqlResponse(request: Request): Response {
  const headers: Record<string, string> = {
    ...SECURITY_HEADERS,
    "content-security-policy": GRAPHIQL_CSP,
    "content-type": "text/html; charset=utf-8",
    etag: graphiqlPage.etag,
    vary: "Accept-Encoding",
    // Only some viewers may have it: no shared cache keeps it, and the browser asks again each time.
    "cache-control": "private, no-cache",
  };
  if (request.headers.get("if-none-match") === graphiqlPage.etag) return new Response(null, { status: 304, headers });
  const variant = acceptedVariant(graphiqlPage, request.headers.get("accept-encoding") ?? "");
  if (variant) return new Response(Bun.file(variant.path), { headers: { ...headers, "content-encoding": variant.encoding } });
  return new Response(Bun.file(graphiqlPage.gz).stream().pipeThrough(new DecompressionStream("gzip")), { headers });
}
