// Finds which process listens on a TCP port, from /proc (no child process), so that "port in use"
// can say who holds it. Only processes this user may inspect can be named.
import { readdirSync, readFileSync, readlinkSync } from "node:fs";
import { basename } from "node:path";

function listeningInodes(port: number): Set<string> {
  const inodes = new Set<string>();
  const hexPort = port.toString(16).toUpperCase().padStart(4, "0");
  for (const table of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    let text: string;
    try {
      text = readFileSync(table, "utf8");
    } catch {
      continue;
    }
    for (const line of text.split("\n").slice(1)) {
      const cols = line.trim().split(/\s+/);
      // cols[1] is local "ADDR:PORT", cols[3] the state (0A = LISTEN), cols[9] the inode.
      if (cols.length > 9 && cols[1]?.endsWith(`:${hexPort}`) && cols[3] === "0A") inodes.add(cols[9] as string);
    }
  }
  return inodes;
}

/** The program's file name from its command line; `comm` is cut at 15 characters. */
function processName(pid: string): string {
  const argv0 = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0")[0];
  return argv0 ? basename(argv0) : readFileSync(`/proc/${pid}/comm`, "utf8").trim();
}

/** "name (pid N)" of the process listening on `port`, or null when it cannot be seen. */
export function describePortHolder(port: number): string | null {
  const inodes = listeningInodes(port);
  if (inodes.size === 0) return null;
  let pids: string[];
  try {
    pids = readdirSync("/proc").filter((name) => /^\d+$/.test(name));
  } catch {
    return null;
  }
  for (const pid of pids) {
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      try {
        const target = readlinkSync(`/proc/${pid}/fd/${fd}`);
        const inode = /^socket:\[(\d+)\]$/.exec(target)?.[1];
        if (inode && inodes.has(inode)) {
          return `${processName(pid)} (pid ${pid})`;
        }
      } catch {
        // The fd closed while we looked; go on.
      }
    }
  }
  return null;
}
