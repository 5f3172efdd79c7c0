// Tunnels' GraphQL operations (for those with tunnels:manage), typed for the Tunnels page and the
// layout's indicator.

import type { GraphQLRequestError } from "../../lib/graphql";
import { query, subscribe } from "../../lib/graphql";
import { graphql, type ResultOf, type VariablesOf } from "../../lib/operation";

const TUNNEL_FIELDS = "id provider publicUrl state since lastError startOnBoot requests reconnects startedByName";

const TUNNELS = graphql(`query Tunnels { tunnels { ${TUNNEL_FIELDS} } }`);

export type Tunnel = ResultOf<typeof TUNNELS>["tunnels"][number];
export type TunnelProvider = Tunnel["provider"];

export async function fetchTunnels(): Promise<readonly Tunnel[]> {
  const { tunnels } = await query(TUNNELS);
  return tunnels;
}

const TUNNEL_SETUP = graphql(`query TunnelSetup {
  tunnelProviders { provider available reason }
  adminsWithoutSecondFactor
}`);

export type TunnelSetup = ResultOf<typeof TUNNEL_SETUP>;

/** Which providers this server can run, and which admins would be exposed without a second factor. */
export function fetchTunnelSetup(): Promise<TunnelSetup> {
  return query(TUNNEL_SETUP);
}

const START_TUNNEL = graphql(`mutation StartTunnel(
  $provider: TunnelProvider!, $startOnBoot: Boolean, $authtoken: String, $domain: String, $basicAuth: String,
  $allowCidrs: [String!], $token: String, $hostname: String, $server: String, $subdomain: String
) {
  startTunnel(
    provider: $provider, startOnBoot: $startOnBoot, authtoken: $authtoken, domain: $domain, basicAuth: $basicAuth,
    allowCidrs: $allowCidrs, token: $token, hostname: $hostname, server: $server, subdomain: $subdomain
  ) { ${TUNNEL_FIELDS} }
}`);

export type StartTunnelInput = VariablesOf<typeof START_TUNNEL>;

/** Resolves once the tunnel is online; fails (within the server's start timeout) with why it is not. */
export async function startTunnel(input: StartTunnelInput): Promise<Tunnel> {
  const { startTunnel } = await query(START_TUNNEL, input);
  return startTunnel;
}

const STOP_TUNNEL = graphql(`mutation StopTunnel($id: ID!) { stopTunnel(id: $id) { ${TUNNEL_FIELDS} } }`);

export async function stopTunnel(id: string): Promise<Tunnel> {
  const { stopTunnel } = await query(STOP_TUNNEL, { id });
  return stopTunnel;
}

const SET_START_ON_BOOT = graphql(`mutation SetTunnelStartOnBoot($id: ID!, $startOnBoot: Boolean!) {
  setTunnelStartOnBoot(id: $id, startOnBoot: $startOnBoot) { ${TUNNEL_FIELDS} }
}`);

export async function setTunnelStartOnBoot(id: string, startOnBoot: boolean): Promise<Tunnel> {
  const { setTunnelStartOnBoot } = await query(SET_START_ON_BOOT, { id, startOnBoot });
  return setTunnelStartOnBoot;
}

const TUNNEL_EVENTS = graphql(`subscription TunnelEvents { tunnelEvents { ${TUNNEL_FIELDS} } }`);

/** Every change of a tunnel, as it then is; returns the function that stops listening. */
export function watchTunnels(onTunnel: (tunnel: Tunnel) => void, onError: (error: GraphQLRequestError) => void): () => void {
  return subscribe(TUNNEL_EVENTS, {}, ({ tunnelEvents }) => onTunnel(tunnelEvents), onError);
}
