// Validates HAR files against the HAR 1.2 JSON schema (the `har-schema` package, which
// HTTP clients and har-validator use), with Ajv. Prints {"valid": bool, "errors": [...]}.
//   node tests/support/validate-har.mjs FILE
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const Ajv = require("ajv");
const schemas = require("har-schema");

const ajv = new Ajv({ allErrors: true });
ajv.addMetaSchema(require("ajv/lib/refs/json-schema-draft-06.json"));
for (const schema of Object.values(schemas)) ajv.addSchema(schema);

const har = JSON.parse(readFileSync(process.argv[2], "utf8"));
const valid = ajv.validate("har.json#", har);
console.log(JSON.stringify({ valid, errors: (ajv.errors ?? []).map((e) => `${e.dataPath} ${e.message}`) }));
