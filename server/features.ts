// Every capability, in dependency order: createApp migrates, creates and starts them in this
// order and stops them in reverse. An explicit list, not a directory scan: a compiled binary has
// no directory to scan. Adding a capability adds one line here.

import { alertsFeature } from "./alerts/feature";
import { apiKeysFeature } from "./api-keys/feature";
import { auditFeature } from "./audit/feature";
import { authFeature } from "./auth/feature";
import type { AnyFeature, ServicesOf } from "./feature";
import { filesFeature } from "./files/feature";
import { kvFeature } from "./kv/feature";
import { metricsFeature } from "./metrics/feature";
import { programsFeature } from "./programs/feature";
import { systemFeature } from "./system/feature";
import { terminalsFeature } from "./terminals/feature";
import { tunnelsFeature } from "./tunnels/feature";
import { usersFeature } from "./users/feature";

export const FEATURES = [
  apiKeysFeature,
  authFeature,
  usersFeature,
  auditFeature,
  kvFeature,
  filesFeature,
  programsFeature,
  systemFeature,
  terminalsFeature,
  metricsFeature,
  tunnelsFeature,
  alertsFeature,
] as const satisfies readonly AnyFeature[];

/** Every feature's services, as resolvers and routes see them. */
export type Services = ServicesOf<typeof FEATURES>;
