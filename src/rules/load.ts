import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import type { ErrorObject, ValidateFunction } from "ajv";
import type * as Yaml from "yaml";
import { requireCjs } from "../require-cjs.js";
import { checkFile, type Reporter } from "./check.js";
import { findConflicts } from "./conflicts.js";
import { byPosition, RuleLoadError, type RuleProblem } from "./errors.js";
import { pathOf, propertyNameMessage, schemaMessage } from "./messages.js";
import { offsetOf } from "./dates.js";
import { ancestors, BUILTIN_GROUPS, countryOf, isSubdivisionCode } from "./regions.js";
import { readRulesSchema, rulesValidator } from "./schema-validator.js";
import { YamlFile, type YamlPath } from "./source.js";
import { didYouMean, listWords } from "./suggest.js";
import type { RuleFileSpec, RuleSpec, RuleTestSpec, SourcePosition } from "./types.js";

const { isAlias, isMap, isPair, isScalar, Lexer, LineCounter, parseDocument, visit } = requireCjs("yaml") as typeof Yaml;

/** Files in a rules folder that are data for other stages, not rules. */
const DATA_FILES = new Set(["trackers.yaml", "trackers.yml"]);
/** A rule file bigger than this is refused: real ones are a few kilobytes. */
export const MAX_RULE_FILE_BYTES = 1024 * 1024;
/** Aliases (`*name`) a file may expand; a few are handy, thousands are an attack. */
export const MAX_ALIASES = 50;
/** Nesting a file may reach; rules need about ten levels, and the YAML parser recurses. */
export const MAX_DEPTH = 64;

let validator: ValidateFunction<RuleFileSpec> | undefined;

function schemaValidator(): ValidateFunction<RuleFileSpec> {
  validator ??= rulesValidator(readRulesSchema()).validate;
  return validator;
}

/** The regions of a rule with its groups resolved: what it includes and excludes, as codes. */
export interface ResolvedRegions {
  readonly countries: readonly string[];
  readonly subdivisions: readonly string[];
  readonly exclude: readonly string[];
  /** Each group the rule names (to include or exclude) and its members. */
  readonly groups: ReadonlyMap<string, readonly string[]>;
}

/** A rule from a file, with where it was written. */
export interface LoadedRule {
  readonly spec: RuleSpec;
  readonly source: SourcePosition;
  readonly regions: ResolvedRegions;
  /** Where a part of the rule was written, by its path inside the rule (such as ["actions", "headers", "Referrer-Policy"]). */
  at(path: YamlPath, options?: { key?: boolean }): SourcePosition;
}

export interface LoadedTest {
  readonly spec: RuleTestSpec;
  readonly source: SourcePosition;
  at(path: YamlPath, options?: { key?: boolean }): SourcePosition;
}

/** Everything read from the rule files, valid. */
export interface LoadedRules {
  readonly rules: readonly LoadedRule[];
  readonly tests: readonly LoadedTest[];
  readonly groups: ReadonlyMap<string, readonly string[]>;
  readonly warnings: readonly RuleProblem[];
  readonly files: readonly string[];
}

/** One rule file's bytes, under the name messages use for it. */
export interface RuleSource {
  readonly file: string;
  readonly bytes: Uint8Array;
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

export function displayName(file: string): string {
  const rel = relative(process.cwd(), file);
  return rel.startsWith("..") ? file : rel;
}

/** Reads, checks and resolves every rule file; throws one RuleLoadError listing every problem in every file. */
export function readRules(paths: string | readonly string[]): LoadedRules {
  const files = ruleFiles(paths);
  const problems: RuleProblem[] = [];
  const sources: RuleSource[] = [];
  for (const file of files) {
    try {
      sources.push({ file: displayName(file), bytes: readFileSync(file) });
    } catch (error) {
      problems.push({ file: displayName(file), line: 0, col: 0, message: `cannot be read (${(error as NodeJS.ErrnoException).code ?? "error"})` });
    }
  }
  return readRuleSources(sources, files, problems);
}

/** Loads and validates every rule file; the rules only (see readRules for tests, groups and warnings). */
export function loadRules(paths: string | readonly string[]): LoadedRule[] {
  return [...readRules(paths).rules];
}

interface ParsedFile {
  readonly yaml: YamlFile;
  readonly data: unknown;
  readonly valid: boolean;
}

/** Checks rule files given as bytes: the core of loading, with no file system. */
export function readRuleSources(sources: readonly RuleSource[], files: readonly string[] = sources.map((s) => s.file), earlier: readonly RuleProblem[] = []): LoadedRules {
  const problems: RuleProblem[] = [...earlier];
  const warnings: RuleProblem[] = [];
  const parsed: ParsedFile[] = [];
  for (const source of sources) {
    const file = parseFile(source, problems, warnings);
    if (file) parsed.push(file);
  }

  const groups = collectGroups(parsed, problems);
  const ids = new Map<string, SourcePosition>();
  const rules: LoadedRule[] = [];
  const tests: LoadedTest[] = [];
  for (const { yaml, data, valid } of parsed) {
    const spec = data as RuleFileSpec;
    (Array.isArray(spec.rules) ? spec.rules : []).forEach((rule, i) => {
      const base: YamlPath = ["rules", i];
      const at = (path: YamlPath, options?: { key?: boolean }): SourcePosition => yaml.at([...base, ...path], options);
      const source = at([]);
      if (typeof rule?.id === "string") {
        const first = ids.get(rule.id);
        if (first) problems.push({ ...at(["id"]), message: `duplicate rule id "${rule.id}": already used at ${first.file}:${first.line}:${first.col}; give each rule its own id` });
        else ids.set(rule.id, at(["id"]));
      }
      const regions = resolveRegions(rule, groups, at, problems, warnings);
      if (valid && regions) rules.push({ spec: rule, source, regions, at });
    });
    (Array.isArray(spec.tests) ? spec.tests : []).forEach((test, i) => {
      const at = (path: YamlPath, options?: { key?: boolean }): SourcePosition => yaml.at(["tests", i, ...path], options);
      if (valid) tests.push({ spec: test, source: at([]), at });
    });
  }
  checkTestIds(parsed, ids, problems);
  warnings.push(...findConflicts(rules));
  if (problems.length > 0) throw new RuleLoadError(dedupe(problems).sort(byPosition), dedupe(warnings).sort(byPosition));
  return { rules, tests, groups, warnings: dedupe(warnings).sort(byPosition), files };
}

function dedupe(problems: RuleProblem[]): RuleProblem[] {
  const seen = new Set<string>();
  return problems.filter((p) => {
    const key = `${p.file}:${p.line}:${p.col}:${p.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** The first byte that is not UTF-8, or -1. */
function invalidUtf8At(b: Uint8Array): number {
  for (let i = 0; i < b.length; ) {
    const c = b[i]!;
    if (c < 0x80) {
      i++;
      continue;
    }
    let n: number;
    let lo = 0x80;
    let hi = 0xbf;
    if (c >= 0xc2 && c <= 0xdf) n = 1;
    else if (c >= 0xe0 && c <= 0xef) {
      n = 2;
      if (c === 0xe0) lo = 0xa0;
      if (c === 0xed) hi = 0x9f;
    } else if (c >= 0xf0 && c <= 0xf4) {
      n = 3;
      if (c === 0xf0) lo = 0x90;
      if (c === 0xf4) hi = 0x8f;
    } else return i;
    for (let k = 1; k <= n; k++) {
      const d = b[i + k];
      if (d === undefined || d < (k === 1 ? lo : 0x80) || d > (k === 1 ? hi : 0xbf)) return i;
    }
    i += n + 1;
  }
  return -1;
}

function decodeUtf8(source: RuleSource, problems: RuleProblem[]): string | null {
  const { file, bytes } = source;
  if (bytes.length > MAX_RULE_FILE_BYTES) {
    problems.push({ file, line: 1, col: 1, message: `the file is ${bytes.length} bytes; a rule file may be at most ${MAX_RULE_FILE_BYTES} bytes (1 MiB): split it into several files` });
    return null;
  }
  const bad = invalidUtf8At(bytes);
  if (bad !== -1) {
    const lineStart = bad === 0 ? 0 : bytes.lastIndexOf(0x0a, bad - 1) + 1;
    let line = 1;
    for (let i = 0; i < lineStart; i++) if (bytes[i] === 0x0a) line++;
    const col = new TextDecoder("utf-8").decode(bytes.subarray(lineStart, bad)).length + 1;
    const hex = bytes[bad]!.toString(16).toUpperCase().padStart(2, "0");
    problems.push({ file, line, col, message: `byte 0x${hex} is not UTF-8 text; the file was probably saved in another encoding (such as Windows-1252 or KOI8-R): save it as UTF-8` });
    return null;
  }
  return new TextDecoder("utf-8").decode(bytes); // drops a byte-order mark
}

/** The first node carrying a tag (`!name`, `!!binary`): none is needed to write rules, and each changes what a value means. */
function explicitTag(yaml: YamlFile): { offset: number; tag: string } | null {
  let found: { offset: number; tag: string } | null = null;
  visit(yaml.doc, {
    Node(_key, node) {
      if (!node.tag || !node.range) return undefined;
      let start = yaml.text.lastIndexOf("!", node.range[0]);
      while (start > 0 && !/\s/.test(yaml.text[start - 1]!)) start--;
      found = { offset: start, tag: /^\S+/.exec(yaml.text.slice(start))?.[0] ?? node.tag };
      return visit.BREAK;
    },
  });
  return found;
}

function tagMessage(tag: string): string {
  return `tags such as ${tag} are not allowed in rule files: remove it and write the value plainly`;
}

/** The line holding `offset` and the next non-blank line, with their indentation. */
function linesAt(text: string, offset: number): { line: string; indent: number; next: string | null; nextIndent: number } {
  const startOfLine = text.lastIndexOf("\n", offset - 1) + 1;
  const [line = "", ...after] = text.slice(startOfLine).split("\n");
  const next = after.find((l) => l.trim() !== "" && !l.trim().startsWith("#")) ?? null;
  const indentOf = (l: string): number => /^ */.exec(l)![0].length;
  return { line, indent: indentOf(line), next, nextIndent: next === null ? 0 : indentOf(next) };
}

/** Indentation mistakes in plain words: the parser's own text speaks of its grammar, not of the file. */
function indentMessage(code: string, first: string, text: string, offset: number): string | null {
  if (/Sequence item without - indicator/.test(first)) {
    return `this line is indented less than the lines above it, but more than the "-" of their entry: line its key up with the keys above it (with spaces), or start a new entry with "- "`;
  }
  if (/All mapping items must start at the same column/.test(first)) return `this key is not lined up with the keys above it at the same level: indent it with as many spaces as they have`;
  if (/All sequence items must start at the same column/.test(first)) return `this "-" entry is not lined up with the entries above it: indent it with as many spaces as they have`;
  if (code === "BLOCK_AS_IMPLICIT_KEY" || code === "MULTILINE_IMPLICIT_KEY") {
    const at = linesAt(text, offset);
    // "title: A" followed by a line indented further: that line is read as the rest of the value.
    if (at.next !== null && at.nextIndent > at.indent && /:\s*[^\s|>#]/.test(at.line)) {
      return `the line after this one is indented more (${at.nextIndent} spaces, not ${at.indent}), although this key's value is already given: line it up with this line`;
    }
  }
  return null;
}

function yamlMessage(code: string, message: string, rest: string, text = "", offset = 0): string {
  const first = (message.split("\n")[0] ?? message).replace(/ at line \d+, column \d+:?$/, "");
  const indent = indentMessage(code, first, text, offset);
  if (indent) return indent;
  switch (code) {
    case "DUPLICATE_KEY": {
      const key = /^["']?([^:"'\n]+)/.exec(rest)?.[1]?.trim();
      return `${key ? `"${key}" appears twice here` : first}; each key may appear once in the same place: remove one`;
    }
    case "BLOCK_AS_IMPLICIT_KEY":
      return `this value contains ": ", which YAML reads as the start of another key; put the whole value in quotes, such as title: "Example: a notice"`;
    case "UNEXPECTED_TOKEN":
      return /scalar/.test(first) ? `there is more text after the closing quote; put all of the value inside the quotes` : first;
    case "BAD_INDENT":
    case "MISSING_CHAR":
      return /Flow sequence/.test(first) ? `a list in [ ] is not closed, or the next line is not indented enough: end the list with ] (${first})` : /Flow map/.test(first) ? `a set of keys in { } is not closed: end it with } (${first})` : first;
    case "MULTIPLE_DOCS":
      return `a rule file holds one document; remove the --- line and put all rules under one "rules:"`;
    case "TAB_AS_INDENT":
      return "a tab is used for indentation; indent with spaces";
    case "TAG_RESOLVE_FAILED":
      return tagMessage(/(![^\s]*)/.exec(first)?.[1] ?? "!name");
    case "BAD_ALIAS":
    case "BAD_ANCHOR":
      return first;
    default:
      return /tag/i.test(code) ? tagMessage(/(![^\s]*)/.exec(first)?.[1] ?? "!name") : first;
  }
}

function reporterFor(yaml: YamlFile, problems: RuleProblem[], warnings: RuleProblem[]): Reporter {
  return {
    error: (path, message, options) => problems.push({ ...yaml.at(path, options), message }),
    warn: (path, message, options) => warnings.push({ ...yaml.at(path, options), message }),
    errorAt: (path, snippet, occurrence, message) => problems.push({ ...yaml.within(path, snippet, occurrence), message }),
  };
}

/**
 * The offset where the nesting first goes deeper than MAX_DEPTH, or -1. Measured on the lexer's
 * tokens (which reads iteratively) before the parser (which recurses) sees the text, so a file
 * of ten thousand brackets cannot exhaust the stack of a running server.
 */
const LEXER_MARKERS = new Set(["\u0002", "\u0018", "\u001f"]);

function tooDeepAt(text: string): number {
  let offset = 0;
  let flow = 0;
  let onLine = 0;
  let indent = 0;
  let lineStart = true;
  for (const token of new Lexer().lex(text)) {
    if (LEXER_MARKERS.has(token)) continue; // not in the source text
    if (token === "\n") {
      onLine = 0;
      indent = 0;
      lineStart = true;
    } else if (lineStart && /^ +$/.test(token)) {
      indent = token.length;
    } else {
      lineStart = false;
      if (token === "[" || token === "{") flow++;
      else if (token === "]" || token === "}") flow = Math.max(0, flow - 1);
      // Inside brackets only brackets nest: a one-line flow mapping with many keys is one level deep.
      else if (flow === 0 && (token === "-" || token === "?" || token === ":")) onLine++;
      if (flow + onLine + Math.floor(indent / 2) > MAX_DEPTH) return offset;
    }
    offset += token.length;
  }
  return -1;
}

function parseFile(source: RuleSource, problems: RuleProblem[], warnings: RuleProblem[]): ParsedFile | null {
  const text = decodeUtf8(source, problems);
  if (text === null) return null;
  const { file } = source;
  const deep = tooDeepAt(text);
  if (deep !== -1) {
    const lines = new LineCounter();
    lines.addNewLine(0);
    for (let i = text.indexOf("\n"); i !== -1; i = text.indexOf("\n", i + 1)) lines.addNewLine(i + 1);
    problems.push({ file, ...lines.linePos(deep), message: `the file is nested more than ${MAX_DEPTH} levels deep here; no rule needs that many: check the brackets and the indentation` });
    return null;
  }
  const lineCounter = new LineCounter();
  let yaml: YamlFile;
  try {
    const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true, customTags: [], strict: true, merge: false });
    yaml = new YamlFile(file, text, doc, lineCounter);
    // After the first syntax error the parser's reading of the rest is a guess: report that one only.
    const first = [...doc.errors, ...doc.warnings].sort((a, b) => a.pos[0] - b.pos[0])[0];
    if (first) {
      problems.push({ ...yaml.position(first.pos[0]), message: yamlMessage(first.code, first.message, text.slice(first.pos[0]), text, first.pos[0]) });
      return null;
    }
    const tagged = explicitTag(yaml);
    if (tagged) {
      problems.push({ ...yaml.position(tagged.offset), message: tagMessage(tagged.tag) });
      return null;
    }
  } catch (error) {
    problems.push({ file, line: 1, col: 1, message: error instanceof RangeError ? "the file is nested too deeply to read; no rule needs this many levels" : `cannot be read as YAML (${(error as Error).message})` });
    return null;
  }

  let data: unknown;
  try {
    data = yaml.doc.toJS({ maxAliasCount: MAX_ALIASES });
  } catch (error) {
    let firstAlias: number | undefined;
    visit(yaml.doc, {
      Alias(_key, node) {
        firstAlias ??= node.range?.[0];
        return visit.BREAK;
      },
    });
    const message = error instanceof RangeError ? "the file is nested too deeply to read" : `aliases (*name) expand to too much here (at most ${MAX_ALIASES} expansions are allowed); write the values out instead`;
    problems.push({ ...(firstAlias !== undefined ? yaml.position(firstAlias) : { file, line: 1, col: 1 }), message });
    return null;
  }

  if (typeof data !== "object" || data === null || Array.isArray(data)) {
    const message =
      data === null || data === undefined
        ? `this file has no rules; start it with "rules:" (see rules/README.md)`
        : `a rule file starts with "rules:", followed by the list of rules${Array.isArray(data) ? "; put rules: above this list and indent it" : ""}`;
    problems.push({ ...yaml.at([]), message });
    return null;
  }
  const before = problems.length;
  const validate = schemaValidator();
  if (!validate(data)) {
    // Several missing keys in one place make one message.
    const missing = new Map<string, string[]>();
    for (const error of validate.errors ?? []) {
      if (error.keyword !== "required") continue;
      const list = missing.get(error.instancePath) ?? [];
      missing.set(error.instancePath, [...list, `"${String((error.params as { missingProperty: string }).missingProperty)}"`]);
    }
    // A misspelt key is reported once, as unknown with "did you mean", not also as missing.
    for (const error of validate.errors ?? []) {
      if (error.keyword !== "additionalProperties") continue;
      const names = missing.get(error.instancePath);
      const meant = /did you mean "([^"]+)"\?$/.exec(schemaMessage(error))?.[1];
      if (names && meant) {
        const left = names.filter((n) => n !== `"${meant}"`);
        if (left.length) missing.set(error.instancePath, left);
        else missing.delete(error.instancePath);
      }
    }
    for (const error of validate.errors ?? []) {
      if (error.keyword === "required") {
        const names = missing.get(error.instancePath);
        if (!names) continue;
        missing.delete(error.instancePath);
        const { offset, message } = locate(yaml, error);
        problems.push({ ...yaml.position(offset), message: message.replace(/is missing ".*"; add it$/, names.length === 1 ? `is missing ${names[0]}; add it` : `is missing ${listWords(names, "and")}; add them`) });
        continue;
      }
      if ((error as ErrorObject & { propertyName?: string }).propertyName !== undefined) continue; // reported by its propertyNames error
      // A built-in group name under groups: gets its own, clearer message from checkFile.
      if (error.keyword === "propertyNames" && error.instancePath === "/groups" && BUILTIN_GROUPS.has(String((error.params as { propertyName: string }).propertyName))) continue;
      const { offset, message } = locate(yaml, error);
      problems.push({ ...yaml.position(offset), message });
    }
  }
  checkFile(data, reporterFor(yaml, problems, warnings));
  return { yaml, data, valid: problems.length === before };
}

/** Points at the offending key for unknown keys and bad key names, at the value otherwise. */
function locate(yaml: YamlFile, error: ErrorObject): { offset: number; message: string } {
  const path = pathOf(error);
  const node = yaml.node(path);
  const keyOffset = (key: string): number | undefined => {
    if (!isMap(node)) return undefined;
    const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && p.key.value === key);
    return pair && isScalar(pair.key) ? pair.key.range?.[0] : undefined;
  };
  if (error.keyword === "additionalProperties") {
    const key = (error.params as { additionalProperty: string }).additionalProperty;
    return { offset: keyOffset(key) ?? node?.range?.[0] ?? 0, message: schemaMessage(error) };
  }
  if (error.keyword === "propertyNames") {
    const key = (error.params as { propertyName: string }).propertyName;
    return { offset: keyOffset(key) ?? node?.range?.[0] ?? 0, message: propertyNameMessage(error, key) };
  }
  // A date without an offset: the rule's other date says which zone the rule was written in.
  const last = path.at(-1);
  const other = last === "from" ? "until" : last === "until" ? "from" : null;
  const sibling = other ? yaml.node([...path.slice(0, -1), other]) : undefined;
  // …and the one region it names, if it names one, which zone it is for.
  const ruleAt = path[0] === "rules" && typeof path[1] === "number" ? (yaml.doc.getIn(["rules", path[1], "regions"], false) as unknown) : undefined;
  const regions = isMap(ruleAt) ? (ruleAt.toJSON() as { countries?: unknown; subdivisions?: unknown }) : {};
  const named = [...(Array.isArray(regions.countries) ? regions.countries : []), ...(Array.isArray(regions.subdivisions) ? regions.subdivisions : [])];
  const context = { date: { offset: isScalar(sibling) ? offsetOf(sibling.value) : null, region: named.length === 1 && typeof named[0] === "string" ? named[0] : null } };
  if (isAlias(node)) return { offset: node.range?.[0] ?? 0, message: schemaMessage(error, context) };
  return { offset: node?.range?.[0] ?? 0, message: schemaMessage(error, context) };
}

function collectGroups(parsed: readonly ParsedFile[], problems: RuleProblem[]): Map<string, readonly string[]> {
  const groups = new Map<string, readonly string[]>(BUILTIN_GROUPS);
  const where = new Map<string, SourcePosition>();
  for (const { yaml, data } of parsed) {
    const defined = (data as RuleFileSpec | null)?.groups;
    if (typeof defined !== "object" || defined === null || Array.isArray(defined)) continue;
    for (const [name, members] of Object.entries(defined)) {
      if (BUILTIN_GROUPS.has(name) || !Array.isArray(members)) continue;
      const pos = yaml.at(["groups", name], { key: true });
      const first = where.get(name);
      if (first) {
        problems.push({ ...pos, message: `group ${name} is already defined at ${first.file}:${first.line}:${first.col}; define each group once` });
        continue;
      }
      where.set(name, pos);
      groups.set(name, members.filter((m): m is string => typeof m === "string"));
    }
  }
  return groups;
}

const looksLikeCode = (s: string): boolean => /^[A-Z]{2}(-[A-Z0-9]{1,3})?$/.test(s) && !BUILTIN_GROUPS.has(s);

/** Resolves the groups a rule names; null when one is unknown (reported). */
function resolveRegions(rule: RuleSpec | undefined, groups: ReadonlyMap<string, readonly string[]>, at: LoadedRule["at"], problems: RuleProblem[], warnings: RuleProblem[]): ResolvedRegions | null {
  const regions = rule?.regions;
  if (typeof regions !== "object" || regions === null) return null;
  const list = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : []);
  const countries = new Set(list(regions.countries));
  const subdivisions = new Set(list(regions.subdivisions));
  const exclude = new Set<string>();
  const used = new Map<string, readonly string[]>();
  let ok = true;
  const expand = (name: string, path: YamlPath): readonly string[] | null => {
    const members = groups.get(name);
    if (members) {
      used.set(name, members);
      return members;
    }
    const hint = didYouMean(name, groups.keys());
    problems.push({ ...at(path), message: `there is no group ${name}; ${hint || `use EU, EEA or ALL, or define it under "groups:" in a rule file`}` });
    ok = false;
    return null;
  };
  list(regions.groups).forEach((name, i) => {
    for (const code of expand(name, ["regions", "groups", i]) ?? []) (isSubdivisionCode(code) ? subdivisions : countries).add(code);
  });
  list(regions.exclude).forEach((entry, i) => {
    if (looksLikeCode(entry)) exclude.add(entry);
    else for (const code of expand(entry, ["regions", "exclude", i]) ?? []) exclude.add(code);
  });
  if (!ok) return null;
  list(regions.exclude).forEach((entry, i) => {
    if (!looksLikeCode(entry)) return;
    const covered = isSubdivisionCode(entry)
      ? countries.has(countryOf(entry)) || subdivisions.has(entry) || ancestors(entry).some((a) => subdivisions.has(a))
      : countries.has(entry) || [...subdivisions].some((s) => countryOf(s) === entry);
    if (!covered) warnings.push({ ...at(["regions", "exclude", i]), message: `excluding ${entry} changes nothing: the rule does not include it; remove it, or check the code` });
  });
  return { countries: [...countries].sort(), subdivisions: [...subdivisions].sort(), exclude: [...exclude].sort(), groups: used };
}

/** Ids a test expects must be the ids of rules. */
function checkTestIds(parsed: readonly ParsedFile[], ids: ReadonlyMap<string, SourcePosition>, problems: RuleProblem[]): void {
  for (const { yaml, data } of parsed) {
    const tests = (data as RuleFileSpec | null)?.tests;
    if (!Array.isArray(tests)) continue;
    tests.forEach((test, i) => {
      const expect = test?.expect;
      if (typeof expect !== "object" || expect === null) return;
      const check = (id: unknown, path: YamlPath): void => {
        if (typeof id !== "string" || ids.has(id)) return;
        const hint = didYouMean(id, ids.keys());
        problems.push({ ...yaml.at(path), message: `there is no rule with id "${id}"; ${hint || "check the id against the rule files"}` });
      };
      if (Array.isArray(expect.rules)) expect.rules.forEach((id, k) => check(id, ["tests", i, "expect", "rules", k]));
      if (Array.isArray(expect.actions)) expect.actions.forEach((a, k) => check(a?.rule, ["tests", i, "expect", "actions", k, "rule"]));
    });
  }
}
