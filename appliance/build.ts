// Builds the single-file executables: the web UI first (embedded through its manifest), then a
// compiled build (Bun.build with `compile`) for linux-x64 and linux-arm64 into dist/. Pass targets
// to build fewer: `bun appliance/build.ts x64`.
//
// Native addons are embedded per target: the ngrok library loads `@ngrok/ngrok-linux-<arch>-gnu`,
// and npm installs only the host's. For another target its package is fetched once with
// `npm pack` into ~/.cache/outpost-build and the import is pointed there for that build only.
import { existsSync, mkdirSync, readFileSync, statSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import type { BunPlugin } from "bun";

const root = join(import.meta.dir, "..");
const TARGETS = { x64: "bun-linux-x64", arm64: "bun-linux-arm64" } as const;
type Arch = keyof typeof TARGETS;
const CACHE = join(process.env.XDG_CACHE_HOME ?? join(homedir(), ".cache"), "outpost-build");

const wanted = (process.argv.slice(2).length ? process.argv.slice(2) : Object.keys(TARGETS)) as Arch[];
for (const arch of wanted) if (!(arch in TARGETS)) throw new Error(`Unknown target ${arch}; use ${Object.keys(TARGETS).join(" or ")}.`);

function run(cmd: string[], cwd = root) {
  const result = Bun.spawnSync(cmd, { cwd, stdout: "inherit", stderr: "inherit" });
  if (result.exitCode !== 0) {
    console.error(`failed: ${cmd.join(" ")}`);
    process.exit(result.exitCode ?? 1);
  }
}

/**
 * The ngrok addon package for `arch`, at the version of the installed library: where npm put it
 * for the host, else fetched into the cache. Returns the addon file to embed, or null when it is installed.
 */
function ngrokAddonFor(arch: Arch): { name: string; file: string } | null {
  const name = `@ngrok/ngrok-linux-${arch}-gnu`;
  if (existsSync(join(root, "node_modules", name, "package.json"))) return null;
  const { version } = JSON.parse(readFileSync(join(root, "node_modules/@ngrok/ngrok/package.json"), "utf8")) as { version: string };
  const dir = join(CACHE, `ngrok-linux-${arch}-gnu-${version}`);
  const file = join(dir, "package", `ngrok.linux-${arch}-gnu.node`);
  if (!existsSync(file)) {
    mkdirSync(dir, { recursive: true });
    console.log(`fetching ${name}@${version} for the ${arch} build`);
    run(["npm", "pack", `${name}@${version}`, "--silent"], dir);
    run(["tar", "xzf", `ngrok-ngrok-linux-${arch}-gnu-${version}.tgz`], dir);
  }
  return { name, file };
}

/** Points the import of a target's addon package at its fetched file. */
function addonPlugin(addon: { name: string; file: string }): BunPlugin {
  const filter = new RegExp(`^${addon.name.replace(/[/@-]/g, "\\$&")}$`);
  return {
    name: "target addon",
    setup(build) {
      build.onResolve({ filter }, () => ({ path: addon.file }));
    },
  };
}

run([process.execPath, "appliance/build-web.ts"]);
for (const arch of wanted) {
  const outfile = join(root, "dist", `outpost-linux-${arch}`);
  const started = performance.now();
  const addon = ngrokAddonFor(arch);
  const result = await Bun.build({
    entrypoints: [join(root, "server/main.ts")],
    compile: { target: TARGETS[arch], outfile },
    minify: true,
    bytecode: true,
    format: "esm",
    sourcemap: "none",
    define: { OUTPOST_BUILD_TARGET: JSON.stringify(`linux-${arch}`) },
    plugins: addon ? [addonPlugin(addon)] : [],
  });
  if (!result.success) {
    for (const message of result.logs) console.error(message);
    process.exit(1);
  }
  const mb = (statSync(outfile).size / 1024 / 1024).toFixed(1);
  console.log(`${outfile}: ${mb} MiB in ${((performance.now() - started) / 1000).toFixed(1)} s`);
}
