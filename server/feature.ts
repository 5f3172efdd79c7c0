// What a capability is to the server: one definition per feature folder, declaring its tables,
// settings, permissions, rate classes, HTTP routes, socket protocols and jobs as data, and how to
// create, start and stop its services. createApp loops over the list in features.ts; nothing
// central learns a feature's types (events, settings and permissions are extended by declaration
// merging from the feature's own folder).
import type { Database } from "bun:sqlite";
import type { AppMetrics } from "./app-metrics";
import type { LoginGuard } from "./auth/login-guard";
import type { AccessControl, PermissionSpec } from "./auth/permissions";
import type { ServerKeys } from "./auth/tokens";
import type { CacheFactory } from "./cache";
import type { Clock } from "./clock";
import type { Config } from "./config";
import type { Migration, WriteBatcher } from "./db";
import type { DiskWatch } from "./disk/watch";
import type { EventBus } from "./events";
import type { LocalEntrances } from "./http/local-entrance";
import type { Route } from "./http/router";
import type { SocketProtocol } from "./http/sockets";
import type { Jobs } from "./jobs";
import type { RateClassSpec, RateLimiter } from "./limits/rate-limiter";
import type { Logger } from "./log";
import type { SettingSpec } from "./settings";
import type { Supervisor } from "./supervisor";

/** The shared runtime every feature is created with. */
export interface Core {
  config: Config;
  db: Database;
  /** The key in <data>/secret and keys derived from it per purpose (sealing stored secrets). */
  serverKeys: ServerKeys;
  /** Group commit for writes (one transaction per burst, a savepoint per write). */
  writes: WriteBatcher;
  /** Free space on the data disk: `requireRoom` before taking new data, `toDiskFullError` for ENOSPC, `reportUsage` (disk/watch.ts). */
  disk: DiskWatch;
  events: EventBus;
  clock: Clock;
  log: Logger;
  jobs: Jobs;
  /** Child processes: own process groups, clean environment, bounded output, reaped on stop. */
  supervisor: Supervisor;
  rateLimiter: RateLimiter;
  /** Failed sign-ins per IP and username (lockout). */
  loginGuard: LoginGuard;
  access: AccessControl;
  /** Short-lived caches of per-request state; shared between instances when scaled out. */
  caches: CacheFactory;
  /** Second ways into this server for the local ends of tunnels, which name their visitors (http/local-entrance.ts). */
  entrances: LocalEntrances;
  /** GraphQL operation counts and latencies, and gauges features declare (`appMetrics.gauge`) for GET /metrics. */
  appMetrics: AppMetrics;
}

/** A periodic job a feature declares; one-shot jobs are scheduled through `core.jobs.at`. */
export interface JobSpec {
  name: string;
  everyMs: number;
  runAtStart?: boolean;
  run(): unknown;
}

export interface FeatureDefinition<Name extends string = string, Provided extends object = object, Needs extends object = object> {
  name: Name;
  migrations?: Migration[];
  settings?: SettingSpec[];
  permissions?: PermissionSpec[];
  rateClasses?: RateClassSpec[];
  /** Makes the feature's services; `needs` are services of features earlier in the list. */
  create(core: Core, needs: Needs): Provided | Promise<Provided>;
  routes?(provided: Provided, core: Core): Route[];
  sockets?(provided: Provided, core: Core): SocketProtocol[];
  jobs?(provided: Provided, core: Core): JobSpec[];
  /** Called once the server listens. */
  start?(provided: Provided, core: Core): void | Promise<void>;
  /** Called on shutdown, in reverse list order, before the database closes. */
  stop?(provided: Provided, core: Core): void | Promise<void>;
}

/** Declares a feature; the type parameters are inferred from `create`. */
export function defineFeature<const Name extends string, Provided extends object, Needs extends object = object>(
  definition: FeatureDefinition<Name, Provided, Needs>,
): FeatureDefinition<Name, Provided, Needs> {
  return definition;
}

// biome-ignore lint/suspicious/noExplicitAny: a list of features of any service types; each keeps its own.
export type AnyFeature = FeatureDefinition<string, any, any>;

type UnionToIntersection<U> = (U extends unknown ? (arg: U) => void : never) extends (arg: infer I) => void ? I : never;

/** The services a list of features provides, keyed as each feature's `create` returns them. */
export type ServicesOf<List extends readonly AnyFeature[]> = UnionToIntersection<
  { [I in keyof List]: List[I] extends FeatureDefinition<string, infer Provided, infer _> ? Provided : never }[number]
>;
