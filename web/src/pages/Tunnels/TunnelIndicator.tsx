// The layout's sign that the box is on the internet: shown to those who manage tunnels while one is
// online, linking to the Tunnels page.

import { A } from "@solidjs/router";
import { createEffect, createSignal, onCleanup, Show } from "solid-js";
import { currentUser } from "../../lib/auth";
import { hasPermission } from "../../lib/permissions";
import { withTunnel } from "./tunnelList";
import { fetchTunnels, type Tunnel, watchTunnels } from "./tunnelsOperations";

export function TunnelIndicator() {
  const [tunnels, setTunnels] = createSignal<readonly Tunnel[]>([]);
  createEffect(() => {
    if (!hasPermission(currentUser(), "tunnels:manage")) return setTunnels([]);
    // The indicator is a hint, not a page: a failed load or a dropped subscription shows nothing.
    const stop = watchTunnels(
      (tunnel) => setTunnels((list) => withTunnel(list, tunnel)),
      () => {},
    );
    fetchTunnels().then(setTunnels, () => {});
    onCleanup(stop);
  });
  const online = () => tunnels().filter((t) => t.state === "ONLINE").length;
  return (
    <Show when={online() > 0}>
      <A href="/tunnels" class="tunnel-indicator" data-testid="tunnel-indicator" title="Outpost is reachable from the internet">
        {online() === 1 ? "Tunnel online" : `${online()} tunnels online`}
      </A>
    </Show>
  );
}
