// Why what Outpost starts holds none of Outpost's capabilities. The installed service gets CAP_KILL
// (so that an admin's signalProcess reaches any process of the box) and, below port 1024,
// CAP_NET_BIND_SERVICE, as ambient capabilities, and the kernel passes ambient (and, to programs
// with file capabilities, inheritable) capabilities on to every program a process executes.
// Programs, runs, exec, terminals and tunnel clients must not get them: an operator's script could
// otherwise kill any process of the box. So while Outpost holds any, each child starts behind
// `setpriv --inh-caps=-all --ambient-caps=-all`, which empties both sets and then executes the
// command; lowering them needs no privilege, so this works for the unprivileged service user.

import { readFileSync } from "node:fs";
import { ConflictError } from "./errors";

// setpriv comes with util-linux, in the system's own directories; /usr/local is not searched, so
// nothing installed there can stand in for it.
const SYSTEM_PATH = "/usr/bin:/bin:/usr/sbin:/sbin";

let passesCapabilitiesOn: boolean | undefined;

/** Whether Outpost's process holds an ambient or inheritable capability; read from /proc once. */
function outpostPassesCapabilitiesOn(): boolean {
  passesCapabilitiesOn ??= /^Cap(?:Amb|Inh):\s*0*[1-9a-f]/im.test(readFileSync("/proc/self/status", "utf8"));
  return passesCapabilitiesOn;
}

/**
 * `command`, started so that it inherits none of Outpost's capabilities: behind setpriv while
 * Outpost holds ambient or inheritable ones, as it is otherwise. Throws ConflictError, saying what
 * to install, when Outpost holds some and setpriv is missing: nothing is started with them.
 */
export function withoutInheritedCapabilities(command: string[]): string[] {
  if (!outpostPassesCapabilitiesOn()) return command;
  const setpriv = Bun.which("setpriv", { PATH: SYSTEM_PATH });
  if (!setpriv)
    throw new ConflictError(
      "Outpost holds capabilities that what it starts would inherit, and setpriv, which drops them, is not installed; sudo apt install util-linux.",
    );
  return [setpriv, "--inh-caps=-all", "--ambient-caps=-all", "--", ...command];
}
