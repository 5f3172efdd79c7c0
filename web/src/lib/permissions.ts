// What the signed-in user may do, as the server says in `me { permissions }`. The UI decides what to
// show from these alone; the roles behind them are the server's business.

/** The permissions the UI asks about (the server may grant more). */
export type Permission =
  | "kv:read"
  | "kv:write"
  | "files:read"
  | "files:write"
  | "programs:read"
  | "programs:manage"
  | "programs:run"
  | "exec"
  | "audit:read"
  | "users:manage"
  | "keys:manage"
  | "system:read"
  | "metrics:read"
  | "processes:read"
  | "processes:signal"
  | "alerts:read"
  | "alerts:manage"
  | "jobs:read"
  | "schema:read"
  | "account"
  | "terminals"
  | "tunnels:manage";

/** Whether `user` (null or undefined: nobody signed in) holds `permission`. */
export function hasPermission(user: { readonly permissions: readonly string[] } | null | undefined, permission: Permission): boolean {
  return user?.permissions.includes(permission) ?? false;
}
