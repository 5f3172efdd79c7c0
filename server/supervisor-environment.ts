// What a supervised child starts with: a clean environment (nothing of the server's own, so its
// secrets never leak) and, for ProcessSpec.user, another user's identity through setpriv.
import { ConflictError } from "./errors";
import { findOsUser } from "./os-users";
import type { ProcessSpec } from "./supervisor";

/** PATH for every child, unless its spec sets one: the server's own PATH is not passed on. */
export const DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/** The environment every child starts from: nothing of the server's own beyond HOME. */
export function childEnvironment(spec: ProcessSpec, userEnv: Record<string, string>): Record<string, string> {
  return {
    PATH: DEFAULT_PATH,
    HOME: process.env.HOME || "/",
    LANG: "C.UTF-8",
    ...userEnv,
    ...(spec.terminal ? { TERM: "xterm-256color" } : {}),
    ...spec.env,
  };
}

/**
 * What starts `command` as `user` (ProcessSpec.user): the command behind setpriv and the user's
 * environment. Throws ConflictError, saying what to do, when it cannot be done.
 */
export function asUser(user: string, command: string[]): { command: string[]; env: Record<string, string> } {
  const account = findOsUser(user);
  if (!account)
    throw new ConflictError(
      `There is no user "${user}" on this box to run as; create it (sudo useradd --system ${user}) or change run_as_user.`,
    );
  const env = { HOME: account.home, USER: account.name, LOGNAME: account.name };
  const self = process.getuid?.() ?? 0;
  if (account.uid === self) return { command, env };
  if (self !== 0)
    throw new ConflictError(`Outpost runs as uid ${self}, not root, so it cannot run programs as "${user}"; clear run_as_user.`);
  const setpriv = Bun.which("setpriv", { PATH: DEFAULT_PATH });
  if (!setpriv) throw new ConflictError(`Running as "${user}" needs setpriv, which is not installed; sudo apt install util-linux.`);
  // --no-new-privs: sudo and setuid programs cannot raise the child's privileges, so an account
  // allowed password-less sudo (Raspberry Pi OS's `pi`) does not get root back from a run or terminal.
  return {
    command: [setpriv, `--reuid=${account.uid}`, `--regid=${account.gid}`, "--init-groups", "--no-new-privs", "--", ...command],
    env,
  };
}
