// Run by `npm run build`: writes the rule schema's validator, compiled ahead of time (schema-validator.ts).
import { writeFileSync } from "node:fs";
import { PRECOMPILED_FILE, readRulesSchema, rulesSchemaModule } from "./schema-validator.js";

writeFileSync(PRECOMPILED_FILE, rulesSchemaModule(readRulesSchema()));
