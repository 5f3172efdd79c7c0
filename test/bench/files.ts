// Benchmark of the file store, printed as figures (no assertions), against Outpost running in its
// own process on loopback: a 1 GiB tus upload next to `cp` of the same file on the same disk, the
// server's peak RSS growth while it streams in, a 1 GiB download next to `cat file > /dev/null`,
// and the latency of `files(first: 100)` with 10 000 files stored. Uploads and downloads go through
// curl, a client that streams from and to disk. Run: `bun test/bench/files.ts` (`--mib 256` for a
// smaller file).
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const root = join(import.meta.dir, "../..");
const mibArg = process.argv.indexOf("--mib");
const FILE_MIB = mibArg > 0 ? Number(process.argv[mibArg + 1]) : 1024;
const LISTED_FILES = 10_000;
const LIST_RUNS = 200;
const PASSWORD = "bench-password-1";
const work = mkdtempSync(join(tmpdir(), "outpost-files-bench-"));

for (const tool of ["curl", "cp", "cat"]) {
  if (!Bun.which(tool)) {
    console.error(`${tool} is not installed`);
    process.exit(1);
  }
}

/** Runs a command to its end (the event loop keeps turning: RSS is sampled meanwhile); its wall time in seconds. */
async function timed(command: string[]): Promise<number> {
  const started = performance.now();
  const run = Bun.spawn(command, { stdout: "ignore", stderr: "pipe" });
  const [exitCode, errors] = await Promise.all([run.exited, new Response(run.stderr).text()]);
  if (exitCode !== 0) throw new Error(`${command.join(" ")} failed: ${errors}`);
  return (performance.now() - started) / 1000;
}

const rssBytes = (pid: number) => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1]) * 1024;
const mibPerSecond = (bytes: number, seconds: number) => bytes / (1 << 20) / seconds;
const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] as number;

// ---- The file, and what the disk does with it on its own ----
const source = join(work, "source.bin");
const fileBytes = FILE_MIB << 20;
{
  // Random bytes (not zeros a file system could skip), written once, in steps.
  const writer = Bun.file(source).writer();
  const step = crypto.getRandomValues(new Uint8Array(1 << 16));
  const block = new Uint8Array(16 << 20);
  for (let i = 0; i < block.length; i += step.length) block.set(crypto.getRandomValues(step), i);
  for (let written = 0; written < fileBytes; written += block.length) writer.write(block);
  await writer.end();
}
const copy = join(work, "copy.bin");
const cpSeconds = await timed(["cp", source, copy]);
rmSync(copy);
// The upload makes its file durable (fsync) before it answers that it is complete, so cp + sync,
// the same work, is the fair baseline; cp alone ends in the page cache and is printed for scale.
const cpSyncSeconds = await timed(["bash", "-c", `cp '${source}' '${copy}' && sync '${copy}'`]);
rmSync(copy);
const catSeconds = await timed(["bash", "-c", `cat '${source}' > /dev/null`]);

// ---- Outpost in its own process ----
const dataDir = join(work, "data");
const server = Bun.spawn([process.execPath, "server/main.ts", "serve", "--data", dataDir, "--port", "0", "--host", "127.0.0.1"], {
  cwd: root,
  env: {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    OUTPOST_ADMIN_PASSWORD: PASSWORD,
    OUTPOST_FILES_MAX_FILE_BYTES: String(fileBytes * 2),
    OUTPOST_RATE_LIMIT_UPLOAD_PER_MINUTE: "100000000",
    OUTPOST_RATE_LIMIT_API_PER_MINUTE: "100000000",
    OUTPOST_LOG_LEVEL: "warn",
  },
  stdout: "ignore",
  stderr: "pipe",
});
let announced = "";
void (async () => {
  const reader = server.stderr.getReader();
  for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) announced += new TextDecoder().decode(chunk.value);
})();
try {
  for (let waited = 0; !/listening on \S+/.test(announced); waited += 20) {
    if (waited > 30_000 || server.exitCode !== null) throw new Error(`Outpost did not start:\n${announced}`);
    await Bun.sleep(20);
  }
  const url = /listening on (\S+)/.exec(announced)?.[1] as string;
  const graphql = async <T>(query: string, token?: string, variables?: Record<string, unknown>): Promise<T> => {
    const response = await fetch(`${url}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify({ query, variables }),
    });
    const body = (await response.json()) as { data: T; errors?: unknown };
    if (body.errors) throw new Error(JSON.stringify(body.errors));
    return body.data;
  };
  const { login } = await graphql<{ login: { accessToken: string } }>(
    `mutation { login(username: "admin", password: "${PASSWORD}") { accessToken } }`,
  );
  const token = login.accessToken;
  const tus = { authorization: `Bearer ${token}`, "tus-resumable": "1.0.0" };

  // ---- 1 GiB up, RSS sampled every 10 ms ----
  const created = await fetch(`${url}/files/uploads`, {
    method: "POST",
    headers: { ...tus, "upload-length": String(fileBytes), "upload-metadata": `filename ${btoa("bench.bin")}` },
  });
  const location = created.headers.get("location") as string;
  const rssBefore = rssBytes(server.pid);
  let rssPeak = rssBefore;
  const sampler = setInterval(() => {
    rssPeak = Math.max(rssPeak, rssBytes(server.pid));
  }, 10);
  const uploadSeconds = await timed([
    "curl",
    "-sf",
    "-X",
    "PATCH",
    "-T",
    source,
    `${url}${location}`,
    "-H",
    `authorization: Bearer ${token}`,
    "-H",
    "tus-resumable: 1.0.0",
    "-H",
    "content-type: application/offset+octet-stream",
    "-H",
    "upload-offset: 0",
  ]);
  clearInterval(sampler);
  rssPeak = Math.max(rssPeak, rssBytes(server.pid));
  const { files } = await graphql<{ files: { nodes: { id: string; sizeBytes: number }[] } }>(
    '{ files(search: "bench.bin") { nodes { id sizeBytes } } }',
    token,
  );
  const fileId = files.nodes[0]?.id as string;
  if (files.nodes[0]?.sizeBytes !== fileBytes) throw new Error("the upload did not complete");

  // ---- 1 GiB down ----
  const downloadSeconds = await timed(["curl", "-sf", "-o", "/dev/null", `${url}/files/${fileId}`, "-H", `authorization: Bearer ${token}`]);

  // ---- 10 000 files, then pages of 100 ----
  const seedStarted = performance.now();
  let next = 0;
  const seedOne = async () => {
    for (let i = next++; i < LISTED_FILES; i = next++) {
      const response = await fetch(`${url}/files/uploads`, {
        method: "POST",
        headers: {
          ...tus,
          "upload-length": "0",
          "upload-metadata": `filename ${btoa(`file-${String(i).padStart(5, "0")}.txt`)},folder ${btoa("many")}`,
        },
      });
      if (response.status !== 201) throw new Error(`seeding answered ${response.status}: ${await response.text()}`);
    }
  };
  await Promise.all(Array.from({ length: 8 }, seedOne));
  const seedSeconds = (performance.now() - seedStarted) / 1000;
  const latencies: Record<string, number[]> = {};
  for (const [label, args] of [
    ["NAME, first page", 'folder: "many", first: 100'],
    ["NEWEST, first page", 'folder: "many", first: 100, sortBy: NEWEST'],
    ["search, every folder", 'search: "file-09", first: 100'],
  ] as const) {
    const query = `{ files(${args}) { nodes { id name sizeBytes mimeType createdAt uploaderName } pageInfo { endCursor hasNextPage } } }`;
    for (let i = 0; i < 20; i++) await graphql(query, token);
    const times: number[] = [];
    for (let i = 0; i < LIST_RUNS; i++) {
      const started = performance.now();
      const { files: page } = await graphql<{ files: { nodes: unknown[] } }>(query, token);
      times.push(performance.now() - started);
      if (page.nodes.length !== 100) throw new Error(`${label}: ${page.nodes.length} files`);
    }
    latencies[label] = times.sort((a, b) => a - b);
  }

  const mib = (bytes: number) => (bytes / (1 << 20)).toFixed(1);
  const sourceBytes = statSync(source).size;
  console.log(`Files benchmark (${FILE_MIB} MiB file, ${work} on one disk, loopback, curl as the client)`);
  console.log(`  cp                 ${cpSeconds.toFixed(2)} s  ${mibPerSecond(sourceBytes, cpSeconds).toFixed(0)} MiB/s`);
  console.log(`  cp + sync          ${cpSyncSeconds.toFixed(2)} s  ${mibPerSecond(sourceBytes, cpSyncSeconds).toFixed(0)} MiB/s`);
  console.log(
    `  tus upload         ${uploadSeconds.toFixed(2)} s  ${mibPerSecond(sourceBytes, uploadSeconds).toFixed(0)} MiB/s  = ${((cpSyncSeconds / uploadSeconds) * 100).toFixed(0)} % of cp + sync (the fair one, target >= 70 %), ${((cpSeconds / uploadSeconds) * 100).toFixed(0)} % of cp`,
  );
  console.log(
    `  server RSS         ${mib(rssBefore)} MiB before, ${mib(rssPeak)} MiB peak: +${mib(rssPeak - rssBefore)} MiB (target < 32 MiB)`,
  );
  console.log(`  cat > /dev/null    ${catSeconds.toFixed(2)} s  ${mibPerSecond(sourceBytes, catSeconds).toFixed(0)} MiB/s`);
  console.log(
    `  download           ${downloadSeconds.toFixed(2)} s  ${mibPerSecond(sourceBytes, downloadSeconds).toFixed(0)} MiB/s  = ${((catSeconds / downloadSeconds) * 100).toFixed(0)} % of cat`,
  );
  console.log(`  seeding ${LISTED_FILES} files (empty, through tus) ${seedSeconds.toFixed(1)} s`);
  for (const [label, times] of Object.entries(latencies))
    console.log(
      `  files(first: 100), ${label.padEnd(22)} median ${percentile(times, 0.5).toFixed(2)} ms, p95 ${percentile(times, 0.95).toFixed(2)} ms (${LIST_RUNS} runs over HTTP)`,
    );
} finally {
  server.kill("SIGTERM");
  await server.exited;
  rmSync(work, { recursive: true, force: true });
}
