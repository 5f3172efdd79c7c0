// Writes schema/schema.graphql and the generated tables of README.md from the code (`npm run schema`).
import { printSchema } from "graphql";
import { readmeTables, readReadme, withTables, writeReadme } from "../appliance/readme";
import { FEATURES } from "../server/features";
import { schema } from "./index";

await Bun.write(new URL("./schema.graphql", import.meta.url), `${printSchema(schema)}\n`);
writeReadme(withTables(readReadme(), readmeTables(FEATURES, schema)));
console.log("wrote schema/schema.graphql and the tables in README.md");
