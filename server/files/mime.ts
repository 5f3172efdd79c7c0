// What a stored file is (its MIME type, sniffed from its first bytes, the name's extension as the
// fallback) and how it may be served from our origin: types a browser would run (HTML, SVG, XML,
// JavaScript) are never rendered inline, since a page from our origin could act as the signed-in user.

/** How many leading bytes sniffing looks at. */
export const SNIFF_BYTES = 512;

const startsWith = (bytes: Uint8Array, signature: readonly number[], at = 0) => signature.every((byte, i) => bytes[at + i] === byte);
const ascii = (text: string) => Array.from(text, (c) => c.charCodeAt(0));

/** Binary signatures, checked in order. */
const SIGNATURES: readonly { type: string; match: (bytes: Uint8Array) => boolean }[] = [
  { type: "image/png", match: (b) => startsWith(b, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]) },
  { type: "image/jpeg", match: (b) => startsWith(b, [0xff, 0xd8, 0xff]) },
  { type: "image/gif", match: (b) => startsWith(b, ascii("GIF87a")) || startsWith(b, ascii("GIF89a")) },
  { type: "image/webp", match: (b) => startsWith(b, ascii("RIFF")) && startsWith(b, ascii("WEBP"), 8) },
  { type: "audio/wav", match: (b) => startsWith(b, ascii("RIFF")) && startsWith(b, ascii("WAVE"), 8) },
  { type: "image/bmp", match: (b) => startsWith(b, ascii("BM")) && b.length > 14 },
  { type: "application/pdf", match: (b) => startsWith(b, ascii("%PDF-")) },
  { type: "application/zip", match: (b) => startsWith(b, [0x50, 0x4b, 0x03, 0x04]) || startsWith(b, [0x50, 0x4b, 0x05, 0x06]) },
  { type: "application/gzip", match: (b) => startsWith(b, [0x1f, 0x8b]) },
  { type: "application/x-xz", match: (b) => startsWith(b, [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]) },
  { type: "application/zstd", match: (b) => startsWith(b, [0x28, 0xb5, 0x2f, 0xfd]) },
  { type: "application/x-bzip2", match: (b) => startsWith(b, ascii("BZh")) },
  { type: "application/x-7z-compressed", match: (b) => startsWith(b, [0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c]) },
  { type: "application/x-tar", match: (b) => startsWith(b, ascii("ustar"), 257) },
  { type: "application/vnd.sqlite3", match: (b) => startsWith(b, ascii("SQLite format 3\0")) },
  { type: "application/x-executable", match: (b) => startsWith(b, [0x7f, 0x45, 0x4c, 0x46]) },
  { type: "video/mp4", match: (b) => startsWith(b, ascii("ftyp"), 4) },
  { type: "video/webm", match: (b) => startsWith(b, [0x1a, 0x45, 0xdf, 0xa3]) },
  { type: "audio/ogg", match: (b) => startsWith(b, ascii("OggS")) },
  { type: "audio/flac", match: (b) => startsWith(b, ascii("fLaC")) },
  { type: "audio/mpeg", match: (b) => startsWith(b, ascii("ID3")) || (b[0] === 0xff && ((b[1] ?? 0) & 0xe0) === 0xe0) },
];

/** By extension, for what has no signature (text formats) or an unknown one. */
const BY_EXTENSION: Readonly<Record<string, string>> = {
  txt: "text/plain",
  log: "text/plain",
  md: "text/markdown",
  csv: "text/csv",
  json: "application/json",
  yaml: "application/yaml",
  yml: "application/yaml",
  toml: "application/toml",
  ini: "text/plain",
  conf: "text/plain",
  sh: "text/x-shellscript",
  py: "text/x-python",
  html: "text/html",
  htm: "text/html",
  xhtml: "application/xhtml+xml",
  svg: "image/svg+xml",
  xml: "application/xml",
  js: "text/javascript",
  mjs: "text/javascript",
  css: "text/css",
  png: "image/png",
  jpg: "image/jpeg",
  jpeg: "image/jpeg",
  gif: "image/gif",
  webp: "image/webp",
  avif: "image/avif",
  heic: "image/heic",
  pdf: "application/pdf",
  zip: "application/zip",
  gz: "application/gzip",
  tgz: "application/gzip",
  tar: "application/x-tar",
  img: "application/octet-stream",
  iso: "application/x-iso9660-image",
  bin: "application/octet-stream",
  mp4: "video/mp4",
  mov: "video/quicktime",
  webm: "video/webm",
  mp3: "audio/mpeg",
  wav: "audio/wav",
  ogg: "audio/ogg",
  flac: "audio/flac",
};

const OCTET_STREAM = "application/octet-stream";

/** True when the bytes look like UTF-8 text (no NUL, decodable; a cut-off last character is allowed). */
function looksLikeText(bytes: Uint8Array): boolean {
  if (bytes.includes(0)) return false;
  try {
    new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(0, Math.max(0, bytes.length - 3)));
    return true;
  } catch {
    return false;
  }
}

/** Markup a browser would render as a document or image with script: checked on text before the name. */
function markupType(text: string): string | null {
  const start = text.trimStart().slice(0, 256).toLowerCase();
  if (/^<!doctype html|^<html|^<head|^<body|^<script|^<iframe/.test(start)) return "text/html";
  if (start.startsWith("<svg") || (start.startsWith("<?xml") && text.toLowerCase().includes("<svg"))) return "image/svg+xml";
  if (start.startsWith("<?xml")) return "application/xml";
  return null;
}

/** The MIME type of a file from its first bytes (up to SNIFF_BYTES), with its name's extension as the fallback. */
export function sniffMimeType(head: Uint8Array, name: string): string {
  for (const { type, match } of SIGNATURES) if (match(head)) return type;
  const extension = name.includes(".") ? (name.slice(name.lastIndexOf(".") + 1).toLowerCase() as string) : "";
  const byName = BY_EXTENSION[extension];
  if (head.length > 0 && looksLikeText(head)) {
    const markup = markupType(new TextDecoder().decode(head));
    if (markup) return markup;
    return byName?.startsWith("text/") || byName?.startsWith("application/") ? byName : "text/plain";
  }
  return byName ?? OCTET_STREAM;
}

/** Types a browser may show inline from our origin: they run no script. */
const INLINE_SAFE = /^(image\/(png|jpeg|gif|webp|avif|bmp)|video\/(mp4|webm|quicktime)|audio\/[a-z0-9.+-]+|application\/pdf|text\/plain)$/;
/** Text types that are served as plain text (a browser must not interpret them). */
const SCRIPTABLE =
  /^(text\/html|application\/xhtml\+xml|image\/svg\+xml|application\/xml|text\/xml|text\/javascript|application\/javascript|text\/css)$/;

/**
 * How a file of `mimeType` is served: the Content-Type sent and whether it may be shown inline.
 * Documents a browser would run (HTML, SVG, XML, JavaScript, CSS) go out as `text/plain` and always
 * as attachments; other text gets a UTF-8 charset.
 */
export function servedAs(mimeType: string): { contentType: string; inlineAllowed: boolean } {
  if (SCRIPTABLE.test(mimeType)) return { contentType: "text/plain; charset=utf-8", inlineAllowed: false };
  const contentType = mimeType.startsWith("text/") ? `${mimeType}; charset=utf-8` : mimeType;
  return { contentType, inlineAllowed: INLINE_SAFE.test(mimeType) };
}
