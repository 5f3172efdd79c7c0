// Writes schema/schema.graphql from the code (`npm run schema`).
import { printSchema } from "graphql";
import { schema } from "./index";

await Bun.write(new URL("./schema.graphql", import.meta.url), `${printSchema(schema)}\n`);
console.log("wrote schema/schema.graphql");
