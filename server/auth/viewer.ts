// Who is asking: nobody, a signed-in user (a session), or an API key acting for its owner.
import { ForbiddenError } from "../errors";
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
      /** The key's scopes cut down to its owner's current role. */
      permissions: ReadonlySet<Permission>;
      /** What a key of this owner could carry (its current role's permissions that keys may hold): a refusal says whether a scope would help. */
      grantablePermissions: ReadonlySet<Permission>;
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

/**
 * The refusal of `permission` to a signed-in viewer that lacks it, naming what stands in the way:
 * the user's role, the API key's scopes (when a scope would grant it), or that no key of its
 * owner's role may carry it.
 */
export function forbidden(viewer: SignedInViewer, permission: Permission): ForbiddenError {
  if (viewer.kind === "user") return new ForbiddenError(`Your role (${viewer.role}) does not allow ${permission}.`);
  if (viewer.grantablePermissions.has(permission)) return new ForbiddenError(`This API key's scopes do not allow ${permission}.`);
  return new ForbiddenError(`API keys of role ${viewer.role} may not have ${permission}.`);
}

/** A short description of the actor for logs and the audit log. */
export function actorName(viewer: Viewer): string | null {
  if (viewer.kind === "user") return viewer.username;
  if (viewer.kind === "apiKey") return `${viewer.username} (key ${viewer.keyName})`;
  return null;
}
