// Files: a store for files of any size (photos, logs, firmware images, backups) with folders,
// quotas, resumable uploads over tus, Range downloads and public share links. Contents live under
// <data>/files/<id>, never under a name a user chose; names and folders are metadata.
import type { AuditService } from "../audit/service";
import { defineFeature } from "../feature";
import { createFileChanges, type FileChange } from "./changes";
import { downloadRoutes } from "./downloads";
import { createFolderTree } from "./folders";
import { createFileIntake } from "./intake";
import { filesMigrations } from "./migrations";
import { createQuota } from "./quota";
import { createFilesService } from "./service";
import { createShareLinks } from "./shares";
import { createFilesStore } from "./store";
import { createStoredBytes } from "./stored-bytes";
import { tusRoutes } from "./tus";
import { createResumableUploads } from "./uploads";

declare module "../events" {
  interface EventMap {
    "file.changed": FileChange;
  }
}
declare module "../auth/permissions" {
  interface Permissions {
    "files:read": true;
    "files:write": true;
  }
}
declare module "../settings" {
  interface FeatureSettings {
    filesMaxFileBytes: number;
    filesQuotaBytes: number | null;
    filesUserQuotaBytes: number | null;
    filesUploadExpiryHours: number;
    filesMaxUnfinishedUploads: number;
    filesMaxFolders: number;
    filesMaxShareLinksPerFile: number;
  }
}
declare module "../limits/rate-limiter" {
  interface RateClasses {
    upload: true;
  }
}

/** Without a quota setting the store may fill this share of the data disk. */
const DEFAULT_QUOTA_SHARE = 0.8;
const SWEEP_INTERVAL_MS = 15 * 60 * 1000;

export const filesFeature = defineFeature({
  name: "files",
  migrations: filesMigrations,
  settings: [
    { key: "filesMaxFileBytes", kind: "int", default: 2 ** 31, min: 1, max: 2 ** 42, description: "largest file (bytes)" },
    {
      key: "filesQuotaBytes",
      kind: "int",
      default: null,
      nullable: true,
      min: 0,
      max: 2 ** 50,
      description: "quota: all stored files together (bytes; default 80 % of the data disk)",
    },
    {
      key: "filesUserQuotaBytes",
      kind: "int",
      default: null,
      nullable: true,
      min: 0,
      max: 2 ** 50,
      description: "quota: one user's files (bytes; default none)",
    },
    {
      key: "filesUploadExpiryHours",
      kind: "int",
      default: 24,
      min: 1,
      max: 24 * 30,
      description: "hours an unfinished upload is kept without receiving bytes",
    },
    {
      key: "filesMaxUnfinishedUploads",
      kind: "int",
      default: 20,
      min: 1,
      max: 1000,
      description: "unfinished uploads one user may have at once",
    },
    { key: "filesMaxFolders", kind: "int", default: 10_000, min: 1, max: 1_000_000, description: "folders the file store may hold" },
    {
      key: "filesMaxShareLinksPerFile",
      kind: "int",
      default: 20,
      min: 1,
      max: 1000,
      description: "share links one file may have (not counting revoked ones)",
    },
  ],
  rateClasses: [{ name: "upload", defaultPerMinute: 600, description: "resumable upload requests (tus) per IP and per user" }],
  permissions: [
    { name: "files:read", roles: ["viewer", "operator"], description: "browse and download files, watch uploads" },
    { name: "files:write", roles: ["operator"], description: "upload, move, rename and delete files and folders; make share links" },
  ],
  create: (core, { audit }: { audit: AuditService }) => {
    const { config } = core;
    const store = createFilesStore(core.db);
    const bytes = createStoredBytes(config.dataDir);
    const quota = createQuota({
      store,
      limits: {
        maxFileBytes: config.filesMaxFileBytes,
        quotaBytes: config.filesQuotaBytes ?? Math.floor(core.disk.state().totalBytes * DEFAULT_QUOTA_SHARE),
        userQuotaBytes: config.filesUserQuotaBytes,
      },
    });
    const fileChanges = createFileChanges({ events: core.events, clock: core.clock });
    const folders = createFolderTree({
      store,
      bytes,
      writes: core.writes,
      changes: fileChanges,
      clock: core.clock,
      maxFolders: config.filesMaxFolders,
    });
    // What the files service and the intake both work with.
    const storeParts = {
      store,
      bytes,
      quota,
      disk: core.disk,
      folders,
      changes: fileChanges,
      writes: core.writes,
      clock: core.clock,
      log: core.log,
    };
    const files = createFilesService(storeParts);
    const fileIntake = createFileIntake(storeParts);
    const uploads = createResumableUploads({
      store,
      bytes,
      quota,
      disk: core.disk,
      intake: fileIntake,
      changes: fileChanges,
      writes: core.writes,
      clock: core.clock,
      expiryMs: config.filesUploadExpiryHours * 3_600_000,
      maxUploadsPerUser: config.filesMaxUnfinishedUploads,
    });
    const shares = createShareLinks({ store, writes: core.writes, clock: core.clock, maxLinksPerFile: config.filesMaxShareLinksPerFile });
    core.disk.reportUsage("files", () => store.usage("*").bytes + quota.pendingBytes());
    // `audit` is the audit feature's own service, passed on for the routes (completed uploads are audited there).
    core.appMetrics.gauge("uploads_unfinished", "Resumable file uploads started and not yet complete.", store.unfinishedUploads);
    return { files, folders, fileIntake, fileChanges, uploads, shares, audit };
  },
  routes: ({ files, uploads, shares, audit }, core) => [
    ...tusRoutes({ uploads, audit, maxFileBytes: core.config.filesMaxFileBytes }),
    ...downloadRoutes({ files, shares }),
  ],
  jobs: ({ uploads }) => [{ name: "files.upload-expiry", everyMs: SWEEP_INTERVAL_MS, run: () => uploads.sweep() }],
  start: async ({ files, uploads }) => {
    await files.reconcileStored();
    await uploads.recover();
  },
});
