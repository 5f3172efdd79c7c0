// The Processes page's GraphQL operations: the host's processes (processes:read) and signals to
// them (processes:signal).

import { query } from "../../lib/graphql";
import { graphql, type ResultOf, type SchemaEnum, type VariablesOf } from "../../lib/operation";

const PROCESSES = graphql(`query Processes($sortBy: ProcessSort, $limit: Int, $filter: String) {
  processes(sortBy: $sortBy, limit: $limit, filter: $filter) { pid parentPid user name command cpuPercent memoryBytes state threads startedAt kernelThread }
}`);
const SIGNAL_PROCESS = graphql("mutation SignalProcess($pid: Int!, $signal: ProcessSignal!) { signalProcess(pid: $pid, signal: $signal) }");

export type ProcessRow = ResultOf<typeof PROCESSES>["processes"][number];
export type ProcessSort = SchemaEnum<"ProcessSort">;
export type ProcessSignal = SchemaEnum<"ProcessSignal">;

export async function fetchProcesses(variables: VariablesOf<typeof PROCESSES>): Promise<readonly ProcessRow[]> {
  const { processes } = await query(PROCESSES, variables);
  return processes;
}

export async function signalProcess(pid: number, signal: ProcessSignal): Promise<void> {
  await query(SIGNAL_PROCESS, { pid, signal });
}
