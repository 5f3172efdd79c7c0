// Tables of tunnels: the ones that start when Outpost starts. Secrets (tokens, basic auth) are
// never written here; a restored tunnel takes its token from the settings.
import type { Migration } from "../db";

export const tunnelMigrations: Migration[] = [
  {
    id: "tunnels-001-on-boot",
    sql: `
      CREATE TABLE tunnels_on_boot (
        id TEXT PRIMARY KEY,
        provider TEXT NOT NULL,
        options TEXT NOT NULL,
        started_by TEXT,
        created_at INTEGER NOT NULL
      );
    `,
  },
];
