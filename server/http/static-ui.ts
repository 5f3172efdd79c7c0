// Serves the built web UI from the generated manifest (files embedded in the binary, or on disk
// when run from a checkout): content types, ETags, precompressed br/gzip variants, long caching
// for hashed assets, and the SPA fallback to index.html for client-side routes.
import { uiFiles } from "./ui-manifest.generated";

/** How much an Accept-Encoding header wants `coding` (RFC 9110 12.5.3): its q (1 when not given), else that of `*`, else 0. */
function encodingWeight(acceptEncoding: string, coding: string): number {
  let others = 0;
  for (const entry of acceptEncoding.toLowerCase().split(",")) {
    const [name, ...params] = entry.split(";").map((part) => part.trim());
    const q = params.find((param) => param.startsWith("q="));
    const weight = q === undefined ? 1 : Number(q.slice(2)) || 0;
    if (name === coding) return weight;
    if (name === "*") others = weight;
  }
  return others;
}

/** The precompressed variant of a file that the client accepts (the higher q; brotli when equal), or null. */
export function acceptedVariant(variants: { br?: string; gz?: string }, acceptEncoding: string): { path: string; encoding: string } | null {
  const br = variants.br ? encodingWeight(acceptEncoding, "br") : 0;
  const gzip = variants.gz ? encodingWeight(acceptEncoding, "gzip") : 0;
  if (variants.br && br > 0 && br >= gzip) return { path: variants.br, encoding: "br" };
  if (variants.gz && gzip > 0) return { path: variants.gz, encoding: "gzip" };
  return null;
}

/** The UI's answer for a GET/HEAD path, or null when no UI route matches. */
export function serveUi(request: Request, pathname: string): Response | null {
  let file = uiFiles[pathname === "/" ? "/index.html" : pathname];
  // Client-side routes have no file; paths that look like files stay 404.
  if (!file && !/\.[A-Za-z0-9]+$/.test(pathname)) file = uiFiles["/index.html"];
  if (!file) return null;

  const headers: Record<string, string> = {
    "content-type": file.type,
    etag: file.etag,
    vary: "Accept-Encoding",
    "cache-control": file.immutable ? "public, max-age=31536000, immutable" : "no-cache",
  };
  if (request.headers.get("if-none-match") === file.etag) return new Response(null, { status: 304, headers });
  const variant = acceptedVariant(file, request.headers.get("accept-encoding") ?? "");
  if (variant) headers["content-encoding"] = variant.encoding;
  return new Response(request.method === "HEAD" ? null : Bun.file(variant?.path ?? file.path), { headers });
}
