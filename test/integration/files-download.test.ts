// Downloading files: Range (single, open, suffix, unsatisfiable), ETag and 304, the real name in
// Content-Disposition, types a browser would run never served inline; and share links: anyone may
// download through one until it expires, runs out or is revoked.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { createManualClock } from "../../server/clock";
import { startTestApp, type TestApp } from "../harness/app";
import { codes, type GraphqlClient } from "../harness/client";
import { type TusClient, tusClient } from "../harness/tus";

const CREATE_LINK = `mutation ($fileId: ID!, $expiresAt: DateTime, $maxDownloads: Int) {
  createShareLink(fileId: $fileId, expiresAt: $expiresAt, maxDownloads: $maxDownloads) { token path link { id downloads maxDownloads active } }
}`;
const LINKS = "query ($fileId: ID!) { shareLinks(fileId: $fileId) { id downloads active revokedAt } }";
const REVOKE = "mutation ($id: ID!) { revokeShareLink(id: $id) { id active revokedAt } }";
type Created = { createShareLink: { token: string; path: string; link: { id: string; downloads: number; active: boolean } } };

let server: TestApp;
let operator: GraphqlClient;
let tus: TusClient;
const bytes = new Uint8Array(Array.from({ length: 1000 }, (_, i) => i % 251));
let fileId: string;

beforeAll(async () => {
  server = await startTestApp({ config: { rateLimitUploadPerMinute: 100_000 } });
  operator = await server.userWithRole("operator");
  tus = tusClient(operator);
  fileId = await tus.upload("données 2026 (final).bin", bytes);
});
afterAll(() => server.stop());

describe("downloads", () => {
  test("a file whose bytes vanished from disk answers in our error shape, naming no path", async () => {
    const lostId = await tus.upload("lost.bin", bytes);
    rmSync(join(server.dataDir, "files", lostId));
    const response = await tus.download(lostId);
    expect(response.status).toBeGreaterThanOrEqual(400);
    const text = await response.text();
    expect(JSON.parse(text).error.code).toMatch(/^(INTERNAL|NOT_FOUND)$/);
    expect(text).not.toContain(server.dataDir);
    expect(response.headers.get("x-content-type-options")).toBe("nosniff");
  });

  test("the whole file streams back with its name, type, length and ETag", async () => {
    const response = await tus.download(fileId);
    expect(response.status).toBe(200);
    expect(Buffer.from(await response.arrayBuffer()).equals(Buffer.from(bytes))).toBe(true);
    expect(response.headers.get("content-length")).toBe("1000");
    expect(response.headers.get("accept-ranges")).toBe("bytes");
    expect(response.headers.get("etag")).toMatch(/^"[0-9a-f]{64}"$/);
    expect(response.headers.get("content-disposition")).toBe(
      `attachment; filename="donn_es 2026 (final).bin"; filename*=UTF-8''donn%C3%A9es%202026%20%28final%29.bin`,
    );
    expect(response.headers.get("content-type")).toBe("application/octet-stream");
  });

  test("single, open-ended and suffix ranges get 206 with exactly those bytes; several ranges get the whole file", async () => {
    for (const [range, start, end] of [
      ["bytes=10-19", 10, 19],
      ["bytes=990-", 990, 999],
      ["bytes=-5", 995, 999],
      ["bytes=900-5000", 900, 999],
      ["bytes=-5000", 0, 999],
    ] as const) {
      const response = await tus.download(fileId, { range });
      expect({ range, status: response.status }).toEqual({ range, status: 206 });
      expect(response.headers.get("content-range")).toBe(`bytes ${start}-${end}/1000`);
      expect(Buffer.from(await response.arrayBuffer()).equals(Buffer.from(bytes.subarray(start, end + 1)))).toBe(true);
    }
    const several = await tus.download(fileId, { range: "bytes=0-1,5-6" });
    expect(several.status).toBe(200);
    expect((await several.arrayBuffer()).byteLength).toBe(1000);
  });

  test("a range past the end is 416 with the file's size", async () => {
    for (const range of ["bytes=1000-", "bytes=5000-6000", "bytes=-0"]) {
      const response = await tus.download(fileId, { range });
      expect(response.status).toBe(416);
      expect(response.headers.get("content-range")).toBe("bytes */1000");
    }
  });

  test("a matching If-None-Match is 304; If-Range with another ETag sends the whole file", async () => {
    const etag = (await tus.download(fileId)).headers.get("etag") as string;
    expect((await tus.download(fileId, { "if-none-match": etag })).status).toBe(304);
    expect((await tus.download(fileId, { "if-none-match": `"other", ${etag}` })).status).toBe(304);
    expect((await tus.download(fileId, { "if-none-match": '"other"' })).status).toBe(200);
    const stale = await tus.download(fileId, { range: "bytes=0-9", "if-range": '"old"' });
    expect(stale.status).toBe(200);
    expect((await stale.arrayBuffer()).byteLength).toBe(1000);
    expect((await tus.download(fileId, { range: "bytes=0-9", "if-range": etag })).status).toBe(206);
  });

  test("HTML with a script, SVG and XML are served as plain-text attachments in a sandbox, even when asked inline", async () => {
    const html = await tus.upload("page.html", new TextEncoder().encode("<!doctype html><script>alert(document.cookie)</script>"));
    const svg = await tus.upload(
      "image.png",
      new TextEncoder().encode('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'),
    );
    for (const id of [html, svg]) {
      const response = await fetch(`${server.url}/files/${id}?disposition=inline`, {
        headers: { authorization: `Bearer ${operator.accessToken}` },
      });
      expect(response.headers.get("content-type")).toBe("text/plain; charset=utf-8");
      expect(response.headers.get("content-disposition")).toStartWith("attachment;");
      expect(response.headers.get("content-security-policy")).toContain("sandbox");
      expect(response.headers.get("x-content-type-options")).toBe("nosniff");
    }
    const { file } = await operator.data<{ file: { mimeType: string } }>("query ($id: ID!) { file(id: $id) { mimeType } }", { id: svg });
    expect(file.mimeType).toBe("image/svg+xml");
    const png = await tus.upload("real.png", new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0]));
    const inline = await fetch(`${server.url}/files/${png}?disposition=inline`, {
      headers: { authorization: `Bearer ${operator.accessToken}` },
    });
    expect(inline.headers.get("content-type")).toBe("image/png");
    expect(inline.headers.get("content-disposition")).toStartWith("inline;");
  });

  test("viewers may download; anonymous callers, and a cookie without the CSRF header from no page of ours, may not", async () => {
    const viewer = tusClient(await server.userWithRole("viewer"));
    expect((await viewer.download(fileId)).status).toBe(200);
    expect((await fetch(`${server.url}/files/${fileId}`)).status).toBe(401);
    const login = await fetch(`${server.url}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ query: 'mutation { login(username: "admin", password: "admin-password-1") { accessTokenExpiresAt } }' }),
    });
    const cookie = login.headers
      .getSetCookie()
      .map((c) => c.split(";")[0])
      .join("; ");
    expect((await fetch(`${server.url}/files/${fileId}`, { headers: { cookie } })).status).toBe(401);
    expect((await fetch(`${server.url}/files/${fileId}`, { headers: { cookie, "x-outpost-csrf": "1" } })).status).toBe(200);
    // A link in the UI: the browser says the page was of this origin (no page can claim that).
    expect((await fetch(`${server.url}/files/${fileId}`, { headers: { cookie, "sec-fetch-site": "same-origin" } })).status).toBe(200);
    expect((await fetch(`${server.url}/files/${fileId}`, { headers: { cookie, "sec-fetch-site": "cross-site" } })).status).toBe(401);
  });
});

describe("share links", () => {
  test("anyone with the link downloads the file, Range included; every GET counts, HEAD does not", async () => {
    const { createShareLink } = await operator.data<Created>(CREATE_LINK, { fileId });
    expect(createShareLink.path).toBe(`/s/${createShareLink.token}`);
    expect(createShareLink.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const whole = await fetch(`${server.url}${createShareLink.path}`);
    expect(whole.status).toBe(200);
    expect(Buffer.from(await whole.arrayBuffer()).equals(Buffer.from(bytes))).toBe(true);
    const part = await fetch(`${server.url}${createShareLink.path}`, { headers: { range: "bytes=-10" } });
    expect(part.status).toBe(206);
    expect((await fetch(`${server.url}${createShareLink.path}`, { method: "HEAD" })).status).toBe(200);
    const { shareLinks } = await operator.data<{ shareLinks: { id: string; downloads: number }[] }>(LINKS, { fileId });
    expect(shareLinks.find((l) => l.id === createShareLink.link.id)?.downloads).toBe(2);
    // Only the token's hash is kept.
    const stored = server.app.db.query<{ token_hash: string }, []>("SELECT token_hash FROM file_share_links").all();
    expect(stored.some((row) => row.token_hash === createShareLink.token)).toBe(false);
  });

  test("a link with a download limit stops working once it is used up", async () => {
    const { createShareLink } = await operator.data<Created>(CREATE_LINK, { fileId, maxDownloads: 2 });
    const url = `${server.url}${createShareLink.path}`;
    expect((await fetch(url)).status).toBe(200);
    expect((await fetch(url)).status).toBe(200);
    const third = await fetch(url);
    expect(third.status).toBe(404);
    expect((await third.json()).error.code).toBe("NOT_FOUND");
  });

  test("a revoked link stops working at once; revoking again changes nothing", async () => {
    const { createShareLink } = await operator.data<Created>(CREATE_LINK, { fileId });
    const revoked = await operator.data<{ revokeShareLink: { active: boolean; revokedAt: string } }>(REVOKE, {
      id: createShareLink.link.id,
    });
    expect(revoked.revokeShareLink.active).toBe(false);
    expect((await fetch(`${server.url}${createShareLink.path}`)).status).toBe(404);
    const again = await operator.data<{ revokeShareLink: { revokedAt: string } }>(REVOKE, { id: createShareLink.link.id });
    expect(again.revokeShareLink.revokedAt).toBe(revoked.revokeShareLink.revokedAt);
  });

  test("a link expires at its time", async () => {
    const clock = createManualClock(Date.now());
    await using timed = await startTestApp({ clock });
    const client = await timed.userWithRole("operator");
    const id = await tusClient(client).upload("soon.txt", new TextEncoder().encode("soon gone"));
    const { createShareLink } = await client.data<Created>(CREATE_LINK, {
      fileId: id,
      expiresAt: new Date(clock.now() + 60_000).toISOString(),
    });
    expect((await fetch(`${timed.url}${createShareLink.path}`)).status).toBe(200);
    await clock.advance(61_000);
    expect((await fetch(`${timed.url}${createShareLink.path}`)).status).toBe(404);
    const past = await client.request(CREATE_LINK, { fileId: id, expiresAt: new Date(clock.now() - 1000).toISOString() });
    expect(codes(past)).toEqual(["BAD_USER_INPUT"]);
  });

  test("links of a deleted file stop working, and made-up tokens never worked", async () => {
    const id = await tus.upload("short-lived.txt", new TextEncoder().encode("short"));
    const { createShareLink } = await operator.data<Created>(CREATE_LINK, { fileId: id });
    await operator.data("mutation ($id: ID!) { deleteFile(id: $id) }", { id });
    expect((await fetch(`${server.url}${createShareLink.path}`)).status).toBe(404);
    for (const token of ["x", "A".repeat(43), "..%2Ffiles"]) expect((await fetch(`${server.url}/s/${token}`)).status).toBe(404);
    expect(codes(await operator.request(CREATE_LINK, { fileId, maxDownloads: 0 }))).toEqual(["BAD_USER_INPUT"]);
  });
});
