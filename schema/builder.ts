// The Pothos builder: plugins, scalars' TypeScript shapes and auth scopes. Defines no types.
import SchemaBuilder from "@pothos/core";
import ScopeAuthPlugin from "@pothos/plugin-scope-auth";
import type { Permission } from "../server/auth/permissions";
import { can } from "../server/auth/viewer";
import { ForbiddenError, UnauthenticatedError } from "../server/errors";
import type { Context } from "./context";

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
    unauthorizedError: (_parent, context) =>
      context.viewer.kind === "anonymous" ? new UnauthenticatedError(context.viewer.rejection) : new ForbiddenError(),
  },
});

builder.queryType({});
builder.mutationType({});
builder.subscriptionType({});
