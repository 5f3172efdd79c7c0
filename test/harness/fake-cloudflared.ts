// A stand-in for the cloudflared program: prints to stderr what cloudflared prints for a quick
// tunnel (the trycloudflare.com URL in a box, then "Registered tunnel connection"), then acts as
// Cloudflare's edge on a local port, proxying every request to the --url origin with
// CF-Connecting-IP and X-Forwarded-For set (from `x-stand-in-visitor` when a test plays a visitor).
// Run as `fake-cloudflared.ts --state-dir <dir> tunnel ... --url <origin>`; it writes
// <dir>/edge.json ({ port, url, pid, origin }). With `run` it is a named tunnel: a TUNNEL_TOKEN
// starting with "ey" (as Cloudflare's do) is accepted, any other refused as cloudflared does. With <dir>/unreachable present it fails as cloudflared does
// offline. `fakeCloudflared()` makes the executable a test points cloudflared_path at.
import { chmodSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** Writes an executable that runs this stand-in with its own state directory. */
export function fakeCloudflared(): {
  path: string;
  stateDir: string;
  /** Where the running stand-in listens as the edge, its public URL, pid and the origin it proxies to. */
  edge(): { port: number; url: string; pid: number; origin: string } | null;
} {
  const stateDir = mkdtempSync(join(tmpdir(), "fake-cloudflared-"));
  const path = join(stateDir, "cloudflared");
  writeFileSync(path, `#!/bin/sh\nexec ${process.execPath} ${import.meta.path} --state-dir ${stateDir} "$@"\n`);
  chmodSync(path, 0o755);
  return {
    path,
    stateDir,
    edge: () => {
      const file = join(stateDir, "edge.json");
      return existsSync(file) ? JSON.parse(readFileSync(file, "utf8")) : null;
    },
  };
}

const log = (level: "INF" | "ERR", message: string) =>
  process.stderr.write(`${new Date().toISOString().slice(0, 19)}Z ${level} ${message}\n`);

async function main(args: string[]) {
  const stateDir = args[args.indexOf("--state-dir") + 1] as string;
  const origin = args[args.indexOf("--url") + 1] as string;
  log(
    "INF",
    "Thank you for trying Cloudflare Tunnel. Doing so, without a Cloudflare account, is a quick way to experiment and try it out.",
  );
  if (!args.includes("run")) log("INF", "Requesting new quick Tunnel on trycloudflare.com...");
  if (existsSync(join(stateDir, "unreachable"))) {
    log(
      "ERR",
      'failed to request quick Tunnel: Post "https://api.trycloudflare.com/tunnel": dial tcp: lookup api.trycloudflare.com: no such host',
    );
    process.exit(1);
  }
  let url: string;
  if (args.includes("run")) {
    // A named tunnel: its token comes in TUNNEL_TOKEN, and cloudflared prints no address.
    if (!process.env.TUNNEL_TOKEN?.startsWith("ey")) {
      // Quoting the token, as a provider's message may: Outpost must not pass it on.
      log("ERR", `Provided Tunnel token is not valid: ${JSON.stringify(process.env.TUNNEL_TOKEN ?? "")}`);
      process.exit(1);
    }
    url = "(named)";
  } else {
    const words = Array.from({ length: 4 }, () => Math.random().toString(36).slice(2, 7)).join("-");
    url = `https://${words}.trycloudflare.com`;
    const box = "+".padEnd(94, "-");
    log("INF", `${box}+`);
    log("INF", "|  Your quick Tunnel has been created! Visit it at (it may take some time to be reachable):  |");
    log("INF", `|  ${url.padEnd(90)}|`);
    log("INF", `${box}+`);
  }
  const edge = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(request, server) {
      const visitor = request.headers.get("x-stand-in-visitor") ?? server.requestIP(request)?.address ?? "";
      const headers = new Headers(request.headers);
      for (const name of ["x-stand-in-visitor", "x-forwarded-for", "cf-connecting-ip"]) headers.delete(name);
      headers.set("cf-connecting-ip", visitor);
      headers.set("x-forwarded-for", visitor);
      headers.set("x-forwarded-proto", "https");
      const target = new URL(request.url);
      const body = request.method === "GET" || request.method === "HEAD" ? undefined : await request.arrayBuffer();
      return fetch(`${origin}${target.pathname}${target.search}`, { method: request.method, headers, body, redirect: "manual" });
    },
  });
  writeFileSync(join(stateDir, "edge.json"), JSON.stringify({ port: edge.port, url, pid: process.pid, origin }));
  log("INF", `Starting metrics server on 127.0.0.1:${edge.port}/metrics`);
  log(
    "INF",
    "Registered tunnel connection connIndex=0 connection=5a1e6f4e-0c9b-4f1e-9d8a-8f0a4b1c2d3e event=0 ip=198.41.192.7 location=ams01 protocol=quic",
  );
}

if (import.meta.main) await main(process.argv.slice(2));
