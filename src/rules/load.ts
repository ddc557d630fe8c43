import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { Ajv, type ErrorObject, type ValidateFunction } from "ajv";
import addFormatsModule from "ajv-formats";
import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node } from "yaml";
import { shippedRulesDir } from "../package-root.js";
import { RuleLoadError, type RuleProblem } from "./errors.js";
import type { RuleFileSpec, RuleSpec, SourcePosition } from "./types.js";

/** Files in a rules folder that are data, not rules. */
const DATA_FILES = new Set(["trackers.yaml", "trackers.yml", "groups.yaml", "groups.yml"]);
/** A rule file bigger than this is refused: real ones are a few kilobytes. */
export const MAX_RULE_FILE_BYTES = 1024 * 1024;
const MAX_ALIASES = 50;

const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;
let validator: ValidateFunction<RuleFileSpec> | undefined;

function schemaValidator(): ValidateFunction<RuleFileSpec> {
  if (!validator) {
    const schema = JSON.parse(readFileSync(join(shippedRulesDir(), "schema.json"), "utf8")) as object;
    const ajv = new Ajv({ allErrors: true, strict: true, useDefaults: false });
    addFormats(ajv);
    validator = ajv.compile<RuleFileSpec>(schema);
  }
  return validator;
}

/** A rule from a file, with where it was written. */
export interface LoadedRule {
  readonly spec: RuleSpec;
  readonly source: SourcePosition;
}

/** Expands the `rules` option (a folder, a file, or a list of either) into rule files in a stable order. */
export function ruleFiles(paths: string | readonly string[]): string[] {
  const files: string[] = [];
  for (const path of typeof paths === "string" ? [paths] : paths) {
    let stat;
    try {
      stat = statSync(path);
    } catch {
      throw new RuleLoadError([{ file: path, line: 0, col: 0, message: "no such file or folder" }]);
    }
    if (stat.isDirectory()) {
      const names = readdirSync(path).filter((n) => /\.ya?ml$/i.test(n) && !DATA_FILES.has(n.toLowerCase())).sort();
      files.push(...names.map((n) => join(path, n)));
    } else {
      files.push(path);
    }
  }
  return files;
}

/** Loads and validates every rule file; throws one RuleLoadError listing every problem in every file. */
export function loadRules(paths: string | readonly string[]): LoadedRule[] {
  const problems: RuleProblem[] = [];
  const rules: LoadedRule[] = [];
  for (const file of ruleFiles(paths)) {
    const text = readRuleFile(file, problems);
    if (text !== null) rules.push(...parseRuleFile(text, displayName(file), problems));
  }
  const seen = new Map<string, LoadedRule>();
  for (const rule of rules) {
    const first = seen.get(rule.spec.id);
    if (first) {
      problems.push({ ...rule.source, message: `duplicate rule id "${rule.spec.id}": already used at ${first.source.file}:${first.source.line}:${first.source.col}; give each rule its own id` });
    } else {
      seen.set(rule.spec.id, rule);
    }
  }
  if (problems.length > 0) throw new RuleLoadError(problems);
  return rules;
}

function displayName(file: string): string {
  const rel = relative(process.cwd(), file);
  return rel.startsWith("..") ? file : rel;
}

function readRuleFile(file: string, problems: RuleProblem[]): string | null {
  const name = displayName(file);
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (error) {
    problems.push({ file: name, line: 0, col: 0, message: `cannot be read (${(error as NodeJS.ErrnoException).code ?? "error"})` });
    return null;
  }
  if (bytes.length > MAX_RULE_FILE_BYTES) {
    problems.push({ file: name, line: 0, col: 0, message: `file is ${bytes.length} bytes; rule files may be at most ${MAX_RULE_FILE_BYTES}` });
    return null;
  }
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    problems.push({ file: name, line: 0, col: 0, message: "file is not UTF-8 text; save it as UTF-8" });
    return null;
  }
}

/** Parses one file's text. Problems are appended; valid rules are returned only when the whole file is valid. */
export function parseRuleFile(text: string, file: string, problems: RuleProblem[]): LoadedRule[] {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true, customTags: [], strict: true });
  const at = (offset: number): { line: number; col: number } => lineCounter.linePos(offset);
  const before = problems.length;
  for (const e of [...doc.errors, ...doc.warnings]) {
    const pos = at(e.pos[0]);
    problems.push({ file, ...pos, message: yamlMessage(e.code, e.message) });
  }
  if (problems.length > before) return [];

  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: MAX_ALIASES });
  } catch (error) {
    problems.push({ file, line: 1, col: 1, message: `${(error as Error).message}; write the values out instead of repeating aliases` });
    return [];
  }
  const validate = schemaValidator();
  if (!validate(data)) {
    for (const error of validate.errors ?? []) problems.push({ file, ...at(errorOffset(doc, error)), message: schemaMessage(error) });
    return [];
  }
  const items = doc.get("rules", true);
  return data.rules.map((spec, i) => {
    const node = isSeq(items) ? (items.items[i] as Node | undefined) : undefined;
    return { spec, source: { file, ...at(node?.range?.[0] ?? 0) } };
  });
}

function yamlMessage(code: string, message: string): string {
  const first = message.split("\n")[0] ?? message;
  if (code === "DUPLICATE_KEY") return `${first}; each key may appear once`;
  if (code === "TAG_RESOLVE_FAILED" || /tag/i.test(code)) return `${first}; custom tags (!tag) are not allowed in rule files`;
  return first;
}

function pathOf(error: ErrorObject): (string | number)[] {
  return error.instancePath
    .split("/")
    .slice(1)
    .map((s) => s.replace(/~1/g, "/").replace(/~0/g, "~"))
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
}

/** Points at the offending key for unknown keys, at the value otherwise. */
function errorOffset(doc: Document, error: ErrorObject): number {
  const path = pathOf(error);
  const node = path.length === 0 ? doc.contents : (doc.getIn(path, true) as Node | undefined);
  if (error.keyword === "additionalProperties" && isMap(node)) {
    const key = (error.params as { additionalProperty: string }).additionalProperty;
    const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && p.key.value === key);
    if (pair && isScalar(pair.key) && pair.key.range) return pair.key.range[0];
  }
  if (error.keyword === "propertyNames" && isMap(node)) {
    const key = (error.params as { propertyName: string }).propertyName;
    const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && p.key.value === key);
    if (pair && isScalar(pair.key) && pair.key.range) return pair.key.range[0];
  }
  return node?.range?.[0] ?? 0;
}

function where(error: ErrorObject): string {
  const path = pathOf(error);
  const last = path.filter((p) => typeof p === "string").pop();
  return last ? `"${last}"` : "the file";
}

function schemaMessage(error: ErrorObject): string {
  const p = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case "additionalProperties":
      return `unknown key "${String(p.additionalProperty)}" in ${where(error)}; remove it or check its spelling`;
    case "required":
      return `${where(error)} is missing "${String(p.missingProperty)}"; add it`;
    case "type":
      return `${where(error)} must be ${String(p.type) === "array" ? "a list" : String(p.type) === "object" ? "a set of keys" : `a ${String(p.type)}`}`;
    case "enum":
      return `${where(error)} must be one of: ${(p.allowedValues as unknown[]).map(String).join(", ")}`;
    case "pattern":
      return `${where(error)} has a value in the wrong form: ${patternHint(error)}`;
    case "propertyNames":
      return `"${String(p.propertyName)}" is not a language tag; write one such as en, ru or pt-BR`;
    case "minItems":
    case "minProperties":
      return `${where(error)} must not be empty`;
    case "uniqueItems":
      return `${where(error)} lists the same value twice`;
    case "format":
      return `${where(error)} must be a web address starting with https://`;
    default:
      return `${where(error)} ${error.message ?? "is invalid"}`;
  }
}

function patternHint(error: ErrorObject): string {
  const path = pathOf(error);
  const field = path.filter((p) => typeof p === "string").pop();
  if (field === "countries") return "write a two-letter ISO 3166-1 country code in capitals, such as RU";
  if (field === "subdivisions") return "write an ISO 3166-2 code such as UA-43";
  if (field === "id") return "use lower-case letters, digits and dashes, such as ru-undesirable-organization";
  return `it must match ${String((error.params as { pattern: string }).pattern)}`;
}
