// Facts about the machine Outpost runs on, for the footer of every page.

import { query } from "./graphql";
import { graphql, type ResultOf } from "./operation";

const SYSTEM_SUMMARY = graphql("query SystemSummary { system { hostname arch version } }");

export type SystemSummary = ResultOf<typeof SYSTEM_SUMMARY>["system"];

export async function fetchSystemSummary(): Promise<SystemSummary> {
  const { system } = await query(SYSTEM_SUMMARY);
  return system;
}
