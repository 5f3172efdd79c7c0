// How `outpost install` starts the installed service and tells whether it came up: the boundary
// between the install and the machine's service manager. On a real machine it is systemd
// (`systemctl`); tests pass a control that runs the installed binary as a child process, so that an
// upgrade and its rollback are exercised with real binaries where systemd does not run.

import { StartupError } from "../errors";

export interface ServiceControl {
  /** Makes the service manager read unit files again (after the unit was written). */
  reloadUnits(): void;
  /** Starts the service at boot from now on. */
  enable(): void;
  /** Starts the service unless it runs; resolves once the start was issued. */
  start(): Promise<void>;
  /** Stops the service if it runs and starts it again; resolves once the start was issued. */
  restart(): Promise<void>;
  /** Stops the service; resolves once its process has ended. */
  stop(): Promise<void>;
  /** Whether the process of the last start has ended (crashed, or exited): then waiting for it to become ready is pointless. */
  hasExited(): boolean;
  /** Where the service's log is, for a message that sends the reader there. */
  readonly logHint: string;
}

/** Runs `command`; a StartupError with the last line of its error output when it fails. */
export function runCommand(command: string[]): void {
  const result = Bun.spawnSync(command, { stdout: "pipe", stderr: "pipe" });
  if (result.exitCode === 0) return;
  const why = result.stderr.toString().trim().split("\n").at(-1) || `exit code ${result.exitCode}`;
  throw new StartupError(`${command.join(" ")} failed: ${why}`);
}

/** The commands `systemdService` runs, in the order an install runs them, for `--dry-run`. */
export function systemdCommands(unit: string): {
  reloadUnits: string[];
  enable: string[];
  start: string[];
  restart: string[];
  stop: string[];
} {
  return {
    reloadUnits: ["systemctl", "daemon-reload"],
    enable: ["systemctl", "enable", unit],
    start: ["systemctl", "start", unit],
    restart: ["systemctl", "restart", unit],
    stop: ["systemctl", "stop", unit],
  };
}

/**
 * Whether `systemctl show --property=ActiveState --property=SubState` output (`ActiveState=...`
 * lines) says the unit's process has ended: the unit failed or is inactive, or it waits to be
 * restarted (`Restart=on-failure` makes a crash "activating (auto-restart)", not "failed"). No
 * answer (systemctl failed) is not taken as an end: the wait then lasts until its timeout.
 */
export function systemdStateMeansExited(show: string): boolean {
  const state = new Map(show.split("\n").map((line) => [line.slice(0, line.indexOf("=")), line.slice(line.indexOf("=") + 1)]));
  return state.get("ActiveState") === "failed" || state.get("ActiveState") === "inactive" || state.get("SubState") === "auto-restart";
}

function systemdUnitExited(unit: string): boolean {
  const show = Bun.spawnSync(["systemctl", "show", "--property=ActiveState", "--property=SubState", unit], {
    stdout: "pipe",
    stderr: "ignore",
  });
  return systemdStateMeansExited(show.stdout.toString());
}

/** The service `unit` run by systemd; `report` receives each command run. */
export function systemdService(unit: string, report: (line: string) => void): ServiceControl {
  const commands = systemdCommands(unit);
  const run = (command: string[]) => {
    runCommand(command);
    report(`ran: ${command.join(" ")}`);
  };
  return {
    reloadUnits: () => run(commands.reloadUnits),
    enable: () => run(commands.enable),
    start: async () => run(commands.start),
    restart: async () => run(commands.restart),
    stop: async () => run(commands.stop),
    hasExited: () => systemdUnitExited(unit),
    logHint: `journalctl -u ${unit}`,
  };
}

/** What a running Outpost says about itself at /health. */
export interface HealthAnswer {
  /** Null from a version too early to say it. */
  version: string | null;
  /** No user exists yet: the setup link works. */
  setupRequired: boolean;
}

/** GET `url` as JSON within `timeoutMs`; null when nothing answers, or answers with an error or no JSON. */
async function getJson(url: string, timeoutMs: number): Promise<unknown> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    return response.ok ? await response.json() : null;
  } catch {
    return null;
  }
}

/** What the Outpost at `baseUrl` answers at /health (its version), or null when none answers within `timeoutMs`. */
export async function askHealth(baseUrl: string, timeoutMs = 2000): Promise<HealthAnswer | null> {
  const answer = (await getJson(`${baseUrl}/health`, timeoutMs)) as { status?: unknown; version?: unknown; setupRequired?: unknown } | null;
  if (answer?.status !== "ok") return null;
  return { version: typeof answer.version === "string" ? answer.version : null, setupRequired: answer.setupRequired === true };
}

/** How often the readiness of a starting service is asked: often enough that a fast start is not kept waiting. */
const READY_POLL_MS = 250;

/**
 * Waits until the Outpost at `baseUrl` answers /ready with 200 (and /health with `version`, when
 * given) for at most `timeoutMs`, and no longer once `exited()` says its process ended; what
 * /health said then, or null when it did not. The version tells a new binary from an old process
 * that has not stopped yet.
 */
export async function waitForReady(
  baseUrl: string,
  timeoutMs: number,
  { version, exited = () => false }: { version?: string; exited?: () => boolean } = {},
): Promise<HealthAnswer | null> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const left = deadline - Date.now();
    if (left <= 0 || exited()) return null;
    const health = await askHealth(baseUrl, Math.min(left, 2000));
    const wanted = health !== null && (version === undefined || health.version === version);
    if (wanted && (await getJson(`${baseUrl}/ready`, Math.max(1, deadline - Date.now()))) !== null) return health;
    await Bun.sleep(Math.min(READY_POLL_MS, Math.max(0, deadline - Date.now())));
  }
}
