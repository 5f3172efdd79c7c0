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
  | "alerts:read"
  | "alerts:manage"
  | "jobs:read"
  | "audit:read"
  | "users:manage"
  | "keys:manage"
  | "account"
  | "terminals"
  | "tunnels:manage";

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
  "query.runLimits": "programs:read",
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
  "query.appMetrics": "metrics:read",
  "query.processes": "processes:read",
  "mutation.signalProcess": "processes:signal",
  // alerts
  "query.alerts": "alerts:read",
  "query.openAlerts": "alerts:read",
  "query.alertRules": "alerts:read",
  "subscription.alertEvents": "alerts:read",
  "mutation.acknowledgeAlert": "alerts:manage",
  "mutation.createAlertRule": "alerts:manage",
  "mutation.updateAlertRule": "alerts:manage",
  "mutation.setAlertRuleEnabled": "alerts:manage",
  "mutation.deleteAlertRule": "alerts:manage",
  "query.alertWebhooks": "alerts:manage",
  "query.alertDeliveries": "alerts:manage",
  "mutation.createAlertWebhook": "alerts:manage",
  "mutation.updateAlertWebhook": "alerts:manage",
  "mutation.deleteAlertWebhook": "alerts:manage",
  "mutation.testAlertWebhook": "alerts:manage",
  // terminals
  "query.terminals": "terminals",
  "query.terminalSharePartners": "terminals",
  "mutation.openTerminal": "terminals",
  "mutation.writeTerminal": "terminals",
  "mutation.resizeTerminal": "terminals",
  "mutation.shareTerminal": "terminals",
  "mutation.closeTerminal": "terminals",
  "subscription.terminalOutput": "terminals",
  // tunnels
  "query.tunnels": "tunnels:manage",
  "query.tunnelProviders": "tunnels:manage",
  "query.adminsWithoutSecondFactor": "tunnels:manage",
  "mutation.startTunnel": "tunnels:manage",
  "mutation.stopTunnel": "tunnels:manage",
  "mutation.setTunnelStartOnBoot": "tunnels:manage",
  "subscription.tunnelEvents": "tunnels:manage",
  // audit
  "query.auditLog": "audit:read",
  "subscription.auditEvents": "audit:read",
};

export const ROLE_GRANTS: Record<"viewer" | "operator" | "admin", Requirement[]> = {
  viewer: ["signedIn", "account", "kv:read", "system:read", "metrics:read", "processes:read", "alerts:read", "files:read", "programs:read"],
  operator: [
    "signedIn",
    "account",
    "kv:read",
    "system:read",
    "metrics:read",
    "processes:read",
    "alerts:read",
    "alerts:manage",
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
    "alerts:read",
    "alerts:manage",
    "terminals",
    "tunnels:manage",
  ],
};
