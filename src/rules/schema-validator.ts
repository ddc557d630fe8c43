import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Ajv as AjvType, ValidateFunction } from "ajv";
import { shippedRulesDir } from "../package-root.js";
import type { RuleFileSpec } from "./types.js";

const require = createRequire(import.meta.url);

/**
 * The rule schema's validator, compiled by `npm run build` (and so in the published package) into
 * this file beside this module: compiling it with ajv takes longer than reading all the rules.
 */
export const PRECOMPILED_FILE = fileURLToPath(new URL("./rules-schema-validator.cjs", import.meta.url));

/** The options every rule file is validated with, compiled here or ahead of time. */
function newAjv(source: boolean): AjvType {
  const { Ajv } = require("ajv") as typeof import("ajv");
  const addFormats = require("ajv-formats") as (ajv: AjvType) => AjvType;
  const ajv = new Ajv({ allErrors: true, strict: true, useDefaults: false, verbose: true, code: { source } });
  addFormats(ajv);
  return ajv;
}

export const schemaHash = (schemaText: string): string => createHash("sha256").update(schemaText).digest("hex");

/** The schema compiled now, with ajv. */
export function compileRulesSchema(schemaText: string): ValidateFunction<RuleFileSpec> {
  return newAjv(false).compile<RuleFileSpec>(JSON.parse(schemaText) as object);
}

/** The validator as a CommonJS module (ajv's standalone code), stamped with the hash of the schema it was made from. */
export function rulesSchemaModule(schemaText: string): string {
  const { default: standaloneCode } = require("ajv/dist/standalone") as typeof import("ajv/dist/standalone/index.js");
  const ajv = newAjv(true);
  const code = standaloneCode(ajv, ajv.compile(JSON.parse(schemaText) as object));
  return `${code}\nmodule.exports.schemaHash = ${JSON.stringify(schemaHash(schemaText))};\n`;
}

/**
 * The validator for `schemaText`: the precompiled one when `file` was made from this very schema,
 * else compiled now (a build by `tsc` alone, or a schema changed since), which behaves the same.
 */
export function rulesValidator(schemaText: string, file = PRECOMPILED_FILE): { validate: ValidateFunction<RuleFileSpec>; precompiled: boolean } {
  if (existsSync(file)) {
    const loaded = require(file) as ValidateFunction<RuleFileSpec> & { schemaHash?: unknown };
    if (typeof loaded === "function" && loaded.schemaHash === schemaHash(schemaText)) return { validate: loaded, precompiled: true };
  }
  return { validate: compileRulesSchema(schemaText), precompiled: false };
}

/** The shipped rules/schema.json. */
export function readRulesSchema(): string {
  return readFileSync(join(shippedRulesDir(), "schema.json"), "utf8");
}
