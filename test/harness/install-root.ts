// A staging root for `outpost install` tests: a directory that looks like a machine (systemd
// running, root and the service user in etc/passwd) under which every installed path goes; and a
// ServiceControl that runs the installed binary as a child process, as systemd runs the unit's
// ExecStart, so that an install's start, an upgrade and its rollback meet real binaries.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Subprocess } from "bun";
import type { ServiceControl } from "../../server/install/service-control";

const myUid = process.getuid?.() ?? 0;
const myGid = process.getgid?.() ?? 0;

export interface StagingRoot extends Disposable {
  path: string;
  /** The ids the service user has in the root's etc/passwd. */
  serviceUid: number;
  serviceGid: number;
}

/**
 * A staging root: systemd running (unless told otherwise), root and the service user `outpost`
 * in etc/passwd. As root, the service user gets ids of its own so that owners are really set,
 * unless `serviceIsMe` (a service the test runs itself must own its data directory); as another
 * user, files can only be given to oneself.
 */
export function stagingRoot({ systemd = true, serviceUser = true, serviceIsMe = false } = {}): StagingRoot {
  const path = mkdtempSync(join(tmpdir(), "outpost-install-"));
  const serviceUid = myUid === 0 && !serviceIsMe ? 4321 : myUid;
  const serviceGid = myUid === 0 && !serviceIsMe ? 4321 : myGid;
  if (systemd) mkdirSync(join(path, "run/systemd/system"), { recursive: true });
  mkdirSync(join(path, "etc"));
  const users = [`root:x:${myUid}:${myGid}:root:/root:/bin/sh`];
  if (serviceUser) users.push(`outpost:x:${serviceUid}:${serviceGid}::/nonexistent:/usr/sbin/nologin`);
  writeFileSync(join(path, "etc/passwd"), `${users.join("\n")}\n`);
  return { path, serviceUid, serviceGid, [Symbol.dispose]: () => rmSync(path, { recursive: true, force: true }) };
}

export interface ProcessService extends ServiceControl, AsyncDisposable {
  /** How many times the service was started. */
  readonly starts: number;
  /** The running child's pid, or null. */
  pid(): number | null;
}

/** Runs `command` (the installed binary and its arguments, as the unit's ExecStart) as the service; each start logs to its own file in `logDir`. */
export function processService(command: string[], logDir: string): ProcessService {
  let child: Subprocess | null = null;
  let starts = 0;
  const running = () => child !== null && child.exitCode === null && child.signalCode === null;
  const stop = async () => {
    if (child && running()) {
      child.kill("SIGTERM");
      await child.exited;
    }
    child = null;
  };
  const spawn = () => {
    starts++;
    const log = Bun.file(join(logDir, `start-${starts}.log`));
    child = Bun.spawn(command, { stdin: "ignore", stdout: log, stderr: log });
  };
  return {
    reloadUnits: () => {},
    enable: () => {},
    start: async () => {
      if (!running()) spawn();
    },
    restart: async () => {
      await stop();
      spawn();
    },
    stop,
    hasExited: () => child !== null && !running(),
    logHint: `the logs in ${logDir}`,
    get starts() {
      return starts;
    },
    pid: () => (running() ? (child?.pid ?? null) : null),
    [Symbol.asyncDispose]: stop,
  };
}
