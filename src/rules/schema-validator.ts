import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Ajv as AjvType, ValidateFunction } from "ajv";
import { shippedRulesDir } from "../package-root.js";
import type { RuleFileSpec } from "./types.js";
import { requireCjs } from "../require-cjs.js";


/**
 * A JSON schema whose validator `npm run build` compiles (and so ships in the package) as ajv's
 * standalone code: compiling a schema with ajv, and loading ajv, take longer than reading the files
 * it checks. ajv itself loads only when a validator must be compiled at run time.
 */
export interface PrecompiledSchema {
  /** The schema file, read at start. */
  readonly schemaPath: () => string;
  /** Where the build writes the compiled validator. */
  readonly validatorFile: string;
  /** ajv's options for this schema, the same whether compiled now or ahead of time. */
  readonly ajv: { readonly formats: boolean };
}

/** rules/schema.json, the rule files' schema. */
export const RULES_SCHEMA: PrecompiledSchema = {
  schemaPath: () => join(shippedRulesDir(), "schema.json"),
  validatorFile: fileURLToPath(new URL("./rules-schema-validator.cjs", import.meta.url)),
  ajv: { formats: true },
};

/** rules/trackers.schema.json, the tracker lists' schema. */
export const TRACKERS_SCHEMA: PrecompiledSchema = {
  schemaPath: () => join(shippedRulesDir(), "trackers.schema.json"),
  validatorFile: fileURLToPath(new URL("./trackers-schema-validator.cjs", import.meta.url)),
  ajv: { formats: false },
};

export const PRECOMPILED_SCHEMAS: readonly PrecompiledSchema[] = [RULES_SCHEMA, TRACKERS_SCHEMA];

function newAjv(spec: PrecompiledSchema, source: boolean): AjvType {
  const { Ajv } = requireCjs("ajv") as typeof import("ajv");
  const ajv = new Ajv({ allErrors: true, strict: true, useDefaults: false, verbose: true, code: { source } });
  if (spec.ajv.formats) (requireCjs("ajv-formats") as (ajv: AjvType) => AjvType)(ajv);
  return ajv;
}

export const schemaHash = (schemaText: string): string => createHash("sha256").update(schemaText).digest("hex");

/** The schema compiled now, with ajv. */
export function compileSchema<T>(spec: PrecompiledSchema, schemaText: string): ValidateFunction<T> {
  return newAjv(spec, false).compile<T>(JSON.parse(schemaText) as object);
}

/** The validator as a CommonJS module (ajv's standalone code), stamped with the hash of the schema it was made from. */
export function schemaModule(spec: PrecompiledSchema, schemaText: string): string {
  const { default: standaloneCode } = requireCjs("ajv/dist/standalone") as typeof import("ajv/dist/standalone/index.js");
  const ajv = newAjv(spec, true);
  const code = standaloneCode(ajv, ajv.compile(JSON.parse(schemaText) as object));
  return `${code}\nmodule.exports.schemaHash = ${JSON.stringify(schemaHash(schemaText))};\n`;
}

/**
 * The validator for `schemaText`: the precompiled one when `file` was made from this very schema,
 * else compiled now (a build by `tsc` alone, or a schema changed since), which behaves the same.
 */
export function schemaValidator<T>(
  spec: PrecompiledSchema,
  schemaText: string,
  file = spec.validatorFile,
): { validate: ValidateFunction<T>; precompiled: boolean } {
  if (existsSync(file)) {
    const loaded = requireCjs(file) as ValidateFunction<T> & { schemaHash?: unknown };
    if (typeof loaded === "function" && loaded.schemaHash === schemaHash(schemaText)) return { validate: loaded, precompiled: true };
  }
  return { validate: compileSchema<T>(spec, schemaText), precompiled: false };
}

export function readSchema(spec: PrecompiledSchema): string {
  return readFileSync(spec.schemaPath(), "utf8");
}

// The rule schema's own names, used by the rules' loader and tests.
export const compileRulesSchema = (schemaText: string): ValidateFunction<RuleFileSpec> => compileSchema<RuleFileSpec>(RULES_SCHEMA, schemaText);
export const rulesSchemaModule = (schemaText: string): string => schemaModule(RULES_SCHEMA, schemaText);
export const rulesValidator = (schemaText: string, file = RULES_SCHEMA.validatorFile): { validate: ValidateFunction<RuleFileSpec>; precompiled: boolean } =>
  schemaValidator<RuleFileSpec>(RULES_SCHEMA, schemaText, file);
/** The shipped rules/schema.json. */
export const readRulesSchema = (): string => readSchema(RULES_SCHEMA);
