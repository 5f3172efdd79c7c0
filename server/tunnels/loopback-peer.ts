// Whether a connection to a loopback port comes from a given process: the connection's four ends
// (peer address and port, our address and port) are looked up in /proc/net/tcp for the socket's
// inode, which must be one of the process's open file descriptors. This is how a loopback entrance
// tells its own tunnel client (cloudflared) from any other local caller, which may not name visitors.

import { readdirSync, readFileSync, readlinkSync } from "node:fs";
import { isIPv4 } from "node:net";
import type { LoopbackConnection } from "../http/local-entrance";

/** Matched sockets and connections remembered; a kept-alive client holds a handful. */
const MAX_KNOWN = 1024;
/**
 * How long a vouched-for connection is believed without reading /proc/net/tcp again (a read costs
 * milliseconds with many sockets open). Bounded because we cannot see a connection close: only after
 * cloudflared closed it could another process take the same four ends, and then only this long.
 */
const VOUCHED_FOR_MS = 1000;

/** An IPv4 address and port as /proc/net/tcp writes them: the address's bytes in host (little-endian) order. */
function procEndpoint(address: string, port: number): string {
  const bytes = address.split(".").map((b) => Number(b).toString(16).toUpperCase().padStart(2, "0"));
  return `${bytes.reverse().join("")}:${port.toString(16).toUpperCase().padStart(4, "0")}`;
}

/** The inode of the IPv4 socket with exactly these four ends, seen from the peer's side; or null. */
function socketInode({ peerAddress, peerPort, localAddress, localPort }: LoopbackConnection): string | null {
  if (!isIPv4(peerAddress) || !isIPv4(localAddress)) return null;
  const peerEnd = procEndpoint(peerAddress, peerPort);
  const localEnd = procEndpoint(localAddress, localPort);
  let table: string;
  try {
    table = readFileSync("/proc/net/tcp", "latin1");
  } catch {
    return null;
  }
  for (const line of table.split("\n")) {
    const fields = line.trim().split(/\s+/);
    if (fields[1] === peerEnd && fields[2] === localEnd) return fields[9] ?? null;
  }
  return null;
}

/** Whether socket `inode` is open in process `pid`. */
function processHoldsSocket(pid: number, inode: string): boolean {
  let fds: string[];
  try {
    fds = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return false;
  }
  const wanted = `socket:[${inode}]`;
  for (const fd of fds) {
    try {
      if (readlinkSync(`/proc/${pid}/fd/${fd}`) === wanted) return true;
    } catch {
      // Closed meanwhile.
    }
  }
  return false;
}

/**
 * A check for one process: `owns(connection)` is true when that loopback connection's socket is
 * open in process `pid`. A connection vouched for is believed for a second without looking again;
 * sockets already matched are remembered by inode, so `/proc/<pid>/fd` is walked once per socket.
 */
export function loopbackPeerCheck(pid: number, now: () => number = () => performance.now()): (connection: LoopbackConnection) => boolean {
  const knownInodes = new Set<string>();
  const vouchedUntil = new Map<string, number>();
  return (connection) => {
    const key = `${connection.peerAddress}:${connection.peerPort}>${connection.localAddress}:${connection.localPort}`;
    const until = vouchedUntil.get(key);
    if (until !== undefined && until > now()) return true;
    vouchedUntil.delete(key);
    const inode = socketInode(connection);
    if (!inode || inode === "0") return false;
    if (!knownInodes.has(inode)) {
      if (!processHoldsSocket(pid, inode)) return false;
      // Inodes of closed sockets are not reused soon, but the set must not grow forever.
      if (knownInodes.size >= MAX_KNOWN) knownInodes.clear();
      knownInodes.add(inode);
    }
    if (vouchedUntil.size >= MAX_KNOWN) vouchedUntil.clear();
    vouchedUntil.set(key, now() + VOUCHED_FOR_MS);
    return true;
  };
}
