// Run by `npm run build`: writes the validators of the rule and tracker-list schemas, compiled ahead of time (schema-validator.ts).
import { writeFileSync } from "node:fs";
import { PRECOMPILED_SCHEMAS, readSchema, schemaModule } from "./schema-validator.js";

for (const spec of PRECOMPILED_SCHEMAS) writeFileSync(spec.validatorFile, schemaModule(spec, readSchema(spec)));
