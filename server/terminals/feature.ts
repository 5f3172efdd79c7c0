// Terminals: shells in pseudo-terminals kept on the server, to leave and resume from any device.
// Admin-only unless terminals_for_operators: a terminal is a shell as the user Outpost runs as.

import type { AuditService } from "../audit/service";
import { defineFeature } from "../feature";
import type { RunsService } from "../programs/runs";
import type { UserService } from "../users/service";
import { createTerminalService, type TerminalEndedEvent, type TerminalOutputEvent } from "./service";
import { terminalSocketProtocol } from "./socket";

declare module "../events" {
  interface EventMap {
    "terminal.output": TerminalOutputEvent;
    "terminal.ended": TerminalEndedEvent;
  }
}
declare module "../auth/permissions" {
  interface Permissions {
    terminals: true;
  }
}
declare module "../settings" {
  interface FeatureSettings {
    terminalsMaxPerUser: number;
    terminalsMaxTotal: number;
    terminalScrollbackBytes: number;
    terminalIdleTimeoutMinutes: number;
    terminalStartNoticeSeconds: number;
    terminalsForOperators: boolean;
  }
}

/** How often sessions are checked against the idle timeout. */
const IDLE_CHECK_INTERVAL_MS = 60 * 1000;

export const terminalsFeature = defineFeature({
  name: "terminals",
  settings: [
    { key: "terminalsMaxPerUser", kind: "int", default: 4, min: 1, max: 64, description: "terminals one user may run at once" },
    { key: "terminalsMaxTotal", kind: "int", default: 8, min: 1, max: 256, description: "terminals that may run at once in all" },
    {
      key: "terminalScrollbackBytes",
      kind: "int",
      default: 256 << 10,
      min: 4096,
      max: 16 << 20,
      description: "output kept per terminal, replayed when a viewer attaches (bytes)",
    },
    {
      key: "terminalIdleTimeoutMinutes",
      kind: "int",
      default: 24 * 60,
      min: 1,
      max: 365 * 24 * 60,
      description: "a terminal nobody has watched for this long ends (minutes)",
    },
    {
      key: "terminalStartNoticeSeconds",
      kind: "int",
      default: 10,
      min: 1,
      max: 3600,
      description: "a terminal silent this long after it starts shows a notice that its login profile may be stuck (seconds)",
    },
    { key: "terminalsForOperators", kind: "bool", default: false, description: "operators may open terminals too, not only admins" },
  ],
  permissions: [
    {
      name: "terminals",
      roles: [],
      operatorsWhen: "terminalsForOperators",
      description: "open, use and close terminals (a shell as Outpost's user)",
    },
  ],
  create: (core, { users, runs, audit }: { users: UserService; runs: RunsService; audit: AuditService }) => {
    const terminals = createTerminalService({
      supervisor: core.supervisor,
      events: core.events,
      clock: core.clock,
      log: core.log,
      scrollbackBytes: core.config.terminalScrollbackBytes,
      idleTimeoutMs: core.config.terminalIdleTimeoutMinutes * 60 * 1000,
      startNoticeMs: core.config.terminalStartNoticeSeconds * 1000,
      maxPerUser: core.config.terminalsMaxPerUser,
      maxTotal: core.config.terminalsMaxTotal,
      runAsUser: core.config.runAsUser,
      // A disabled account is no one to share with.
      shareCandidates: () =>
        users
          .list()
          .filter((user) => !user.disabled)
          .map((user) => ({ userId: user.id, username: user.username, mayUseTerminals: core.access.ofRole(user.role).has("terminals") })),
      programLaunch: runs.programLaunch,
    });
    const terminalSocket = terminalSocketProtocol({
      terminals,
      log: core.log,
      recordAttach: (socket, terminalId, error) =>
        void audit.recordOutcome({
          viewer: socket.data.viewer,
          client: socket.data.origin,
          action: "socket.terminalAttach",
          target: { id: terminalId },
          error,
        }),
    });
    core.appMetrics.gauge("terminals_open", "Terminal sessions open.", terminals.openCount);
    return { terminals, terminalSocket };
  },
  sockets: ({ terminalSocket }) => [terminalSocket],
  jobs: ({ terminals }) => [{ name: "terminals.idle-reap", everyMs: IDLE_CHECK_INTERVAL_MS, run: () => terminals.reapIdle() }],
  stop: ({ terminals }) => terminals.stop(),
});
