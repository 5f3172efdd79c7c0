// The documented authorization table (README "Roles and permissions"): which permission each
// root field needs, and what each role and API key scope grants. The matrix test checks the
// running server against it; a root field missing here fails that test.

export type Requirement =
  | "public"
  | "signedIn"
  | "kv:read"
  | "kv:write"
  | "files:read"
  | "files:write"
  | "programs:read"
  | "programs:manage"
  | "programs:run"
  | "exec"
  | "system:read"
  | "metrics:read"
  | "processes:read"
  | "processes:signal"
  | "jobs:read"
  | "audit:read"
  | "users:manage"
  | "keys:manage"
  | "account"
  | "terminals";

export const FIELD_REQUIREMENTS: Record<string, Requirement> = {
  // sign-in
  "query.health": "public",
  "mutation.setup": "public",
  "mutation.login": "public",
  "mutation.refresh": "public",
  "query.me": "signedIn",
  "mutation.logout": "account",
  // self-service
  "query.mySessions": "account",
  "mutation.changePassword": "account",
  "mutation.revokeSession": "account",
  "mutation.revokeAllSessions": "account",
  "mutation.beginTotpSetup": "account",
  "mutation.confirmTotpSetup": "account",
  "mutation.disableTotp": "account",
  "query.apiKeys": "account",
  "query.apiKeyScopes": "account",
  "mutation.createApiKey": "account",
  "mutation.revokeApiKey": "account",
  "query.allApiKeys": "keys:manage",
  // users
  "query.users": "users:manage",
  "mutation.createUser": "users:manage",
  "mutation.setUserRole": "users:manage",
  "mutation.setUserDisabled": "users:manage",
  "mutation.deleteUser": "users:manage",
  "mutation.resetUserPassword": "users:manage",
  "mutation.removeUserTotp": "users:manage",
  // data
  "query.kv": "kv:read",
  "query.kvEntries": "kv:read",
  "subscription.kvChanged": "kv:read",
  "mutation.setKv": "kv:write",
  "mutation.deleteKv": "kv:write",
  "query.exportKv": "kv:read",
  "mutation.importKv": "kv:write",
  "mutation.deleteKvMany": "kv:write",
  // files
  "query.files": "files:read",
  "query.file": "files:read",
  "query.folders": "files:read",
  "query.storage": "files:read",
  "subscription.fileEvents": "files:read",
  "query.shareLinks": "files:write",
  "mutation.uploadFile": "files:write",
  "mutation.createFolder": "files:write",
  "mutation.moveFile": "files:write",
  "mutation.renameFile": "files:write",
  "mutation.deleteFile": "files:write",
  "mutation.deleteFolder": "files:write",
  "mutation.createShareLink": "files:write",
  "mutation.revokeShareLink": "files:write",
  // programs
  "query.programs": "programs:read",
  "query.program": "programs:read",
  "mutation.uploadProgram": "programs:manage",
  "mutation.installProgram": "programs:manage",
  "mutation.setProgramEntry": "programs:manage",
  "mutation.renameProgram": "programs:manage",
  "mutation.deleteProgram": "programs:manage",
  "query.runs": "programs:read",
  "query.run": "programs:read",
  "subscription.runOutput": "programs:read",
  "subscription.runEvents": "programs:read",
  "mutation.startRun": "programs:run",
  "mutation.cancelRun": "programs:run",
  "mutation.exec": "exec",
  // host
  "query.system": "system:read",
  "query.jobs": "jobs:read",
  // metrics
  "query.metrics": "metrics:read",
  "subscription.metricsUpdated": "metrics:read",
  "query.metricsHistory": "metrics:read",
  "query.metricSeries": "metrics:read",
  "query.processes": "processes:read",
  "mutation.signalProcess": "processes:signal",
  // terminals
  "query.terminals": "terminals",
  "mutation.openTerminal": "terminals",
  "mutation.writeTerminal": "terminals",
  "mutation.resizeTerminal": "terminals",
  "mutation.closeTerminal": "terminals",
  "subscription.terminalOutput": "terminals",
  // audit
  "query.auditLog": "audit:read",
  "subscription.auditEvents": "audit:read",
};

export const ROLE_GRANTS: Record<"viewer" | "operator" | "admin", Requirement[]> = {
  viewer: ["signedIn", "account", "kv:read", "system:read", "metrics:read", "processes:read", "files:read", "programs:read"],
  operator: [
    "signedIn",
    "account",
    "kv:read",
    "system:read",
    "metrics:read",
    "processes:read",
    "kv:write",
    "files:read",
    "files:write",
    "programs:read",
    "programs:manage",
    "programs:run",
  ],
  admin: [
    "signedIn",
    "account",
    "kv:read",
    "system:read",
    "kv:write",
    "files:read",
    "files:write",
    "programs:read",
    "programs:manage",
    "programs:run",
    "exec",
    "audit:read",
    "users:manage",
    "keys:manage",
    "jobs:read",
    "metrics:read",
    "processes:read",
    "processes:signal",
    "terminals",
  ],
};
