// Who is asking: nobody, a signed-in user (a session), or an API key acting for its owner.
import type { Permission } from "./permissions";
import type { Role } from "./roles";

export type Viewer =
  | { kind: "anonymous" /** Why a presented credential was not accepted, shown to the client. */; rejection?: string }
  | {
      kind: "user";
      userId: string;
      username: string;
      role: Role;
      permissions: ReadonlySet<Permission>;
      sessionId: string;
      tokenExpiresAtMs: number;
    }
  | {
      kind: "apiKey";
      userId: string;
      username: string;
      role: Role;
      permissions: ReadonlySet<Permission>;
      keyId: string;
      keyName: string;
      expiresAtMs: number | null;
    };

export type SignedInViewer = Exclude<Viewer, { kind: "anonymous" }>;

export const ANONYMOUS: Viewer = { kind: "anonymous" };

export function rejected(reason: string): Viewer {
  return { kind: "anonymous", rejection: reason };
}

export function userViewer(
  state: { userId: string; username: string; role: Role },
  permissions: ReadonlySet<Permission>,
  sessionId: string,
  tokenExpiresAtMs: number,
): Viewer {
  return { kind: "user", ...state, permissions, sessionId, tokenExpiresAtMs };
}

export function can(viewer: Viewer, permission: Permission): boolean {
  return viewer.kind !== "anonymous" && viewer.permissions.has(permission);
}

/** A short description of the actor for logs and the audit log. */
export function actorName(viewer: Viewer): string | null {
  if (viewer.kind === "user") return viewer.username;
  if (viewer.kind === "apiKey") return `${viewer.username} (key ${viewer.keyName})`;
  return null;
}
