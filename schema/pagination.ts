// Cursor pagination (`first`/`after`) shared by every list: opaque cursors and PageInfo.
import type { ObjectRef } from "@pothos/core";
import { InvalidInputError } from "../server/errors";
import { builder } from "./builder";

export interface Page<T> {
  items: T[];
  hasNextPage: boolean;
  cursorOf: (item: T) => string;
}

export const encodeCursor = (value: string) => Buffer.from(value, "utf8").toString("base64url");

export function decodeCursor(cursor: string | null | undefined): string {
  if (cursor === null || cursor === undefined || cursor === "") return "";
  if (!/^[A-Za-z0-9_-]+$/.test(cursor)) throw new InvalidInputError("after is not a cursor returned by this list.");
  return Buffer.from(cursor, "base64url").toString("utf8");
}

export const PageInfo = builder.objectRef<{ hasNextPage: boolean; endCursor: string | null }>("PageInfo").implement({
  fields: (t) => ({
    hasNextPage: t.exposeBoolean("hasNextPage"),
    endCursor: t.exposeString("endCursor", { nullable: true }),
  }),
});

/** A `<Name>Connection` type with `nodes`, `edges { cursor node }` and `pageInfo`. */
type BuilderTypes = typeof builder extends PothosSchemaTypes.SchemaBuilder<infer Types> ? Types : never;

export function connectionOf<T>(name: string, nodeRef: ObjectRef<BuilderTypes, T>) {
  const Edge = builder.objectRef<{ cursor: string; node: T }>(`${name}Edge`).implement({
    fields: (t) => ({
      cursor: t.exposeString("cursor"),
      // TypeScript cannot evaluate Pothos' conditional resolver type for a generic T; the ref fixes it.
      node: t.field({ type: nodeRef, resolve: (edge) => edge.node as never }),
    }),
  });
  return builder.objectRef<Page<T>>(`${name}Connection`).implement({
    fields: (t) => ({
      nodes: t.field({ type: [nodeRef], resolve: (page) => page.items }),
      edges: t.field({ type: [Edge], resolve: (page) => page.items.map((node) => ({ cursor: page.cursorOf(node), node })) }),
      pageInfo: t.field({
        type: PageInfo,
        resolve: (page) => {
          const last = page.items.at(-1);
          return { hasNextPage: page.hasNextPage, endCursor: last === undefined ? null : page.cursorOf(last) };
        },
      }),
    }),
  });
}
