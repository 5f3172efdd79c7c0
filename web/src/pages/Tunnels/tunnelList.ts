// The list of tunnels as the page and the indicator keep it: a change replaces its tunnel in place.

import type { Tunnel } from "./tunnelsOperations";

/** `list` with `tunnel` put in its place (or added at the end). */
export function withTunnel(list: readonly Tunnel[], tunnel: Tunnel): readonly Tunnel[] {
  return list.some((each) => each.id === tunnel.id) ? list.map((each) => (each.id === tunnel.id ? tunnel : each)) : [...list, tunnel];
}

/** Whether a tunnel is still open (its URL may be used). */
export const isOpen = (tunnel: Tunnel) => tunnel.state !== "STOPPED" && tunnel.state !== "FAILED";
