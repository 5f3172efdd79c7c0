// The Tunnels page's state: the tunnels (kept current by tunnelEvents), which providers this server
// can run, the start form (provider and its options), and each tunnel's actions (stop, start on
// boot). Starting warns first when an admin signs in with a password alone, since a tunnel puts
// that sign-in on the internet. Views only read these and call actions.

import { createSignal, onCleanup } from "solid-js";
import { createAction, createRowActions } from "../../lib/action";
import { confirmAction } from "../../lib/confirm";
import type { GraphQLRequestError } from "../../lib/graphql";
import { withTunnel } from "./tunnelList";
import {
  fetchTunnelSetup,
  fetchTunnels,
  type StartTunnelInput,
  setTunnelStartOnBoot,
  startTunnel,
  stopTunnel,
  type Tunnel,
  type TunnelProvider,
  type TunnelSetup,
  watchTunnels,
} from "./tunnelsOperations";

export const PROVIDERS: { value: TunnelProvider; label: string }[] = [
  { value: "CLOUDFLARED", label: "Cloudflare (cloudflared)" },
  { value: "NGROK", label: "ngrok" },
  { value: "LOCALTUNNEL", label: "localtunnel" },
];

export type TunnelRowAction = "stop" | "boot";

/** The options of each provider, as typed; blank fields are left out of the call. */
const EMPTY_OPTIONS = { authtoken: "", domain: "", basicAuth: "", allowCidrs: "", token: "", hostname: "", server: "", subdomain: "" };
export type TunnelOptionField = keyof typeof EMPTY_OPTIONS;

export function createTunnels() {
  const [tunnels, setTunnels] = createSignal<readonly Tunnel[]>([]);
  const [setup, setSetup] = createSignal<TunnelSetup | null>(null);
  const [liveError, setLiveError] = createSignal<GraphQLRequestError | null>(null);
  const load = createAction(async () => {
    const [list, found] = await Promise.all([fetchTunnels(), fetchTunnelSetup()]);
    setTunnels(list);
    setSetup(found);
  });
  // Subscribed before loading, so no change between the two is missed.
  const stopWatching = watchTunnels(
    (tunnel) => setTunnels((list) => withTunnel(list, tunnel)),
    (error) => setLiveError(error),
  );
  onCleanup(stopWatching);
  void load.run();

  // ---- The start form ----
  const [provider, setProvider] = createSignal<TunnelProvider>("CLOUDFLARED");
  const [options, setOptions] = createSignal({ ...EMPTY_OPTIONS });
  const [startOnBoot, setStartOnBoot] = createSignal(false);
  const setOption = (field: TunnelOptionField, value: string) => {
    setOptions((all) => ({ ...all, [field]: value }));
    start.clearError();
  };
  const availability = (which: TunnelProvider) => setup()?.tunnelProviders.find((p) => p.provider === which);
  const exposedAdmins = () => setup()?.adminsWithoutSecondFactor ?? [];

  const start = createAction(async () => {
    if (exposedAdmins().length > 0) {
      const goAhead = await confirmAction({
        question: "Open a tunnel while an admin has no second factor?",
        detail: `${exposedAdmins().join(", ")} sign${exposedAdmins().length === 1 ? "s" : ""} in with a password alone. A tunnel puts that sign-in on the internet: turn on two-factor sign-in under Account first.`,
        confirmLabel: "Open anyway",
      });
      if (!goAhead) return;
    }
    const { allowCidrs, ...texts } = options();
    const typed = Object.fromEntries(
      Object.entries(texts)
        .filter(([, value]) => value.trim() !== "")
        .map(([k, v]) => [k, v.trim()]),
    );
    // The allow list is typed as one line of ranges.
    const ranges = allowCidrs.split(/[\s,]+/).filter((range) => range !== "");
    const tunnel = await startTunnel({
      ...typed,
      ...(ranges.length > 0 ? { allowCidrs: ranges } : {}),
      provider: provider(),
      startOnBoot: startOnBoot(),
    } as StartTunnelInput);
    setTunnels((list) => withTunnel(list, tunnel));
    setOptions({ ...EMPTY_OPTIONS });
  });

  // ---- Each tunnel ----
  const rows = createRowActions<TunnelRowAction>();
  async function stop(tunnel: Tunnel) {
    const goAhead = await confirmAction({
      question: `Close the tunnel ${tunnel.publicUrl ?? ""}?`,
      detail: "Whoever uses this address is cut off, and it does not open again when Outpost starts.",
      confirmLabel: "Close tunnel",
    });
    if (!goAhead) return;
    const stopped = await rows.run(tunnel.id, "stop", () => stopTunnel(tunnel.id));
    if (stopped) setTunnels((list) => withTunnel(list, stopped));
  }
  async function toggleStartOnBoot(tunnel: Tunnel) {
    const updated = await rows.run(tunnel.id, "boot", () => setTunnelStartOnBoot(tunnel.id, !tunnel.startOnBoot));
    if (updated) setTunnels((list) => withTunnel(list, updated));
  }

  return {
    tunnels,
    load,
    liveError,
    provider,
    setProvider: (value: TunnelProvider) => {
      setProvider(value);
      start.clearError();
    },
    availability,
    exposedAdmins,
    options,
    setOption,
    startOnBoot,
    setStartOnBoot,
    start,
    rows,
    stop,
    toggleStartOnBoot,
  };
}
