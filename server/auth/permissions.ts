// The permissions registry. Each feature declares its permissions with the roles that get them
// (admins get every one) and adds their names to `Permissions` by declaration merging; every
// field's and route's auth rule, the API key scopes and the README's role table come from it.
import { ROLES, type Role } from "./roles";

/**
 * Permission names, merged in from each feature's folder:
 * `declare module "../auth/permissions" { interface Permissions { "kv:read": true } }`.
 */
// biome-ignore lint/suspicious/noEmptyInterface: filled by declaration merging from the features.
export interface Permissions {}
export type Permission = keyof Permissions & string;

export interface PermissionSpec {
  name: Permission;
  /** Roles below admin that get it; admins get every permission. */
  roles: readonly Exclude<Role, "admin">[];
  /** One line for the README's role table. */
  description: string;
  /** False for self-service rights a key must never carry (they would let a key mint keys). */
  forKeys?: boolean;
  /**
   * A yes/no setting that, when on, also gives it to operators: for rights an owner may want to
   * share with a trusted team (a shell, commands) but that are admin-only out of the box.
   */
  operatorsWhen?: string;
}

/** The `read` scope of an API key: every permission whose name ends in `:read`. */
const READ_SCOPE = "read";

export interface AccessControl {
  /** Every permission, in declaration order. */
  readonly permissions: readonly PermissionSpec[];
  /** What a role may do. */
  ofRole(role: Role): ReadonlySet<Permission>;
  /** Scopes an API key can carry: `read` or single permissions. */
  readonly apiKeyScopes: readonly string[];
  /** Scopes the holder of `role` may put on a key: never more than the role itself allows. */
  grantableScopes(role: Role): string[];
  /** What a key may do now: its scopes, cut down to what its owner's current role allows. */
  keyPermissions(scopes: readonly string[], ownerRole: Role): ReadonlySet<Permission>;
}

/** Builds the role and key tables from the features' declarations and the settings that widen them; a name declared twice is a bug. */
export function createAccessControl(specs: readonly PermissionSpec[], settings: Readonly<Record<string, unknown>> = {}): AccessControl {
  const seen = new Set<string>();
  for (const spec of specs) {
    if (seen.has(spec.name)) throw new Error(`Permission ${spec.name} is declared twice.`);
    seen.add(spec.name);
  }
  const byRole = new Map<Role, ReadonlySet<Permission>>(
    ROLES.map((role) => [role, new Set(specs.filter((s) => roleHas(s, role, settings)).map((s) => s.name))]),
  );
  const ofRole = (role: Role) => byRole.get(role) as ReadonlySet<Permission>;
  const forKeys = specs.filter((s) => s.forKeys !== false).map((s) => s.name);
  const scopePermissions = (scope: string): Permission[] =>
    scope === READ_SCOPE ? forKeys.filter((p) => p.endsWith(":read")) : forKeys.filter((p) => p === scope);
  const apiKeyScopes = [READ_SCOPE, ...forKeys];

  return {
    permissions: specs,
    ofRole,
    apiKeyScopes,
    // `read` means "every read permission of the owner's role", so every role may grant it.
    grantableScopes: (role) =>
      apiKeyScopes.filter((scope) => scope === READ_SCOPE || scopePermissions(scope).every((p) => ofRole(role).has(p))),
    keyPermissions(scopes, ownerRole) {
      const allowed = ofRole(ownerRole);
      return new Set(scopes.flatMap(scopePermissions).filter((p) => allowed.has(p)));
    },
  };
}

/** Whether `role` gets `spec`, given the settings that may extend it to operators. */
function roleHas(spec: PermissionSpec, role: Role, settings: Readonly<Record<string, unknown>>): boolean {
  if (role === "admin" || spec.roles.includes(role)) return true;
  return role === "operator" && spec.operatorsWhen !== undefined && settings[spec.operatorsWhen] === true;
}
