// When runs drop privileges (run_as_user), a program's folder must belong to that user before its
// first run, so the run may read and write it. This hands a folder over once, safely, even while
// several runs of one program start at the same time.
import { chmod, chown, stat } from "node:fs/promises";
import { dirname } from "node:path";
import { findOsUser } from "../os-users";
import { DEFAULT_PATH } from "../supervisor-environment";

/** Hands programs' folders over to `runAsUser`; with null (runs as Outpost itself) it does nothing. */
export function createFolderHandOver(runAsUser: string | null) {
  /** Hand-overs in progress, one per folder: a second run of a program waits for the first's. */
  const handingOver = new Map<string, Promise<void>>();

  return {
    /**
     * Makes a program's folder the run user's (when runs drop privileges), so its runs may read and
     * write it, and lets that user's group pass through the programs folder (not list it). Once
     * handed over, the folder is that user's to change: it is never walked again while its runs may
     * be swapping a directory for a link, and the one walk is `chown -R -P`, which changes links
     * themselves and never follows one (coreutils walks by open directory handles).
     */
    async handOverFolder(folder: string): Promise<void> {
      if (!runAsUser) return;
      const pending = handingOver.get(folder);
      if (pending) return pending;
      const work = (async () => {
        const account = findOsUser(runAsUser);
        // A missing user is refused, saying so, when the run starts.
        if (!account) return;
        const programsDir = dirname(folder);
        if ((await stat(programsDir)).gid !== account.gid) {
          await chown(programsDir, process.getuid?.() ?? 0, account.gid);
          await chmod(programsDir, 0o710);
        }
        const owner = await stat(folder);
        if (owner.uid === account.uid && owner.gid === account.gid) return;
        const chownTree = Bun.spawn(["chown", "-R", "-P", `${account.uid}:${account.gid}`, folder], {
          env: { PATH: DEFAULT_PATH },
          stdout: "ignore",
          stderr: "pipe",
        });
        if ((await chownTree.exited) !== 0)
          throw new Error(`chown of ${folder} failed: ${(await new Response(chownTree.stderr).text()).slice(0, 300)}`);
      })();
      handingOver.set(folder, work);
      try {
        await work;
      } finally {
        handingOver.delete(folder);
      }
    },
  };
}
