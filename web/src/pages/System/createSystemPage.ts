// The System page's state: facts about the host and this server and, for those who may list
// them, the background jobs; fetched when the page opens, on Refresh, and every half minute while
// it stays open (uptime and job runs move on).

import { createSignal, onCleanup } from "solid-js";
import { createAction } from "../../lib/action";
import { currentUser } from "../../lib/auth";
import { hasPermission } from "../../lib/permissions";
import { fetchJobs, fetchSystemInfo, type Job, type SystemInfo } from "./systemOperations";

const REFRESH_MS = 30_000;

export function createSystemPage() {
  const [info, setInfo] = createSignal<SystemInfo | null>(null);
  const [jobs, setJobs] = createSignal<readonly Job[] | null>(null);
  const load = createAction(async () => {
    const mayListJobs = hasPermission(currentUser(), "jobs:read");
    const [system, jobList] = await Promise.all([fetchSystemInfo(), mayListJobs ? fetchJobs() : null]);
    setInfo(system);
    setJobs(jobList);
  });
  void load.run();
  const timer = setInterval(() => void load.run(), REFRESH_MS);
  onCleanup(() => clearInterval(timer));

  return { info, jobs, loading: load.busy, error: load.error, refresh: () => void load.run() };
}

export type SystemPageState = ReturnType<typeof createSystemPage>;
