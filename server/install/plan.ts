// What `outpost install` and `outpost uninstall` do, as data: the files they write or remove and
// the commands they run, built from the flags without touching the machine. The runner
// (runner.ts) carries a plan out or prints it (`--dry-run`); keeping the two apart lets the unit
// file and the settings file be checked in tests without installing anything.

import { loadConfig } from "../config";
import { ConfigError } from "../errors";

/** Where `install` puts things; fixed because the unit file and the README name them. */
export const INSTALLED_BINARY = "/usr/local/bin/outpost";
/** The binary an upgrade replaced, kept to roll back to. */
export const PREVIOUS_BINARY = `${INSTALLED_BINARY}.previous`;
export const UNIT_NAME = "outpost.service";
export const UNIT_PATH = `/etc/systemd/system/${UNIT_NAME}`;
export const DEFAULT_DATA_DIR = "/var/lib/outpost";
/** The settings file the unit names with --config (server/config.ts reads it). */
export const CONFIG_DIR = "/etc/outpost";
export const CONFIG_PATH = `${CONFIG_DIR}/outpost.toml`;
export const DEFAULT_SERVICE_USER = "outpost";

export interface InstallOptions {
  port: number;
  /** Absolute path; also the only path the service may write. */
  dataDir: string;
  publicUrl: string | null;
  /** The system user the service runs as. */
  user: string;
  /** How long a (re)started service has to answer /ready before the install gives up (and an upgrade rolls back). */
  readyTimeoutMs: number;
}

export type InstallStep =
  /** Creates the system user with `command`, unless a user of that name exists. */
  | { kind: "user"; name: string; command: string[] }
  | { kind: "directory"; path: string; mode: number; owner: string }
  /** Copies the running executable to `path` (written beside it, then renamed); a different one already there is kept as `previousPath`. */
  | { kind: "binary"; path: string; mode: number; previousPath: string }
  /** Writes `contents` to `path`, owned by `owner` (and `group`'s group when given); with `keepExisting`, a file already there is left as it is. */
  | { kind: "file"; path: string; mode: number; owner: string; group?: string; contents: string; keepExisting: boolean; comment: string }
  | { kind: "remove"; path: string; recursive: boolean }
  /** Runs `command`; with `tolerateFailure`, a failure is reported and the plan goes on. */
  | { kind: "command"; command: string[]; tolerateFailure?: boolean }
  /**
   * Reloads units, enables `unit` and starts it (restarts it when an earlier step changed
   * something), then waits up to `readyTimeoutMs` for /ready on the port `configPath` sets; a new
   * binary that does not become ready is replaced by the previous one, which is started again.
   */
  | { kind: "service"; unit: string; dataDir: string; configPath: string; readyTimeoutMs: number };

// A user name useradd accepts on Debian, and a data path that needs no quoting in the unit file.
const USER_NAME = /^[a-z_][a-z0-9_-]{0,31}$/;
const SAFE_PATH = /^(\/[A-Za-z0-9._-]+)+$/;
const MAX_PATH_CHARS = 255;
const DEFAULT_READY_TIMEOUT_SECONDS = 120;
const MAX_READY_TIMEOUT_SECONDS = 3600;

/** `dataDir` if it can be the service's data directory (one the unit file names unquoted); a ConfigError otherwise. */
export function checkDataDir(dataDir: string): string {
  if (dataDir.length > MAX_PATH_CHARS || !SAFE_PATH.test(dataDir) || dataDir.split("/").some((part) => part === ".." || part === "."))
    throw new ConfigError(
      `--data must be an absolute path of letters, digits, ".", "_" and "-" (at most ${MAX_PATH_CHARS} characters), such as ${DEFAULT_DATA_DIR}; got ${JSON.stringify(dataDir)}.`,
    );
  return dataDir;
}

/**
 * The install options from the command-line flags (`port`, `data`, `public-url`, `user`), checked
 * the way the server checks its settings; a ConfigError names the flag that is wrong.
 */
export function installOptionsFromFlags(flags: Record<string, string>): InstallOptions {
  const known = new Set(["port", "data", "public-url", "user", "ready-timeout-seconds"]);
  for (const name of Object.keys(flags))
    if (!known.has(name)) throw new ConfigError(`Unknown flag --${name} for install. See outpost --help.`);
  const dataDir = checkDataDir(flags.data ?? DEFAULT_DATA_DIR);
  const user = flags.user ?? DEFAULT_SERVICE_USER;
  if (!USER_NAME.test(user) || user === "root")
    throw new ConfigError(`--user must be a system user name such as ${DEFAULT_SERVICE_USER} (not root); got ${JSON.stringify(user)}.`);
  // The server's own checks, so that a value the service would refuse is refused now. No file
  // and no environment are read: only the flags are being checked.
  const settings: Record<string, string> = {};
  if (flags.port !== undefined) settings.port = flags.port;
  if (flags["public-url"] !== undefined) settings["public-url"] = flags["public-url"];
  const checked = loadConfig({ flags: settings, env: {}, defaultDataDir: "/nonexistent/outpost-install-check" });
  if (checked.port === 0) throw new ConfigError("--port must be a fixed port for a service (1 to 65535), not 0.");
  const readyTimeout = flags["ready-timeout-seconds"] ?? String(DEFAULT_READY_TIMEOUT_SECONDS);
  if (!/^\d+$/.test(readyTimeout) || Number(readyTimeout) < 1 || Number(readyTimeout) > MAX_READY_TIMEOUT_SECONDS)
    throw new ConfigError(
      `--ready-timeout-seconds must be a whole number from 1 to ${MAX_READY_TIMEOUT_SECONDS}; got ${JSON.stringify(readyTimeout)}.`,
    );
  return { port: checked.port, dataDir, publicUrl: checked.publicUrl, user, readyTimeoutMs: Number(readyTimeout) * 1000 };
}

/** A TOML basic string; the values are already checked, so JSON's escaping is TOML's. */
function tomlString(value: string): string {
  return JSON.stringify(value);
}

/** The settings file (CONFIG_PATH) the service reads its settings from (server/config.ts). */
export function settingsFile(options: InstallOptions): string {
  const lines = [
    "# Outpost's settings, read when the service starts (systemctl restart outpost after a change).",
    "# Every setting is listed by outpost --help; written by outpost install, which keeps this file",
    "# as it is when run again.",
    `port = ${options.port}`,
  ];
  if (options.publicUrl !== null) lines.push(`public_url = ${tomlString(options.publicUrl)}`);
  return `${lines.join("\n")}\n`;
}

/** The systemd unit: the service hardened as far as Outpost allows, each relaxation said where it is made. */
export function unitFile(options: InstallOptions): string {
  const capabilities = options.port < 1024 ? "CAP_KILL CAP_NET_BIND_SERVICE" : "CAP_KILL";
  const capabilityLines = [
    "# Relaxed: CAP_KILL, so that signalProcess may signal any process (a runaway one of another",
    "# user), not only Outpost's own; only admins hold processes:signal, and each signal is audited.",
    ...(options.port < 1024 ? [`# Relaxed: port ${options.port} is below 1024, which only CAP_NET_BIND_SERVICE may bind.`] : []),
    `AmbientCapabilities=${capabilities}`,
    `CapabilityBoundingSet=${capabilities}`,
  ];
  return `# Outpost as a systemd service. Written by outpost install, removed by outpost uninstall.
# Logs (JSON lines) go to the journal: journalctl -u outpost
[Unit]
Description=Outpost: a GraphQL API and web UI to run and watch this machine
After=network-online.target
Wants=network-online.target

[Service]
Type=simple
User=${options.user}
ExecStart=${INSTALLED_BINARY} serve --data ${options.dataDir} --config ${CONFIG_PATH}
Restart=on-failure
RestartSec=2s
# Outpost stops on SIGTERM once running requests end (shutdown_grace_ms, 10 s by default).
TimeoutStopSec=30s
UMask=0077

# Hardening. The service may write only its data directory.
# What Outpost runs (programs, terminals) runs as this user under the same rules, without the
# capabilities below (Outpost starts it through setpriv, which drops them): sudo and setuid
# programs cannot raise its privileges.
NoNewPrivileges=yes
ProtectSystem=strict
ReadWritePaths=${options.dataDir}
PrivateTmp=yes
ProtectHome=yes
# Relaxed: ProtectProc is not set, so every process of the box is visible: the Processes page,
# its top-5 lists and the process counts show them all, as ps does for any user.
ProtectKernelTunables=yes
ProtectKernelModules=yes
ProtectKernelLogs=yes
ProtectControlGroups=yes
ProtectClock=yes
ProtectHostname=yes
RestrictNamespaces=yes
RestrictRealtime=yes
RestrictSUIDSGID=yes
LockPersonality=yes
# AF_NETLINK: listing the machine's network addresses (the --host check, the system page) uses it.
RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6 AF_NETLINK
${capabilityLines.join("\n")}
# Relaxed: MemoryDenyWriteExecute is not set, because Bun's JavaScript JIT needs memory that is
# both writable and executable.

[Install]
WantedBy=multi-user.target
`;
}

/** The data directory and settings file an installed unit file (`unitFile`'s text) runs on, each null when the text names none. */
export function serveArgumentsOfUnit(unit: string): { dataDir: string | null; configFile: string | null } {
  const execStart = /^ExecStart=\S+ serve (.*)$/m.exec(unit)?.[1] ?? "";
  return {
    dataDir: /--data (\S+)/.exec(execStart)?.[1] ?? null,
    configFile: /--config (\S+)/.exec(execStart)?.[1] ?? null,
  };
}

/**
 * Every file and command of an install, in order. Running it again changes nothing that is already
 * right. `earlierSettings` is the text of `<data>/outpost.toml`, where installs before CONFIG_PATH
 * existed kept the settings: written to CONFIG_PATH (when that is missing) instead of the flags, so
 * the service keeps them.
 */
export function planInstall(options: InstallOptions, { earlierSettings }: { earlierSettings?: string } = {}): InstallStep[] {
  return [
    {
      kind: "user",
      name: options.user,
      command: ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", options.user],
    },
    { kind: "directory", path: options.dataDir, mode: 0o700, owner: options.user },
    { kind: "binary", path: INSTALLED_BINARY, mode: 0o755, previousPath: PREVIOUS_BINARY },
    { kind: "directory", path: CONFIG_DIR, mode: 0o755, owner: "root" },
    {
      kind: "file",
      path: CONFIG_PATH,
      // Readable by the service, which must not change its own settings (the unit's ProtectSystem
      // keeps it from writing /etc anyway).
      mode: 0o640,
      owner: "root",
      group: options.user,
      contents: earlierSettings ?? settingsFile(options),
      keepExisting: true,
      comment:
        earlierSettings === undefined
          ? "settings from the flags; an existing file is kept"
          : `the settings of ${options.dataDir}/outpost.toml, carried over; an existing file is kept`,
    },
    {
      kind: "file",
      path: UNIT_PATH,
      mode: 0o644,
      owner: "root",
      contents: unitFile(options),
      keepExisting: false,
      comment: "the systemd unit",
    },
    { kind: "service", unit: UNIT_NAME, dataDir: options.dataDir, configPath: CONFIG_PATH, readyTimeoutMs: options.readyTimeoutMs },
  ];
}

/** Every command and removal of an uninstall; the data directory and the settings go only with `purge`. */
export function planUninstall({ dataDir, purge }: { dataDir: string; purge: boolean }): InstallStep[] {
  return [
    // Not installed, or already stopped: nothing to stop, and the files still go.
    { kind: "command", command: ["systemctl", "disable", "--now", UNIT_NAME], tolerateFailure: true },
    { kind: "remove", path: UNIT_PATH, recursive: false },
    { kind: "command", command: ["systemctl", "daemon-reload"] },
    { kind: "remove", path: INSTALLED_BINARY, recursive: false },
    { kind: "remove", path: PREVIOUS_BINARY, recursive: false },
    ...(purge
      ? [
          { kind: "remove" as const, path: dataDir, recursive: true },
          { kind: "remove" as const, path: CONFIG_DIR, recursive: true },
        ]
      : []),
  ];
}

/** `word` as one shell word: quoted unless it holds only characters no shell treats specially. */
function shellWord(word: string): string {
  return /^[A-Za-z0-9:/._-]+$/.test(word) ? word : `'${word.replaceAll("'", "'\\''")}'`;
}

/** The command that runs Outpost by hand with the same settings, where there is no systemd. */
export function manualCommand(executable: string, options: InstallOptions): string {
  const flags = [`--data ${options.dataDir}`, `--port ${options.port}`];
  if (options.publicUrl !== null) flags.push(`--public-url ${shellWord(options.publicUrl)}`);
  return `${executable} serve ${flags.join(" ")}`;
}
