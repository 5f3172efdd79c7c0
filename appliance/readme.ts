// The parts of README.md that are facts of the code: the settings table (every setting the core
// and the features declare) and the roles table (every permission, the roles that get it, and the
// root fields that need it). `npm run schema` rewrites them; a test fails when they drift.
import { readFileSync, writeFileSync } from "node:fs";
import type { GraphQLSchema } from "graphql";
import { ROLES } from "../server/auth/roles";
import { settingsOf } from "../server/config";
import type { AnyFeature } from "../server/feature";
import { settingNames } from "../server/settings";

const README = new URL("../README.md", import.meta.url);

function formatDefault(value: number | boolean | string | null, key: string): string {
  if (value === null) return "none";
  if (typeof value === "number" && key.endsWith("Bytes") && value >= 1024 && value % 1024 === 0)
    return value % (1 << 20) === 0 ? `${value / (1 << 20)} MiB` : `${value / 1024} KiB`;
  return `\`${value}\``;
}

/** The settings table. */
export function settingsTable(features: readonly AnyFeature[]): string {
  const rows = settingsOf(features).map((s) => {
    const names = settingNames(s.key);
    const file = s.inFile === false;
    return `| ${s.description} | ${file ? "–" : `\`${names.flag}\``} | \`${names.env}\` | ${file ? "– (never in the file)" : `\`${names.toml}\``} | ${formatDefault(s.default, s.key)} |`;
  });
  return [
    "| setting | flag | environment | outpost.toml | default |",
    "|---|---|---|---|---|",
    "| data directory | `--data` | `OUTPOST_DATA` | – | `./data` |",
    "| settings file (must exist when given) | `--config` | `OUTPOST_CONFIG` | – | `<data>/outpost.toml` if it exists |",
    ...rows,
  ].join("\n");
}

/** The root fields of `schema` that need each permission, as `query.kv`-style names. */
function fieldsByPermission(schema: GraphQLSchema): Map<string, string[]> {
  const byPermission = new Map<string, string[]>();
  for (const type of [schema.getQueryType(), schema.getMutationType(), schema.getSubscriptionType()])
    for (const field of Object.values(type?.getFields() ?? {})) {
      const scopes = (field.extensions?.pothosOptions as { authScopes?: { permission?: string } } | undefined)?.authScopes;
      if (!scopes?.permission) continue;
      byPermission.set(scopes.permission, [...(byPermission.get(scopes.permission) ?? []), `\`${field.name}\``]);
    }
  return byPermission;
}

/** The roles table. */
export function rolesTable(features: readonly AnyFeature[], schema: GraphQLSchema): string {
  const fields = fieldsByPermission(schema);
  const rows = features
    .flatMap((f) => f.permissions ?? [])
    .map((p) => {
      const marks = ROLES.map((role) =>
        role === "admin" || (p.roles as readonly string[]).includes(role)
          ? "✓"
          : role === "operator" && p.operatorsWhen
            ? `with \`${settingNames(p.operatorsWhen).toml}\``
            : "",
      );
      return `| \`${p.name}\` | ${marks.join(" | ")} | ${p.description}${p.forKeys === false ? " (never on an API key)" : ""} | ${(fields.get(p.name) ?? []).join(", ")} |`;
    });
  return [`| permission | ${ROLES.join(" | ")} | allows | fields |`, `|---|${ROLES.map(() => "---|").join("")}---|---|`, ...rows].join(
    "\n",
  );
}

const block = (name: string) => ({ start: `<!-- generated: ${name} -->`, end: `<!-- end generated: ${name} -->` });

/** README.md with its generated blocks replaced by `tables`. */
export function withTables(readme: string, tables: Record<string, string>): string {
  let text = readme;
  for (const [name, table] of Object.entries(tables)) {
    const { start, end } = block(name);
    const from = text.indexOf(start);
    const to = text.indexOf(end);
    if (from === -1 || to === -1) throw new Error(`README.md has no generated block "${name}".`);
    text = `${text.slice(0, from + start.length)}\n${table}\n${text.slice(to)}`;
  }
  return text;
}

export function readmeTables(features: readonly AnyFeature[], schema: GraphQLSchema): Record<string, string> {
  return { settings: settingsTable(features), roles: rolesTable(features, schema) };
}

export function readReadme(): string {
  return readFileSync(README, "utf8");
}

export function writeReadme(text: string) {
  writeFileSync(README, text);
}
