// Builds the single-file executables: the web UI first (embedded through its manifest), then
// `bun build --compile` for linux-x64 and linux-arm64 into dist/. Pass targets to build fewer:
// `bun appliance/build.ts x64`.
import { statSync } from "node:fs";
import { join } from "node:path";

const root = join(import.meta.dir, "..");
const TARGETS = { x64: "bun-linux-x64", arm64: "bun-linux-arm64" } as const;
type Arch = keyof typeof TARGETS;

const wanted = (process.argv.slice(2).length ? process.argv.slice(2) : Object.keys(TARGETS)) as Arch[];
for (const arch of wanted) if (!(arch in TARGETS)) throw new Error(`Unknown target ${arch}; use ${Object.keys(TARGETS).join(" or ")}.`);

function run(cmd: string[]) {
  const result = Bun.spawnSync(cmd, { cwd: root, stdout: "inherit", stderr: "inherit" });
  if (result.exitCode !== 0) {
    console.error(`failed: ${cmd.join(" ")}`);
    process.exit(result.exitCode ?? 1);
  }
}

run([process.execPath, "appliance/build-web.ts"]);
for (const arch of wanted) {
  const outfile = join("dist", `outpost-linux-${arch}`);
  const started = performance.now();
  run([
    process.execPath,
    "build",
    "--compile",
    `--target=${TARGETS[arch]}`,
    "--minify",
    "--bytecode",
    "--format=esm",
    "--sourcemap=none",
    `--define=OUTPOST_BUILD_TARGET=${JSON.stringify(`linux-${arch}`)}`,
    "server/main.ts",
    "--outfile",
    outfile,
  ]);
  const mb = (statSync(join(root, outfile)).size / 1024 / 1024).toFixed(1);
  console.log(`${outfile}: ${mb} MiB in ${((performance.now() - started) / 1000).toFixed(1)} s`);
}
