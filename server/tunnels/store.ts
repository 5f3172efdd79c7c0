// The only SQL of tunnels: the list of tunnels restored when Outpost starts.
import type { Database } from "bun:sqlite";
import type { TunnelOptions, TunnelProvider } from "./connection";

export interface BootTunnel {
  id: string;
  provider: TunnelProvider;
  /** Without secrets. */
  options: TunnelOptions;
  /** The user who started it, or null when they are gone. */
  startedBy: string | null;
}

interface BootRow {
  id: string;
  provider: TunnelProvider;
  options: string;
  started_by: string | null;
}

export function createTunnelStore(db: Database) {
  const insert = db.query("INSERT OR REPLACE INTO tunnels_on_boot (id, provider, options, started_by, created_at) VALUES (?, ?, ?, ?, ?)");
  const remove = db.query("DELETE FROM tunnels_on_boot WHERE id = ?");
  const all = db.query<BootRow, []>("SELECT id, provider, options, started_by FROM tunnels_on_boot ORDER BY created_at");
  return {
    add: (tunnel: BootTunnel, nowMs: number) =>
      insert.run(tunnel.id, tunnel.provider, JSON.stringify(tunnel.options), tunnel.startedBy, nowMs),
    remove: (id: string) => remove.run(id).changes > 0,
    all: (): BootTunnel[] =>
      all.all().map((row) => ({ id: row.id, provider: row.provider, options: JSON.parse(row.options), startedBy: row.started_by })),
  };
}

export type TunnelStore = ReturnType<typeof createTunnelStore>;
