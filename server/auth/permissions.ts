// What each role may do, and what an API key may do: the one table every field's auth rule and
// the README's role matrix come from.
import type { Role } from "./roles";

export const PERMISSIONS = [
  "kv:read",
  "kv:write",
  "system:read",
  "audit:read",
  "users:manage",
  "keys:manage",
  /** Self-service: own password, two-factor, sessions and API keys. Never granted to a key. */
  "account",
] as const;
export type Permission = (typeof PERMISSIONS)[number];

const VIEWER: Permission[] = ["kv:read", "system:read", "account"];
const OPERATOR: Permission[] = [...VIEWER, "kv:write"];

export const ROLE_PERMISSIONS: Record<Role, ReadonlySet<Permission>> = {
  viewer: new Set(VIEWER),
  operator: new Set(OPERATOR),
  admin: new Set(PERMISSIONS),
};

/** Scopes an API key can carry: `read` (every read permission) or single permissions. */
export const API_KEY_SCOPES = ["read", ...PERMISSIONS.filter((p) => p !== "account")] as const;
export type ApiKeyScope = (typeof API_KEY_SCOPES)[number];

export function isApiKeyScope(value: string): value is ApiKeyScope {
  return (API_KEY_SCOPES as readonly string[]).includes(value);
}

/** The permissions a scope stands for. */
function scopePermissions(scope: ApiKeyScope): Permission[] {
  return scope === "read" ? PERMISSIONS.filter((p) => p.endsWith(":read")) : [scope];
}

/**
 * Scopes the holder of `role` may put on a key: never more than the role itself allows. `read`
 * means "every read permission of the owner's role", so every role may grant it.
 */
export function grantableScopes(role: Role): ApiKeyScope[] {
  return API_KEY_SCOPES.filter((scope) => scope === "read" || scopePermissions(scope).every((p) => ROLE_PERMISSIONS[role].has(p)));
}

/** What a key may do now: its scopes, cut down to what its owner's current role allows. */
export function keyPermissions(scopes: readonly ApiKeyScope[], ownerRole: Role): ReadonlySet<Permission> {
  const allowed = ROLE_PERMISSIONS[ownerRole];
  return new Set(scopes.flatMap(scopePermissions).filter((p) => allowed.has(p)));
}
