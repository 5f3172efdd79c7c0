// The GraphQL schema: imports every capability's file and builds it. A root field without an
// auth rule makes the build fail, so nothing is reachable by accident.
import { type GraphQLObjectType, lexicographicSortSchema } from "graphql";
import { builder } from "./builder";
import "./scalars";
import "./auth";
import "./account";
import "./users";
import "./api-keys";
import { auditRootFields } from "./audit";
import "./kv";
import "./files";
import "./programs";
import "./system";
import "./terminals";
import "./metrics";
import "./tunnels";
import "./alerts";

function assertEveryRootFieldHasAuth(types: (GraphQLObjectType | null | undefined)[]) {
  for (const type of types) {
    if (!type) continue;
    for (const field of Object.values(type.getFields())) {
      const options = field.extensions?.pothosOptions as { authScopes?: unknown } | undefined;
      if (!options?.authScopes) throw new Error(`${type.name}.${field.name} declares no authScopes; every root field must.`);
    }
  }
}

const built = builder.toSchema();
assertEveryRootFieldHasAuth([built.getQueryType(), built.getMutationType(), built.getSubscriptionType()]);

export const schema = auditRootFields(lexicographicSortSchema(built));
