// GET /metrics for Prometheus: the text passes `promtool check metrics`, carries the host's values,
// and is served only to callers holding metrics:read (an API key with that scope, say), the
// configured bearer token, or callers from a listed network.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { loadConfig } from "../../server/config";
import { startTestApp, type TestApp } from "../harness/app";
import { waitUntil } from "../harness/client";

let server: TestApp;
beforeAll(async () => {
  server = await startTestApp();
});
afterAll(() => server.stop());

async function apiKey(scopes: string[]): Promise<string> {
  const admin = await server.admin();
  const { createApiKey } = await admin.data<{ createApiKey: { secret: string } }>(
    'mutation ($s: [String!]!, $p: String!) { createApiKey(name: "prometheus", scopes: $s, password: $p) { secret } }',
    { s: scopes, p: "admin-password-1" },
  );
  return createApiKey.secret;
}

const scrape = (token?: string) => fetch(`${server.url}/metrics`, { headers: token ? { authorization: `Bearer ${token}` } : {} });

test("a key with metrics:read scrapes text that promtool accepts, with the host's and the application's values", async () => {
  // Operations to count: one named query twice, one that fails.
  const admin = await server.admin();
  await admin.data("query WhoAmI { me { username } }");
  await admin.data("query WhoAmI { me { username } }");
  expect((await admin.request('query Broken { kv(key: "") { value } }')).errors).toBeDefined();
  const response = await scrape(await apiKey(["metrics:read"]));
  expect(response.status).toBe(200);
  expect(response.headers.get("content-type")).toBe("text/plain; version=0.0.4; charset=utf-8");
  const text = await response.text();

  const promtool = Bun.which("promtool");
  if (!promtool) throw new Error("promtool is missing: install the Debian package prometheus");
  const check = Bun.spawn([promtool, "check", "metrics"], { stdin: new TextEncoder().encode(text), stdout: "pipe", stderr: "pipe" });
  const [code, stdout, stderr] = await Promise.all([check.exited, new Response(check.stdout).text(), new Response(check.stderr).text()]);
  expect({ code, problems: `${stdout}${stderr}`.trim() }).toEqual({ code: 0, problems: "" });

  const memTotal = Number(/^MemTotal:\s+(\d+) kB/m.exec(readFileSync("/proc/meminfo", "utf8"))?.[1]) * 1024;
  expect(text).toContain(`\noutpost_memory_total_bytes ${memTotal}\n`);
  expect(text).toMatch(/\noutpost_filesystem_size_bytes\{mountpoint="\/",device="[^"]+",fstype="[^"]+"\} \d+\n/);
  expect(text).toMatch(/\noutpost_cpu_mode_percent\{mode="iowait"\} [\d.]+\n/);
  expect(text).toMatch(/\noutpost_process_resident_memory_bytes \d+\n/);

  expect(text).toContain('\noutpost_graphql_operations_total{operation="WhoAmI",type="query"} 2\n');
  expect(text).toContain('\noutpost_graphql_operation_errors_total{operation="WhoAmI",type="query"} 0\n');
  expect(text).toContain('\noutpost_graphql_operation_errors_total{operation="Broken",type="query"} 1\n');
  expect(text).toContain('\noutpost_graphql_operation_duration_seconds_bucket{operation="WhoAmI",type="query",le="+Inf"} 2\n');
  expect(text).toContain('\noutpost_graphql_operation_duration_seconds_count{operation="WhoAmI",type="query"} 2\n');
  for (const gauge of ["sockets_open", "subscriptions_open", "terminals_open", "runs_running", "runs_queued", "uploads_unfinished"])
    expect(text).toMatch(new RegExp(`\\noutpost_${gauge} \\d+\\n`));
});

test("appMetrics shows the same through GraphQL, open sockets counted, operation names bounded", async () => {
  const viewer = await server.userWithRole("viewer");
  const socket = viewer.socket();
  const sub = await server.listening("metrics.sample", () => socket.subscribe("subscription Live { metricsUpdated { at } }"));
  type Stats = {
    appMetrics: {
      operations: { name: string; type: string; count: number; latency: { leMs: number; count: number }[] }[];
      gauges: { name: string; value: number }[];
    };
  };
  const QUERY = "query AppUse { appMetrics { operations { name type count latency { leMs count } } gauges { name value } } }";
  const { appMetrics } = await viewer.data<Stats>(QUERY);
  expect(appMetrics.gauges.find((g) => g.name === "sockets_open")?.value).toBeGreaterThanOrEqual(1);
  expect(appMetrics.operations).toContainEqual(expect.objectContaining({ name: "Live", type: "subscription", count: 1 }));
  expect(appMetrics.gauges.find((g) => g.name === "subscriptions_open")?.value).toBe(1);
  const who = appMetrics.operations.find((op) => op.name === "WhoAmI");
  expect(who?.latency.at(-1)?.count).toBeLessThanOrEqual(who?.count ?? 0);
  sub.stop();
  await socket.dispose();
  const gaugeValue = async (name: string) => (await viewer.data<Stats>(QUERY)).appMetrics.gauges.find((g) => g.name === name)?.value;
  await waitUntil(async () => (await gaugeValue("subscriptions_open")) === 0, 5000, "the subscription to be counted as ended");

  // Client-chosen names past the bound count together.
  for (let i = 0; i < 110; i++) await viewer.request(`query Name${i} { me { username } }`);
  const after = (await viewer.data<Stats>(QUERY)).appMetrics.operations;
  expect(after.length).toBeLessThanOrEqual(101);
  expect(after.find((op) => op.name === "(other)")?.count).toBeGreaterThanOrEqual(10);
});

test("anonymous callers and keys without metrics:read are refused", async () => {
  expect((await scrape()).status).toBe(401);
  expect((await scrape(await apiKey(["kv:write"]))).status).toBe(403);
  expect((await scrape(await apiKey(["read"]))).status).toBe(200);
});

test("the configured bearer token scrapes without an API key; a wrong one and anonymous callers are refused", async () => {
  const token = "scrape-token-0123456789";
  await using withToken = await startTestApp({ config: { metricsBearerToken: token, metricsOpenNetworks: "10.0.0.0/8, fd00::/8" } });
  const scrapeIt = (bearer?: string) => fetch(`${withToken.url}/metrics`, { headers: bearer ? { authorization: `Bearer ${bearer}` } : {} });
  const answer = await scrapeIt(token);
  expect(answer.status).toBe(200);
  expect(await answer.text()).toContain("\noutpost_memory_total_bytes ");
  expect((await scrapeIt(`${token}x`)).status).toBe(401);
  // This test calls from 127.0.0.1, outside the open networks.
  expect((await scrapeIt()).status).toBe(401);
});

test("callers from a listed network scrape without a key; the list is checked at start", async () => {
  await using open = await startTestApp({ config: { metricsOpenNetworks: "192.168.0.0/16, 127.0.0.0/8" } });
  const answer = await fetch(`${open.url}/metrics`);
  expect(answer.status).toBe(200);
  expect(await answer.text()).toContain("\noutpost_memory_total_bytes ");
  // GraphQL stays closed to them.
  expect((await open.anonymous.request("{ metrics { at } }")).errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");

  const load = (networks: string) => () => loadConfig({ flags: { data: open.dataDir }, env: { OUTPOST_METRICS_OPEN_NETWORKS: networks } });
  expect(load("10.0.0.0/33")).toThrow("OUTPOST_METRICS_OPEN_NETWORKS must list networks");
  expect(load("localhost")).toThrow("is not a network");
  expect(load("10.0.0.0/8,::1")).not.toThrow();
});
