import { createHash } from "node:crypto";
import type { LoadedRule } from "./load.js";
import type { CompiledNotice, CompiledRule, NoticeSpec, RuleSet } from "./types.js";

/** JSON with object keys sorted, so that formatting and key order do not change the revision. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

export function revisionOf(rules: readonly LoadedRule[]): string {
  const specs = [...rules].map((r) => r.spec).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return createHash("sha256").update(canonicalJson(specs)).digest("hex").slice(0, 16);
}

function compileNotice(spec: NoticeSpec | undefined): CompiledNotice | null {
  if (!spec) return null;
  const listed = Object.keys(spec.languages);
  const languages = [spec.defaultLanguage, ...listed.filter((l) => l !== spec.defaultLanguage)];
  return Object.freeze({ defaultLanguage: spec.defaultLanguage, languages: Object.freeze(languages), texts: Object.freeze({ ...spec.languages }) });
}

function push<K>(map: Map<K, CompiledRule[]>, key: K, rule: CompiledRule): void {
  const list = map.get(key);
  if (list) list.push(rule);
  else map.set(key, [rule]);
}

/** Builds the immutable rule set: rules indexed by country and subdivision so a decision only looks at rules that can match. */
export function compileRules(rules: readonly LoadedRule[], files: readonly string[], now: Date): RuleSet {
  const compiled = rules
    .map(({ spec, source }): CompiledRule =>
      Object.freeze({
        id: spec.id,
        title: spec.title,
        countries: new Set(spec.regions.countries ?? []),
        subdivisions: new Set(spec.regions.subdivisions ?? []),
        notice: compileNotice(spec.actions.notice),
        log: spec.log ?? "full",
        source,
      }),
    )
    .sort((a, b) => (a.id < b.id ? -1 : 1));
  const byCountry = new Map<string, CompiledRule[]>();
  const bySubdivision = new Map<string, CompiledRule[]>();
  for (const rule of compiled) {
    for (const c of rule.countries) push(byCountry, c, rule);
    for (const s of rule.subdivisions) push(bySubdivision, s, rule);
  }
  return Object.freeze({
    revision: revisionOf(rules),
    rules: Object.freeze(compiled),
    byCountry,
    bySubdivision,
    files: Object.freeze([...files]),
    loadedAt: now,
  });
}
