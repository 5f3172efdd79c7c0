// The System page's GraphQL operations: facts about the host and this server (system:read), and
// the server's background jobs (jobs:read).

import { query } from "../../lib/graphql";
import { graphql, type ResultOf } from "../../lib/operation";

const SYSTEM_INFO = graphql(`query SystemInfo {
  system { hostname os kernel arch boardModel uptimeSeconds version bunVersion buildTarget startedAt }
}`);

export type SystemInfo = ResultOf<typeof SYSTEM_INFO>["system"];

export async function fetchSystemInfo(): Promise<SystemInfo> {
  const { system } = await query(SYSTEM_INFO);
  return system;
}

const JOBS = graphql("query Jobs { jobs { name kind intervalMs lastRunAt lastDurationMs nextRunAt lastError runs running } }");

export type Job = ResultOf<typeof JOBS>["jobs"][number];

/** The background jobs, by name. */
export async function fetchJobs(): Promise<readonly Job[]> {
  const { jobs } = await query(JOBS);
  return jobs;
}
