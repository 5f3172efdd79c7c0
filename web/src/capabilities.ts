// The app's capabilities: each adds its page to the router and its link to the navigation with
// one entry here. A capability with `requiredRole` is listed and opened only for that role or above.

import { type Component, lazy } from "solid-js";
import { hasRole, type Role } from "./lib/auth";

export interface Capability {
  path: string;
  label: string;
  navTestId: string;
  page: Component;
  /** The least role that may open the page; everyone signed in when absent. */
  requiredRole?: Role;
}

export const capabilities: Capability[] = [
  { path: "/data", label: "Data", navTestId: "nav-data", page: lazy(() => import("./pages/Data/DataPage")) },
  { path: "/users", label: "Users", navTestId: "nav-users", requiredRole: "admin", page: lazy(() => import("./pages/Users/UsersPage")) },
  { path: "/audit", label: "Audit", navTestId: "nav-audit", requiredRole: "admin", page: lazy(() => import("./pages/Audit/AuditPage")) },
  { path: "/account", label: "Account", navTestId: "nav-account", page: lazy(() => import("./pages/Account/AccountPage")) },
];

/** Whether a user with `role` may open `capability`. */
export function mayOpen(capability: Capability, role: Role): boolean {
  return !capability.requiredRole || hasRole(role, capability.requiredRole);
}
