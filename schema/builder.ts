// The Pothos builder: plugins, scalars' TypeScript shapes and auth scopes. Defines no types.
import SchemaBuilder from "@pothos/core";
import ScopeAuthPlugin from "@pothos/plugin-scope-auth";
import { type Role, roleAtLeast } from "../server/auth/roles";
import { ForbiddenError, UnauthenticatedError } from "../server/errors";
import type { Context } from "./context";

export const builder = new SchemaBuilder<{
  Context: Context;
  AuthScopes: {
    /** Anyone, signed in or not. Only for sign-in, setup and health. */
    public: boolean;
    /** At least this role. */
    role: Role;
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
      role: (required: Role) => context.viewer.kind === "user" && roleAtLeast(context.viewer.role, required),
    }),
    unauthorizedError: (_parent, context) =>
      context.viewer.kind === "user" ? new ForbiddenError() : new UnauthenticatedError(context.viewer.rejection),
  },
});

builder.queryType({});
builder.mutationType({});
builder.subscriptionType({});
