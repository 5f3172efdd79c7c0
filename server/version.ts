// What this build is; printed by `outpost version` and served by the `system` query.
import pkg from "../package.json" with { type: "json" };

export const VERSION: string = pkg.version;
/** Set by the compile step (`--define`); "dev" when run from a checkout. */
declare const OUTPOST_BUILD_TARGET: string | undefined;
export const BUILD_TARGET: string =
  typeof OUTPOST_BUILD_TARGET === "string" ? OUTPOST_BUILD_TARGET : `dev-${process.platform}-${process.arch}`;
