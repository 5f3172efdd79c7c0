// The app's capabilities: each adds its page to the router and its link to the navigation with
// one entry here.

import { type Component, lazy } from "solid-js";

export interface Capability {
  path: string;
  label: string;
  navTestId: string;
  page: Component;
}

export const capabilities: Capability[] = [
  { path: "/data", label: "Data", navTestId: "nav-data", page: lazy(() => import("./pages/Data/DataPage")) },
];
