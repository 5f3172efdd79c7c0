// The app's capabilities: each adds its page to the router and its link to the navigation with
// one entry here. A capability with `requiredPermission` is listed and opened only for users who
// hold that permission.

import { type Component, lazy } from "solid-js";
import type { CurrentUser } from "./lib/auth";
import { hasPermission, type Permission } from "./lib/permissions";

export interface Capability {
  path: string;
  label: string;
  navTestId: string;
  page: Component;
  /** The permission needed to open the page; everyone signed in may when absent. */
  requiredPermission?: Permission;
}

export const capabilities: Capability[] = [
  {
    path: "/",
    label: "Dashboard",
    navTestId: "nav-dashboard",
    requiredPermission: "metrics:read",
    page: lazy(() => import("./pages/Metrics/DashboardPage")),
  },
  {
    path: "/data",
    label: "Data",
    navTestId: "nav-data",
    requiredPermission: "kv:read",
    page: lazy(() => import("./pages/Data/DataPage")),
  },
  {
    path: "/files",
    label: "Files",
    navTestId: "nav-files",
    requiredPermission: "files:read",
    page: lazy(() => import("./pages/Files/FilesPage")),
  },
  {
    path: "/programs",
    label: "Programs",
    navTestId: "nav-programs",
    requiredPermission: "programs:read",
    page: lazy(() => import("./pages/Programs/ProgramsPage")),
  },
  {
    path: "/terminals",
    label: "Terminals",
    navTestId: "nav-terminals",
    requiredPermission: "terminals",
    page: lazy(() => import("./pages/Terminals/TerminalsPage")),
  },
  {
    path: "/users",
    label: "Users",
    navTestId: "nav-users",
    requiredPermission: "users:manage",
    page: lazy(() => import("./pages/Users/UsersPage")),
  },
  {
    path: "/audit",
    label: "Audit",
    navTestId: "nav-audit",
    requiredPermission: "audit:read",
    page: lazy(() => import("./pages/Audit/AuditPage")),
  },
  {
    path: "/processes",
    label: "Processes",
    navTestId: "nav-processes",
    requiredPermission: "processes:read",
    page: lazy(() => import("./pages/Metrics/ProcessesPage")),
  },
  {
    path: "/alerts",
    label: "Alerts",
    navTestId: "nav-alerts",
    requiredPermission: "alerts:read",
    page: lazy(() => import("./pages/Alerts/AlertsPage")),
  },
  {
    path: "/system",
    label: "System",
    navTestId: "nav-system",
    requiredPermission: "system:read",
    page: lazy(() => import("./pages/System/SystemPage")),
  },
  {
    path: "/tunnels",
    label: "Tunnels",
    navTestId: "nav-tunnels",
    requiredPermission: "tunnels:manage",
    page: lazy(() => import("./pages/Tunnels/TunnelsPage")),
  },
  {
    path: "/account",
    label: "Account",
    navTestId: "nav-account",
    requiredPermission: "account",
    page: lazy(() => import("./pages/Account/AccountPage")),
  },
];

/** Whether `user` may open `capability`. */
export function mayOpen(capability: Capability, user: CurrentUser): boolean {
  return !capability.requiredPermission || hasPermission(user, capability.requiredPermission);
}
