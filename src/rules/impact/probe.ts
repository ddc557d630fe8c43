import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { isMap, isPair, isScalar, isSeq, parseAllDocuments, type Node } from "yaml";
import { isSubdivision } from "./regions.js";

/**
 * What the rule files mention that a decision can turn on, found by reading the YAML rather than
 * the compiled rules, so it keeps up as the rule language grows: every ISO 3166-2 code written,
 * every date with an offset (an effective boundary, or a rule test's date), every language a text
 * is written in, and every path or path pattern.
 */
export interface RuleMentions {
  readonly subdivisions: ReadonlySet<string>;
  /** Epoch milliseconds, sorted. */
  readonly instants: readonly number[];
  readonly languages: ReadonlySet<string>;
  /** Example paths, one per path pattern written (`/opinion/**` gives `/opinion/x`). */
  readonly paths: ReadonlySet<string>;
}

const OFFSET_DATE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:\d{2})$/;
const LANGUAGE = /^[a-z]{2,3}(?:-[A-Za-z0-9]{2,8})*$/;
const LANGUAGE_KEYS = new Set(["defaultLanguage", "language"]);

/** The YAML files a `rules` setting points at: the files given, and every .yaml/.yml in the folders given (data files too). */
export function yamlFilesOf(paths: readonly string[]): string[] {
  const files: string[] = [];
  for (const path of paths) {
    let isDir: boolean;
    try {
      isDir = statSync(path).isDirectory();
    } catch {
      continue;
    }
    if (!isDir) files.push(path);
    else for (const name of readdirSync(path).sort()) if (/\.ya?ml$/i.test(name)) files.push(join(path, name));
  }
  return files;
}

/** An example path that a path pattern matches, or null when the string is not a site path. */
export function examplePath(pattern: string): string | null {
  const p = pattern.startsWith("!") ? pattern.slice(1) : pattern;
  if (!p.startsWith("/") || p.startsWith("//") || p.length > 500 || /\s/.test(p)) return null;
  const example = p
    .replace(/\{([^{},]*)(?:,[^{}]*)?\}/g, "$1") // {a,b} → a
    .replace(/\[(?:!|\^)?(.)[^\]]*\]/g, "$1") // [abc] → a
    .replace(/\*\*/g, "x")
    .replace(/\*/g, "x")
    .replace(/\?/g, "x")
    .replace(/[()|+@!]/g, "");
  return example.startsWith("/") ? example : null;
}

function scan(node: unknown, key: string | null, found: { subdivisions: Set<string>; instants: Set<number>; languages: Set<string>; paths: Set<string> }): void {
  if (isScalar(node)) {
    if (typeof node.value !== "string") return;
    const value = node.value;
    if (isSubdivision(value)) found.subdivisions.add(value);
    if (OFFSET_DATE.test(value)) {
      const t = Date.parse(value);
      if (!Number.isNaN(t)) found.instants.add(t);
    }
    if (key !== null && LANGUAGE_KEYS.has(key) && LANGUAGE.test(value)) found.languages.add(value);
    const path = examplePath(value);
    if (path) found.paths.add(path);
    return;
  }
  if (isSeq(node)) {
    for (const item of node.items) scan(item, key, found);
    return;
  }
  if (isMap(node)) {
    for (const pair of node.items) {
      if (!isPair(pair)) continue;
      const k = isScalar(pair.key) ? String(pair.key.value) : null;
      if (k === "languages" && isMap(pair.value)) {
        for (const lang of pair.value.items) {
          const name = isPair(lang) && isScalar(lang.key) ? String(lang.key.value) : "";
          if (LANGUAGE.test(name)) found.languages.add(name);
        }
      }
      scan(pair.value as Node | null, k, found);
    }
  }
}

/** Reads the files and collects what they mention. A file that cannot be read or parsed adds nothing: the rule loader reports it. */
export function mentionsIn(files: readonly string[]): RuleMentions {
  const found = { subdivisions: new Set<string>(), instants: new Set<number>(), languages: new Set<string>(), paths: new Set<string>() };
  for (const file of files) {
    let text: string;
    try {
      text = readFileSync(file, "utf8");
    } catch {
      continue;
    }
    for (const doc of parseAllDocuments(text)) if ("contents" in doc && doc.errors.length === 0) scan(doc.contents, null, found);
  }
  return { subdivisions: found.subdivisions, instants: [...found.instants].sort((a, b) => a - b), languages: found.languages, paths: found.paths };
}

/** The mentions of several rule sets together. */
export function mergeMentions(...all: readonly RuleMentions[]): RuleMentions {
  return {
    subdivisions: new Set(all.flatMap((m) => [...m.subdivisions])),
    instants: [...new Set(all.flatMap((m) => m.instants))].sort((a, b) => a - b),
    languages: new Set(all.flatMap((m) => [...m.languages])),
    paths: new Set(all.flatMap((m) => [...m.paths])),
  };
}
