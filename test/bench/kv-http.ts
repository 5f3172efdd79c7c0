// Benchmarks, printed as figures (no assertions): KV get/set throughput over GraphQL HTTP at 32
// connections next to a bare Bun.serve answering static JSON (the ceiling, measured in the same
// run), and, when dist/ has a build, binary sizes, time from exec to /ready, and idle RSS.
// Needs `wrk` (Debian package). Run: `npm run bench` (optionally `-- --seconds 10`).
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const root = join(import.meta.dir, "../..");
const secondsArg = process.argv.indexOf("--seconds");
const SECONDS = secondsArg > 0 ? Number(process.argv[secondsArg + 1]) : 8;
const CONNECTIONS = 32;
const work = mkdtempSync(join(tmpdir(), "outpost-bench-"));

if (!Bun.which("wrk")) {
  console.error("wrk is not installed: apt-get install wrk");
  process.exit(1);
}

async function waitFor(url: string, timeoutMs = 15_000) {
  const started = performance.now();
  while (performance.now() - started < timeoutMs) {
    try {
      if ((await fetch(url)).ok) return performance.now() - started;
    } catch {}
    await Bun.sleep(2);
  }
  throw new Error(`${url} did not answer`);
}

function wrk(url: string, script: string | null, seconds = SECONDS): number {
  const args = ["wrk", "-t2", `-c${CONNECTIONS}`, `-d${seconds}s`, "--latency"];
  if (script) {
    const path = join(work, `script-${Math.random().toString(36).slice(2)}.lua`);
    writeFileSync(path, script);
    args.push("-s", path);
  }
  const out = Bun.spawnSync([...args, url], { stdout: "pipe", stderr: "pipe" });
  const text = out.stdout.toString();
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(text)?.[1]);
  const non2xx = /Non-2xx or 3xx responses: (\d+)/.exec(text)?.[1];
  if (non2xx) throw new Error(`wrk saw ${non2xx} failed responses: ${/first failure: .*/.exec(text)?.[0]}`);
  return rps;
}

const postScript = (body: string, token: string) => `
wrk.method = "POST"
wrk.headers["content-type"] = "application/json"
wrk.headers["authorization"] = "Bearer ${token}"
wrk.body = ${JSON.stringify(body)}
${FIRST_FAILURE}`;
// Prints the first failed response, so a benchmark that went wrong says why.
const FIRST_FAILURE = `
local failed = false
response = function(status, headers, body)
  if status ~= 200 and not failed then failed = true; print("first failure: " .. status .. " " .. body) end
end
`;
const setScript = (token: string) => `
wrk.method = "POST"
wrk.headers["content-type"] = "application/json"
wrk.headers["authorization"] = "Bearer ${token}"
local n = 0
request = function()
  n = n + 1
  return wrk.format(nil, nil, nil, '{"query":"mutation($k:String!){setKv(key:$k,value:{n:1}){version}}","variables":{"k":"bench/' .. (n % 1000) .. '"}}')
end
${FIRST_FAILURE}`;

const children: ReturnType<typeof Bun.spawn>[] = [];
// A benchmark that fails half-way must not leave servers behind.
process.on("exit", () => {
  for (const child of children) child.kill("SIGKILL");
});

function spawnServer(cmd: string[], env: Record<string, string>) {
  const child = Bun.spawn(cmd, { cwd: root, env: { ...process.env, ...env }, stdout: "ignore", stderr: "ignore" });
  children.push(child);
  return child;
}

// --- throughput: bare Bun.serve vs Outpost ---
const barePort = 18500 + Math.floor(Math.random() * 500);
const bare = spawnServer(
  [
    process.execPath,
    "-e",
    `Bun.serve({ port: ${barePort}, fetch: () => new Response('{"data":{"kv":{"value":1}}}', { headers: { "content-type": "application/json" } }) })`,
  ],
  {},
);
await waitFor(`http://127.0.0.1:${barePort}/`);
wrk(`http://127.0.0.1:${barePort}/`, null, 2);
const ceiling = wrk(`http://127.0.0.1:${barePort}/`, null);
bare.kill();

const port = barePort + 1;
const dataDir = join(work, "data");
// The limits stay on (their cost is part of what is measured) but high enough not to refuse a benchmark.
const outpost = spawnServer(
  [
    process.execPath,
    "server/main.ts",
    "serve",
    "--data",
    dataDir,
    "--port",
    String(port),
    "--log-level",
    "warn",
    "--rate-limit-api-per-minute",
    "1000000000",
    "--rate-limit-auth-per-minute",
    "100000",
    "--rate-limit-kv-write-per-minute",
    "1000000000",
  ],
  { OUTPOST_ADMIN_PASSWORD: "bench-password" },
);
await waitFor(`http://127.0.0.1:${port}/ready`);
const login = (await (
  await fetch(`http://127.0.0.1:${port}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ query: 'mutation { login(username: "admin", password: "bench-password") { accessToken } }' }),
  })
).json()) as { data: { login: { accessToken: string } } };
const token = login.data.login.accessToken;
await fetch(`http://127.0.0.1:${port}/graphql`, {
  method: "POST",
  headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
  body: JSON.stringify({ query: 'mutation { setKv(key: "bench/get", value: {n: 1}) { version } }' }),
});
const url = `http://127.0.0.1:${port}/graphql`;
const graphql = async (query: string, bearer: string) =>
  (await (
    await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${bearer}` },
      body: JSON.stringify({ query }),
    })
  ).json()) as { data: Record<string, { secret: string }> };
const apiKey = (
  await graphql('mutation { createApiKey(name: "bench", scopes: ["kv:read", "kv:write"], password: "bench-password") { secret } }', token)
).data.createApiKey?.secret as string;

// Sign-in latency: argon2id on purpose, so sequential and few.
const loginMs: number[] = [];
for (let i = 0; i < 15; i++) {
  const started = performance.now();
  await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ query: 'mutation { login(username: "admin", password: "bench-password") { accessToken } }' }),
  });
  loginMs.push(performance.now() - started);
}
loginMs.sort((a, b) => a - b);

// A long-running server is JIT-warm; measure it that way.
const getBody = JSON.stringify({ query: '{ kv(key: "bench/get") { value version } }' });
wrk(url, postScript(getBody, token), 2);
wrk(url, setScript(token), 2);
// Gets before sets: the sets grow the database (entries and audit rows), which later reads feel.
const get = wrk(url, postScript(getBody, token));
const getWithKey = wrk(url, postScript(getBody, apiKey));
const set = wrk(url, setScript(token));
const setWithKey = wrk(url, setScript(apiKey));
outpost.kill("SIGTERM");
await outpost.exited;

const pct = (x: number) => `${((x / ceiling) * 100).toFixed(1)} %`;
console.log(`\nKV over GraphQL HTTP, ${CONNECTIONS} connections, ${SECONDS} s each (wrk, loopback)`);
console.log(`  bare Bun.serve static JSON   ${ceiling.toFixed(0).padStart(8)} req/s   (ceiling)`);
console.log(`  kv get (signed-in, bearer)   ${get.toFixed(0).padStart(8)} req/s   ${pct(get)} of ceiling (target >= 20 %)`);
console.log(`  kv set (signed-in, bearer)   ${set.toFixed(0).padStart(8)} req/s   ${pct(set)} of ceiling (target >= 10 %)`);
console.log(
  `  kv get (API key)             ${getWithKey.toFixed(0).padStart(8)} req/s   ${pct(getWithKey)} of ceiling, ${(getWithKey / get).toFixed(2)} x the session token`,
);
console.log(
  `  kv set (API key)             ${setWithKey.toFixed(0).padStart(8)} req/s   ${pct(setWithKey)} of ceiling, ${(setWithKey / set).toFixed(2)} x the session token`,
);
console.log("  (every request passes the per-IP and per-user limits; every set also writes an audit row)");
console.log(
  `  login latency (argon2id): median ${loginMs[7]?.toFixed(0)} ms, fastest ${loginMs[0]?.toFixed(0)} ms, slowest ${loginMs.at(-1)?.toFixed(0)} ms`,
);

// --- the compiled binary: size, exec to /ready, idle RSS ---
for (const arch of ["x64", "arm64"]) {
  const path = join(root, "dist", `outpost-linux-${arch}`);
  if (existsSync(path)) console.log(`  dist/outpost-linux-${arch}: ${(statSync(path).size / 1024 / 1024).toFixed(1)} MiB`);
}
const binary = join(root, "dist", "outpost-linux-x64");
if (existsSync(binary)) {
  const runs: number[] = [];
  let rssKb = 0;
  for (let i = 0; i < 5; i++) {
    const dir = join(work, `bin-${i}`);
    const binPort = port + 10 + i;
    const started = performance.now();
    const proc = spawnServer([binary, "serve", "--data", dir, "--port", String(binPort), "--host", "127.0.0.1", "--log-level", "warn"], {});
    await waitFor(`http://127.0.0.1:${binPort}/ready`);
    runs.push(performance.now() - started);
    if (i === 4) {
      await Bun.sleep(2000);
      rssKb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${proc.pid}/status`, "utf8"))?.[1]);
    }
    proc.kill("SIGTERM");
    await proc.exited;
  }
  runs.sort((a, b) => a - b);
  console.log(`  exec to /ready (x64, fresh data dir): median ${runs[2]?.toFixed(0)} ms (target <= 300 ms)`);
  console.log(`  idle RSS after start (x64): ${(rssKb / 1024).toFixed(1)} MiB (target <= 50 MiB)`);
} else {
  console.log("  (no dist/outpost-linux-x64: run `npm run build` for binary figures)");
}
rmSync(work, { recursive: true, force: true });
