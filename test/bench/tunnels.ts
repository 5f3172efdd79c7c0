// Benchmark, printed as figures (no assertions): requests/s and p99 latency of a KV get over
// GraphQL HTTP, straight to Outpost and through a localtunnel tunnel (the protocol stand-in on
// this machine, so the figure is the cost of the tunnel client and the extra hops, not of the
// internet), in the same run. Needs `wrk`. Run: `bun test/bench/tunnels.ts [--seconds 8]`.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startTestApp } from "../harness/app";
import { startLocaltunnelStandIn } from "../harness/localtunnel-server";

const secondsArg = process.argv.indexOf("--seconds");
const SECONDS = secondsArg > 0 ? Number(process.argv[secondsArg + 1]) : 8;
const CONNECTIONS = 16;

if (!Bun.which("wrk")) {
  console.error("wrk is not installed: apt-get install wrk");
  process.exit(1);
}

const work = mkdtempSync(join(tmpdir(), "outpost-bench-tunnels-"));
const server = await startTestApp({ config: { rateLimitApiPerMinute: 100_000_000 } });
const standIn = await startLocaltunnelStandIn({ maxConnections: 10 });
try {
  const admin = await server.admin();
  await admin.data('mutation { setKv(key: "bench/a", value: {n: 1}) { version } }');
  await admin.data("mutation ($s: String) { startTunnel(provider: LOCALTUNNEL, server: $s) { id } }", { s: standIn.url });

  const script = join(work, "get.lua");
  writeFileSync(
    script,
    `wrk.method = "POST"
wrk.headers["content-type"] = "application/json"
wrk.headers["authorization"] = "Bearer ${admin.accessToken}"
wrk.body = ${JSON.stringify(JSON.stringify({ query: '{ kv(key: "bench/a") { value version } }' }))}
local failed = false
response = function(status, headers, body)
  if status ~= 200 and not failed then failed = true; print("first failure: " .. status .. " " .. body) end
end`,
  );

  /** wrk in its own process (the server and the tunnel share this one); requests/s and p99 in ms. */
  const measure = async (url: string) => {
    const proc = Bun.spawn(["wrk", "-t2", `-c${CONNECTIONS}`, `-d${SECONDS}s`, "--latency", "-s", script, `${url}/graphql`], {
      stdout: "pipe",
    });
    const text = await new Response(proc.stdout).text();
    await proc.exited;
    const failures = /Non-2xx or 3xx responses: (\d+)/.exec(text)?.[1];
    if (failures) throw new Error(`wrk saw ${failures} failed responses: ${/first failure: .*/.exec(text)?.[0]}`);
    const p99 = /99%\s+([\d.]+)(us|ms|s)/.exec(text);
    const p99Ms = p99 ? Number(p99[1]) * ({ us: 0.001, ms: 1, s: 1000 }[p99[2] as "us" | "ms" | "s"] ?? 1) : Number.NaN;
    return { rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(text)?.[1]), p99Ms };
  };

  const direct = await measure(server.url);
  const tunnelled = await measure(standIn.publicUrl);
  const row = (name: string, m: { rps: number; p99Ms: number }) =>
    console.log(`${name.padEnd(34)} ${m.rps.toFixed(0).padStart(8)} req/s   p99 ${m.p99Ms.toFixed(2).padStart(7)} ms`);
  console.log(`KV get over GraphQL HTTP, ${CONNECTIONS} connections, ${SECONDS} s each:`);
  row("direct", direct);
  row("through localtunnel (stand-in)", tunnelled);
} finally {
  await server.stop();
  await standIn.stop();
  rmSync(work, { recursive: true, force: true });
}
