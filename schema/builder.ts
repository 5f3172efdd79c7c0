// The Pothos builder: plugins, scalars' TypeScript shapes and auth scopes. Defines no types.
import SchemaBuilder from "@pothos/core";
import ScopeAuthPlugin, { type AuthFailure, AuthScopeFailureType } from "@pothos/plugin-scope-auth";
import type { Permission } from "../server/auth/permissions";
import { can, forbidden } from "../server/auth/viewer";
import { UnauthenticatedError } from "../server/errors";
import type { Context } from "./context";

/** The permission a failed auth rule asked for (the first, in rules that combine several). */
function missingPermission(failure: AuthFailure): Permission | null {
  if (failure.kind === AuthScopeFailureType.AuthScope && failure.scope === "permission") return failure.parameter as Permission;
  if (failure.kind === AuthScopeFailureType.AnyAuthScopes || failure.kind === AuthScopeFailureType.AllAuthScopes)
    for (const inner of failure.failures) {
      const permission = missingPermission(inner);
      if (permission) return permission;
    }
  return null;
}

export const builder = new SchemaBuilder<{
  Context: Context;
  AuthScopes: {
    /** Anyone, signed in or not. Only for sign-in, setup and health. */
    public: boolean;
    /** Any signed-in user or API key. */
    signedIn: boolean;
    /** A viewer whose role (or API key scopes) grants this permission; see server/auth/permissions.ts. */
    permission: Permission;
  };
  Scalars: {
    DateTime: { Input: Date; Output: Date };
    JSON: { Input: unknown; Output: unknown };
    /** An uploaded file (multipart request); null when the argument was anything else. */
    File: { Input: File | null; Output: never };
  };
  DefaultFieldNullability: false;
}>({
  defaultFieldNullability: false,
  plugins: [ScopeAuthPlugin],
  scopeAuth: {
    authorizeOnSubscribe: true,
    authScopes: (context) => ({
      public: true,
      signedIn: context.viewer.kind !== "anonymous",
      permission: (required: Permission) => can(context.viewer, required),
    }),
    unauthorizedError: (_parent, context, _info, result) => {
      if (context.viewer.kind === "anonymous") return new UnauthenticatedError(context.viewer.rejection);
      // Every rule but `public` and `signedIn` (which a signed-in viewer passes) is a permission.
      const permission = missingPermission(result.failure);
      if (!permission) throw new Error(`An auth rule refused a signed-in viewer without naming a permission: ${result.message}`);
      return forbidden(context.viewer, permission);
    },
  },
});

builder.queryType({});
builder.mutationType({});
builder.subscriptionType({});
