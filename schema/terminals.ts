// Terminals: open a shell in a pseudo-terminal, type into it, resize it, watch its output (the
// scrollback first, so a returning viewer sees the screen again), and close it.
import { type ShareCandidate, type TerminalShare, terminalUserOf } from "../server/terminals/access";
import type { TerminalInfo, TerminalOutputChunk } from "../server/terminals/service";
import { auditEverySubscribe, auditRefusalsOnly, auditTarget } from "./audit";
import { builder } from "./builder";
import { type Context, signedInViewer } from "./context";

const terminalUser = (ctx: Context) => terminalUserOf(signedInViewer(ctx));

const TerminalAccessEnum = builder.enumType("TerminalAccess", {
  values: {
    OWNER: { description: "Everything: its owner, or an admin." },
    READ_WRITE: { description: "Shared: may watch and type." },
    READ_ONLY: { description: "Shared: may watch." },
  } as const,
});

const TerminalShareModeEnum = builder.enumType("TerminalShareMode", {
  values: {
    READ_ONLY: { description: "May watch." },
    READ_WRITE: { description: "May watch and type (and resize)." },
    NONE: { description: "Not shared: takes a share back and ends their attached viewers." },
  } as const,
});

const TerminalShareType = builder.objectRef<TerminalShare>("TerminalShare").implement({
  fields: (t) => ({
    userId: t.exposeID("userId"),
    username: t.exposeString("username"),
    mode: t.field({ type: TerminalShareModeEnum, resolve: (share) => share.mode }),
  }),
});

const TerminalSharePartnerType = builder.objectRef<ShareCandidate>("TerminalSharePartner").implement({
  description: "A user a terminal may be shared with.",
  fields: (t) => ({ userId: t.exposeID("userId"), username: t.exposeString("username") }),
});

const TerminalType = builder.objectRef<TerminalInfo>("Terminal").implement({
  fields: (t) => ({
    id: t.exposeID("id"),
    ownerId: t.exposeString("ownerId"),
    ownerName: t.exposeString("ownerName"),
    command: t.exposeString("command", { description: "The shell, or the command line it runs." }),
    cols: t.exposeInt("cols"),
    rows: t.exposeInt("rows"),
    createdAt: t.expose("createdAt", { type: "DateTime" }),
    lastActivityAt: t.expose("lastActivityAt", { type: "DateTime", description: "The last output or input." }),
    viewers: t.exposeInt("viewers", { description: "Viewers attached now (terminalOutput subscriptions)." }),
    running: t.exposeBoolean("running"),
    exitCode: t.exposeInt("exitCode", { nullable: true, description: "Once exited; null while running or when a signal ended it." }),
    shares: t.field({ type: [TerminalShareType], description: "Who else the owner let in.", resolve: (terminal) => terminal.shares }),
    access: t.field({ type: TerminalAccessEnum, description: "What you may do with it.", resolve: (terminal) => terminal.access }),
  }),
});

const TerminalOutputType = builder.objectRef<TerminalOutputChunk>("TerminalOutput").implement({
  fields: (t) => ({
    data: t.exposeString("data", { description: "Output as text, never split inside a UTF-8 character." }),
    reset: t.exposeBoolean("reset", {
      description: "The data is the kept scrollback: clear the screen and write it (first chunk, or after falling behind).",
    }),
    exited: t.exposeBoolean("exited", { description: "The last chunk: the terminal has ended." }),
    exitCode: t.exposeInt("exitCode", { nullable: true }),
  }),
});

builder.queryFields((t) => ({
  terminals: t.field({
    type: [TerminalType],
    description: "Your terminals (every terminal, for admins), running and recently exited, oldest first.",
    authScopes: { permission: "terminals" },
    resolve: (_root, _args, ctx) => ctx.services.terminals.list(terminalUser(ctx)),
  }),
  terminalSharePartners: t.field({
    type: [TerminalSharePartnerType],
    description: "The users you may share a terminal with: everyone else who holds the terminals permission.",
    authScopes: { permission: "terminals" },
    resolve: (_root, _args, ctx) => ctx.services.terminals.sharePartners(terminalUser(ctx)),
  }),
}));

builder.mutationFields((t) => ({
  openTerminal: t.field({
    type: TerminalType,
    description:
      "Starts your login shell, or command run by it, or a program's entry point in its folder, in a pseudo-terminal of cols × rows (cwd: an absolute path; your home by default). LIMIT_EXCEEDED (quota, limit) past terminals_max_per_user or terminals_max_total running terminals.",
    authScopes: { permission: "terminals" },
    extensions: auditTarget("command", "cwd", "programId"),
    args: {
      cols: t.arg.int({ required: true }),
      rows: t.arg.int({ required: true }),
      command: t.arg.string(),
      cwd: t.arg.string(),
      programId: t.arg.id({ description: "Runs this program's entry point (with its interpreter) in its folder instead of a shell." }),
    },
    resolve: (_root, { programId, ...args }, ctx) =>
      ctx.services.terminals.open(terminalUser(ctx), { ...args, programId: programId == null ? null : String(programId) }),
  }),
  writeTerminal: t.boolean({
    description: "Types data into a running terminal (at most 64 KiB).",
    authScopes: { permission: "terminals" },
    // Neither the keystrokes nor an entry per keystroke: only refusals are recorded.
    extensions: auditRefusalsOnly("id"),
    args: { id: t.arg.id({ required: true }), data: t.arg.string({ required: true }) },
    resolve: (_root, { id, data }, ctx) => ctx.services.terminals.write(terminalUser(ctx), String(id), data),
  }),
  resizeTerminal: t.field({
    type: TerminalType,
    authScopes: { permission: "terminals" },
    // Sent whenever the window changes size; only refusals are recorded.
    extensions: auditRefusalsOnly("id", "cols", "rows"),
    args: { id: t.arg.id({ required: true }), cols: t.arg.int({ required: true }), rows: t.arg.int({ required: true }) },
    resolve: (_root, { id, cols, rows }, ctx) => ctx.services.terminals.resize(terminalUser(ctx), String(id), cols, rows),
  }),
  shareTerminal: t.field({
    type: TerminalType,
    description:
      "Lets another user who holds the terminals permission watch (READ_ONLY) or also type into (READ_WRITE) your terminal, or takes it back (NONE: their attached viewers end). Owner or admin only (FORBIDDEN otherwise).",
    authScopes: { permission: "terminals" },
    extensions: auditTarget("id", "userId", "mode"),
    args: {
      id: t.arg.id({ required: true }),
      userId: t.arg.id({ required: true }),
      mode: t.arg({ type: TerminalShareModeEnum, required: true }),
    },
    resolve: (_root, { id, userId, mode }, ctx) => ctx.services.terminals.share(terminalUser(ctx), String(id), String(userId), mode),
  }),
  closeTerminal: t.field({
    type: TerminalType,
    description: "Ends a running terminal (SIGHUP to its processes) or forgets an exited one; returns it as it ended.",
    authScopes: { permission: "terminals" },
    extensions: auditTarget("id"),
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, { id }, ctx) => ctx.services.terminals.close(terminalUser(ctx), String(id)),
  }),
}));

builder.subscriptionFields((t) => ({
  terminalOutput: t.field({
    type: TerminalOutputType,
    description:
      "A terminal's output: the kept scrollback first (reset), then live output. A viewer that falls far behind gets the scrollback again (reset) instead of what it missed. Ends after the chunk that says the terminal exited.",
    authScopes: { permission: "terminals" },
    // Every attach is recorded, as the open and close are.
    extensions: auditEverySubscribe("id"),
    args: { id: t.arg.id({ required: true }) },
    subscribe: (_root, { id }, ctx) => ctx.services.terminals.attach(terminalUser(ctx), String(id)),
    resolve: (chunk) => chunk,
  }),
}));
