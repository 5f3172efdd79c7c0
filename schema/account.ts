// Self-service for the signed-in user: sessions, password, two-factor sign-in.
import type { Session } from "../server/auth/service";
import { auditTarget } from "./audit";
import { builder } from "./builder";
import { signedInViewer } from "./context";

const SessionType = builder.objectRef<Session>("Session").implement({
  description: "One sign-in (a browser or script holding a refresh token).",
  fields: (t) => ({
    id: t.exposeID("id"),
    createdAt: t.expose("createdAt", { type: "DateTime" }),
    lastUsedAt: t.expose("lastUsedAt", { type: "DateTime", description: "Last sign-in or token refresh." }),
    expiresAt: t.expose("expiresAt", { type: "DateTime" }),
    ip: t.exposeString("ip", { nullable: true }),
    userAgent: t.exposeString("userAgent", { nullable: true }),
    current: t.boolean({
      description: "True for the session making this request.",
      resolve: (session, _args, ctx) => ctx.viewer.kind === "user" && ctx.viewer.sessionId === session.id,
    }),
  }),
});

const TotpSetup = builder.objectRef<{ secret: string; otpauthUri: string; qrSvg: string }>("TotpSetup").implement({
  fields: (t) => ({
    secret: t.exposeString("secret", { description: "For typing into an authenticator app by hand." }),
    otpauthUri: t.exposeString("otpauthUri"),
    qrSvg: t.exposeString("qrSvg", { description: "The otpauth URI as a QR code, an SVG document." }),
  }),
});

const TotpEnabled = builder.objectRef<{ recoveryCodes: string[] }>("TotpEnabled").implement({
  fields: (t) => ({
    recoveryCodes: t.exposeStringList("recoveryCodes", { description: "One-time codes for when the phone is lost; shown only now." }),
  }),
});

builder.queryField("mySessions", (t) =>
  t.field({
    type: [SessionType],
    authScopes: { permission: "account" },
    resolve: (_root, _args, ctx) => ctx.services.auth.sessions(signedInViewer(ctx)),
  }),
);

builder.mutationFields((t) => ({
  changePassword: t.boolean({
    description: "Needs the current password; ends your other sessions.",
    authScopes: { permission: "account" },
    args: { currentPassword: t.arg.string({ required: true }), newPassword: t.arg.string({ required: true }) },
    resolve: (_root, args, ctx) => ctx.services.account.changePassword(signedInViewer(ctx), args),
  }),
  revokeSession: t.boolean({
    authScopes: { permission: "account" },
    extensions: auditTarget("id"),
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, { id }, ctx) => ctx.services.auth.revokeSession(signedInViewer(ctx), String(id)),
  }),
  revokeAllSessions: t.int({
    description:
      "Signs you out everywhere, this session included; with includeApiKeys also revokes all your API keys. Returns how many sessions ended.",
    authScopes: { permission: "account" },
    extensions: auditTarget("includeApiKeys"),
    args: { includeApiKeys: t.arg.boolean({ defaultValue: false }) },
    resolve: (_root, { includeApiKeys }, ctx) => {
      const viewer = signedInViewer(ctx);
      if (includeApiKeys) ctx.services.apiKeys.revokeAllOf(viewer.userId);
      return ctx.services.auth.revokeAllSessions(viewer);
    },
  }),
  beginTotpSetup: t.field({
    type: TotpSetup,
    description: "Starts two-factor setup; it takes effect after confirmTotpSetup. Needs your current password.",
    authScopes: { permission: "account" },
    args: { password: t.arg.string({ required: true }) },
    resolve: (_root, { password }, ctx) => ctx.services.account.beginTotp(signedInViewer(ctx), password),
  }),
  confirmTotpSetup: t.field({
    type: TotpEnabled,
    authScopes: { permission: "account" },
    args: { code: t.arg.string({ required: true }) },
    resolve: (_root, { code }, ctx) => ({ recoveryCodes: ctx.services.account.confirmTotp(signedInViewer(ctx), code) }),
  }),
  disableTotp: t.boolean({
    authScopes: { permission: "account" },
    args: { password: t.arg.string({ required: true }) },
    resolve: (_root, { password }, ctx) => ctx.services.account.disableTotp(signedInViewer(ctx), password),
  }),
}));
