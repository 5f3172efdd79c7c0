// Facts about the machine Outpost runs on, for the footer of every page.

import { query } from "./graphql";

export interface SystemSummary {
  hostname: string;
  arch: string;
  version: string;
}

export async function fetchSystemSummary(): Promise<SystemSummary> {
  const { system } = await query<{ system: SystemSummary }>("query SystemSummary { system { hostname arch version } }");
  return system;
}
