// Whether a connection to a loopback port comes from a given process: the connecting socket (our
// peer's port on 127.0.0.1) is looked up in /proc/net/tcp for its inode, which must be one of the
// process's open file descriptors. This is how a loopback entrance tells its own tunnel client
// (cloudflared) from any other local caller, which may not name visitors.
import { readdirSync, readFileSync, readlinkSync } from "node:fs";

/** Matched sockets remembered; a kept-alive client holds a handful. */
const MAX_KNOWN = 1024;

/** The inode of the IPv4 socket from 127.0.0.1:`peerPort` to 127.0.0.1:`serverPort`, or null. */
function loopbackSocketInode(peerPort: number, serverPort: number): string | null {
  const hex = (port: number) => port.toString(16).toUpperCase().padStart(4, "0");
  const local = `0100007F:${hex(peerPort)}`;
  const remote = `0100007F:${hex(serverPort)}`;
  let table: string;
  try {
    table = readFileSync("/proc/net/tcp", "latin1");
  } catch {
    return null;
  }
  for (const line of table.split("\n")) {
    const fields = line.trim().split(/\s+/);
    if (fields[1] === local && fields[2] === remote) return fields[9] ?? null;
  }
  return null;
}

/**
 * A check for one process: `owns(peerPort, serverPort)` is true when that loopback connection's
 * socket is open in process `pid`. Sockets already matched are remembered by inode, so a kept-alive
 * connection costs one read of /proc/net/tcp per request.
 */
export function loopbackPeerCheck(pid: number): (peerPort: number, serverPort: number) => boolean {
  const known = new Set<string>();
  return (peerPort, serverPort) => {
    const inode = loopbackSocketInode(peerPort, serverPort);
    if (!inode || inode === "0") return false;
    if (known.has(inode)) return true;
    // Inodes of closed sockets are not reused soon, but the set must not grow forever.
    if (known.size >= MAX_KNOWN) known.clear();
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      return false;
    }
    const wanted = `socket:[${inode}]`;
    for (const fd of fds) {
      try {
        if (readlinkSync(`/proc/${pid}/fd/${fd}`) === wanted) {
          known.add(inode);
          return true;
        }
      } catch {
        // Closed meanwhile.
      }
    }
    return false;
  };
}
