// Key-value data: versioned entries with TTL and compare-and-set, and their live changes; bounded
// per key, value and page, by quotas on the whole store, and by a write rate per user.
import { defineFeature } from "../feature";
import { kvMigrations } from "./migrations";
import { createKvService, type KvChange } from "./service";
import { createKvStore } from "./store";

declare module "../events" {
  interface EventMap {
    "kv.changed": KvChange;
  }
}
declare module "../auth/permissions" {
  interface Permissions {
    "kv:read": true;
    "kv:write": true;
  }
}
declare module "../settings" {
  interface FeatureSettings {
    kvMaxKeyBytes: number;
    kvMaxValueBytes: number;
    kvMaxPageBytes: number;
    kvMaxTotalBytes: number;
    kvMaxKeys: number;
    kvMaxBulkEntries: number;
    kvMaxBulkBytes: number;
  }
}
declare module "../limits/rate-limiter" {
  interface RateClasses {
    kvWrite: true;
  }
}

const TOMBSTONE_PURGE_INTERVAL_MS = 60 * 60 * 1000;

export const kvFeature = defineFeature({
  name: "kv",
  migrations: kvMigrations,
  settings: [
    { key: "kvMaxKeyBytes", kind: "int", default: 512, min: 1, max: 4096, description: "largest key (bytes)" },
    { key: "kvMaxValueBytes", kind: "int", default: 1 << 20, min: 16, max: 64 << 20, description: "largest value, as JSON (bytes)" },
    {
      key: "kvMaxPageBytes",
      kind: "int",
      default: 4 << 20,
      min: 1024,
      max: 256 << 20,
      description: "most value bytes in a kvEntries page, shared by the pages of one request (a page always holds one entry)",
    },
    {
      key: "kvMaxTotalBytes",
      kind: "int",
      default: 256 << 20,
      min: 1024,
      max: 2 ** 40,
      description: "quota: total size of all key-value values, as JSON (bytes)",
    },
    { key: "kvMaxKeys", kind: "int", default: 100_000, min: 1, max: 100_000_000, description: "quota: number of keys" },
    {
      key: "kvMaxBulkEntries",
      kind: "int",
      default: 1000,
      min: 1,
      max: 100_000,
      description: "most entries one importKv, deleteKvMany or exportKv takes or returns",
    },
    {
      key: "kvMaxBulkBytes",
      kind: "int",
      default: 2 << 20,
      min: 1024,
      max: 256 << 20,
      description: "most value bytes (as JSON) one importKv or exportKv carries; an import must also fit max_request_body_bytes",
    },
  ],
  rateClasses: [
    {
      name: "kvWrite",
      defaultPerMinute: 600,
      description: "key-value writes (setKv, deleteKv; importKv and deleteKvMany count once) per user",
    },
  ],
  permissions: [
    { name: "kv:read", roles: ["viewer", "operator"], description: "read key-value data and watch its changes" },
    { name: "kv:write", roles: ["operator"], description: "set and delete key-value data" },
  ],
  create: (core) => ({
    kv: createKvService({
      store: createKvStore(core.db),
      writes: core.writes,
      events: core.events,
      log: core.log,
      maxKeyBytes: core.config.kvMaxKeyBytes,
      maxValueBytes: core.config.kvMaxValueBytes,
      maxPageBytes: core.config.kvMaxPageBytes,
      maxTotalBytes: core.config.kvMaxTotalBytes,
      maxKeys: core.config.kvMaxKeys,
      maxBulkEntries: core.config.kvMaxBulkEntries,
      maxBulkBytes: core.config.kvMaxBulkBytes,
      rateLimiter: core.rateLimiter,
      disk: core.disk,
      clock: core.clock,
      jobs: core.jobs,
    }),
  }),
  jobs: ({ kv }) => [{ name: "kv.tombstone-purge", everyMs: TOMBSTONE_PURGE_INTERVAL_MS, run: () => kv.purgeTombstones() }],
  start: ({ kv }) => kv.start(),
  stop: ({ kv }) => kv.stop(),
});
