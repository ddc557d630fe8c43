import { createHash } from "node:crypto";
import type { BlockAction, ConsentAction, ConsentType, HeaderAction, NoticeAction, NoticePlacement } from "./actions.js";
import type { RuleProblem } from "./errors.js";
import type { LoadedRule, LoadedRules } from "./load.js";
import { checkMarkup } from "./markup.js";
import { parseOffsetDate } from "./dates.js";
import { compilePaths } from "./paths.js";
import { countryOf, isSubdivisionCode, regionReach } from "./regions.js";
import { FLAG, type CompiledBlock, type CompiledNotice, type CompiledRule, type DecisionTable, type LanguageChoice, type NoticeText, type RuleSet, type RuleSpec, type TextSpec } from "./types.js";

export const CONSENT_TYPES: readonly ConsentType[] = ["ad_storage", "ad_user_data", "ad_personalization", "analytics_storage", "functionality_storage", "personalization_storage", "security_storage"];

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

const byId = (a: { id: string }, b: { id: string }): number => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/**
 * A rule with every default written out and its groups resolved, so that two files meaning the
 * same thing hash the same: `log: full` written or left out, groups or their members listed.
 */
function normalize(rule: LoadedRule): unknown {
  const s = rule.spec;
  const a = s.actions;
  const sorted = (list: readonly string[] | undefined): string[] | undefined => (list ? [...list].sort() : undefined);
  return {
    id: s.id,
    title: s.title,
    basis: s.basis,
    regions: { countries: rule.regions.countries, subdivisions: rule.regions.subdivisions, exclude: rule.regions.exclude },
    paths: { include: sorted(s.paths?.include) ?? [], exclude: sorted(s.paths?.exclude) ?? [] },
    effective: s.effective ? { from: s.effective.from, until: s.effective.until } : {},
    priority: s.priority ?? 0,
    when: s.when?.gpc === undefined ? {} : { gpc: s.when.gpc },
    unknownRegion: s.unknownRegion ?? "skip",
    log: s.log ?? "full",
    actions: {
      notice: a.notice && {
        ...a.notice,
        placement: a.notice.placement ?? "body-start",
        insert: a.notice.placement === "selector" ? (a.notice.insert ?? "prepend") : undefined,
        dismissible: a.notice.dismissible ?? false,
      },
      trackers: a.trackers && { mode: a.trackers.mode, allow: sorted(a.trackers.allow?.map((h) => h.toLowerCase())) ?? [] },
      consent: a.consent && consentDefaults(a.consent),
      headers: a.headers && Object.fromEntries(Object.entries(a.headers).map(([k, v]) => [k.toLowerCase(), v])),
      cookies: a.cookies && { drop: sorted(a.cookies.drop) },
      gpc: a.gpc,
      block: a.block && { ...a.block, status: 451, defaultLanguage: blockDefaultLanguage(a.block) },
      redirect: a.redirect && { location: a.redirect.location, status: a.redirect.status ?? 302 },
    },
  };
}

export function revisionOf(rules: readonly LoadedRule[]): string {
  const specs = [...rules].sort((a, b) => byId(a.spec, b.spec)).map(normalize);
  return createHash("sha256").update(canonicalJson(specs)).digest("hex").slice(0, 16);
}

function consentDefaults(spec: Partial<Record<ConsentType, "granted" | "denied">>): Record<ConsentType, "granted" | "denied"> {
  // What a rule does not write is denied: forgetting a type must never grant it.
  return Object.fromEntries(CONSENT_TYPES.map((t) => [t, spec[t] === "granted" ? "granted" : "denied"])) as Record<ConsentType, "granted" | "denied">;
}

function blockDefaultLanguage(block: NonNullable<RuleSpec["actions"]["block"]>): string {
  return block.defaultLanguage ?? Object.keys(block.languages ?? {})[0] ?? "en";
}

function compileText(spec: TextSpec): NoticeText {
  if (spec.html !== undefined) {
    const checked = checkMarkup(spec.html);
    return Object.freeze({ title: spec.title, text: checked.text, html: checked.html });
  }
  return Object.freeze({ title: spec.title, text: spec.text ?? "" });
}

function compileTexts(defaultLanguage: string, languages: Record<string, TextSpec>): { languages: readonly string[]; texts: Readonly<Record<string, NoticeText>> } {
  const listed = Object.keys(languages);
  const ordered = [defaultLanguage, ...listed.filter((l) => l !== defaultLanguage)];
  const texts = Object.fromEntries(listed.map((l) => [l, compileText(languages[l]!)]));
  return { languages: Object.freeze(ordered), texts: Object.freeze(texts) };
}

/** One LanguageChoice per distinct language list in a rule set, so their caches stay few and warm. */
type Choices = Map<string, LanguageChoice>;

function choiceFor(choices: Choices, languages: readonly string[]): LanguageChoice {
  const key = languages.join(",");
  let choice = choices.get(key);
  if (!choice) choices.set(key, (choice = Object.freeze({ languages, fallback: languages[0]!, cache: new Map<string, number>() })));
  return choice;
}

function compileNotice(id: string, spec: RuleSpec["actions"]["notice"], choices: Choices): CompiledNotice | null {
  if (!spec) return null;
  const placement: NoticePlacement =
    spec.placement === "selector" ? Object.freeze({ at: "selector", selector: spec.selector ?? "body", mode: spec.insert ?? "prepend" }) : Object.freeze({ at: spec.placement ?? "body-start" });
  const dismissible = spec.dismissible ?? false;
  const { languages, texts } = compileTexts(spec.defaultLanguage, spec.languages);
  const actions = languages.map((language): NoticeAction => Object.freeze({ kind: "notice", rule: id, language, placement, dismissible }));
  return Object.freeze({ defaultLanguage: spec.defaultLanguage, languages, texts, placement, dismissible, actions, choice: choiceFor(choices, languages) });
}

function compileBlock(id: string, spec: RuleSpec["actions"]["block"], choices: Choices): CompiledBlock | null {
  if (!spec) return null;
  const defaultLanguage = blockDefaultLanguage(spec);
  const { languages, texts } = compileTexts(defaultLanguage, spec.languages ?? {});
  const actions = languages.map((language): BlockAction => Object.freeze({ kind: "block", rule: id, status: 451, blockedBy: spec.blockedBy, language }));
  return Object.freeze({ blockedBy: spec.blockedBy, defaultLanguage, languages, texts, actions, choice: choiceFor(choices, languages) });
}

function compileRule(rule: LoadedRule, rank: number, choices: Choices): CompiledRule {
  const { spec, regions } = rule;
  const id = spec.id;
  const { countries, subdivisions, excluded } = regionReach(regions);
  const include = spec.paths?.include ?? [];
  const exclude = spec.paths?.exclude ?? [];
  const a = spec.actions;
  const headers: HeaderAction[] = Object.entries(a.headers ?? {}).map(([name, value]) => Object.freeze({ kind: "header", rule: id, name, value }));
  const consent: ConsentAction | null = a.consent ? Object.freeze({ kind: "consent", rule: id, defaults: Object.freeze(consentDefaults(a.consent)) }) : null;
  const fromMs = spec.effective?.from ? (parseOffsetDate(spec.effective.from) ?? -Infinity) : -Infinity;
  const untilMs = spec.effective?.until ? (parseOffsetDate(spec.effective.until) ?? Infinity) : Infinity;
  // The fields in the order CompiledRule declares them: what a decision reads first.
  return Object.freeze({
    id,
    timed: fromMs !== -Infinity || untilMs !== Infinity,
    fromMs,
    untilMs,
    whenGpc: spec.when?.gpc ?? null,
    paths: compilePaths(include, exclude),
    log: spec.log ?? "full",
    block: compileBlock(id, a.block, choices),
    redirect: a.redirect ? Object.freeze({ kind: "redirect", rule: id, status: a.redirect.status ?? 302, location: a.redirect.location }) : null,
    headers,
    headerKeys: headers.map((h) => h.name.toLowerCase()),
    cookies: a.cookies ? Object.freeze({ kind: "cookies", rule: id, drop: Object.freeze([...a.cookies.drop]) }) : null,
    gpc: a.gpc ? Object.freeze({ kind: "gpc", rule: id }) : null,
    consent,
    trackers: a.trackers ? Object.freeze({ kind: "trackers", rule: id, mode: a.trackers.mode, allow: Object.freeze((a.trackers.allow ?? []).map((h) => h.toLowerCase())) }) : null,
    notice: compileNotice(id, a.notice, choices),
    title: spec.title,
    priority: spec.priority ?? 0,
    rank,
    source: rule.source,
    countries,
    subdivisions,
    excluded,
    regions: Object.freeze({ ...spec.regions }),
    groups: regions.groups,
    unknownRegion: spec.unknownRegion ?? "skip",
    effective: Object.freeze({ ...spec.effective }),
    pathSpec: Object.freeze({ include: Object.freeze([...include]), exclude: Object.freeze([...exclude]) }),
  });
}

/** Decision order: priority, highest first; then id. */
export function decisionOrder(a: RuleSpec, b: RuleSpec): number {
  return (b.priority ?? 0) - (a.priority ?? 0) || byId(a, b);
}

function push<K>(map: Map<K, CompiledRule[]>, key: K, rule: CompiledRule): void {
  const list = map.get(key);
  if (list) list.push(rule);
  else map.set(key, [rule]);
}

const byRank = (a: CompiledRule, b: CompiledRule): number => a.rank - b.rank;

/**
 * Builds the rule set. Rules and the set are frozen; the lists a decision walks are only typed
 * read-only, because walking a frozen array is several times slower in this V8. Rules are indexed by country and subdivision, and each
 * subdivision's list already holds its country's rules (minus those excluding it), so a decision
 * makes one lookup and looks only at rules that can match.
 */
export function compileRules(rules: readonly LoadedRule[], files: readonly string[], now: Date, warnings: readonly RuleProblem[] = []): RuleSet {
  const ordered = [...rules].sort((a, b) => decisionOrder(a.spec, b.spec));
  const choices: Choices = new Map();
  const compiled = ordered.map((r, rank) => compileRule(r, rank, choices));
  const byCountry = new Map<string, CompiledRule[]>();
  const bySubdivisionOnly = new Map<string, CompiledRule[]>();
  const subdivisionKeys = new Set<string>();
  const partial = new Map<string, Set<CompiledRule>>(); // country → unknownRegion: apply rules naming only parts of it
  for (const rule of compiled) {
    for (const c of rule.countries) push(byCountry, c, rule);
    for (const s of rule.subdivisions) {
      push(bySubdivisionOnly, s, rule);
      subdivisionKeys.add(s);
      if (rule.unknownRegion === "apply" && !rule.countries.has(countryOf(s))) {
        const set = partial.get(countryOf(s)) ?? new Set<CompiledRule>();
        partial.set(countryOf(s), set.add(rule));
      }
    }
    for (const e of rule.excluded) if (isSubdivisionCode(e)) subdivisionKeys.add(e);
  }
  const bySubdivision = new Map<string, readonly CompiledRule[]>();
  for (const s of subdivisionKeys) {
    const whole = (byCountry.get(countryOf(s)) ?? []).filter((r) => !r.excluded.has(s));
    const own = bySubdivisionOnly.get(s) ?? [];
    bySubdivision.set(s, [...new Set([...whole, ...own])].sort(byRank));
  }
  const byCountryUnknownSubdivision = new Map<string, readonly CompiledRule[]>();
  for (const [c, extra] of partial) byCountryUnknownSubdivision.set(c, [...new Set([...(byCountry.get(c) ?? []), ...extra])].sort(byRank));
  const unknownRegion = compiled.filter((r) => r.unknownRegion === "apply");
  const table = decisionTable(compiled, { byCountry, bySubdivision, byCountryUnknownSubdivision, unknownRegion });
  return Object.freeze({
    revision: revisionOf(rules),
    rules: Object.freeze(compiled),
    byCountry,
    bySubdivision,
    byCountryUnknownSubdivision,
    unknownRegion,
    files: Object.freeze([...files]),
    loadedAt: now,
    warnings: Object.freeze([...warnings]),
    table,
  });
}

function ranks(list: readonly CompiledRule[]): Int32Array {
  return Int32Array.from(list, (r) => r.rank);
}

function rekey(map: ReadonlyMap<string, readonly CompiledRule[]>): Map<string, Int32Array> {
  return new Map([...map].map(([k, list]) => [k, ranks(list)]));
}

/** Lays the rules out by rank for deciding (see DecisionTable). */
function decisionTable(
  rules: readonly CompiledRule[],
  index: { byCountry: ReadonlyMap<string, readonly CompiledRule[]>; bySubdivision: ReadonlyMap<string, readonly CompiledRule[]>; byCountryUnknownSubdivision: ReadonlyMap<string, readonly CompiledRule[]>; unknownRegion: readonly CompiledRule[] },
): DecisionTable {
  const n = rules.length;
  const flags = new Uint16Array(n);
  const window = new Float64Array(2 * n);
  rules.forEach((r, i) => {
    const f =
      (r.timed ? FLAG.timed : 0) |
      (r.whenGpc !== null ? FLAG.gpcCondition : 0) |
      (r.whenGpc === true ? FLAG.gpcWanted : 0) |
      (r.paths ? FLAG.paths : 0) |
      (r.log === "minimal" ? FLAG.minimalLog : 0) |
      (r.block ? FLAG.block : 0) |
      (r.redirect ? FLAG.redirect : 0) |
      (r.headers.length ? FLAG.headers : 0) |
      (r.cookies ? FLAG.cookies : 0) |
      (r.gpc ? FLAG.gpc : 0) |
      (r.consent ? FLAG.consent : 0) |
      (r.trackers ? FLAG.trackers : 0) |
      (r.notice ? FLAG.notice : 0);
    flags[i] = f;
    window[2 * i] = r.fromMs;
    window[2 * i + 1] = r.untilMs;
  });
  const headerStart = new Int32Array(n + 1);
  const headers: HeaderAction[] = [];
  const names = new Map<string, number>();
  const headerName: number[] = [];
  const noticeStart = new Int32Array(n + 1);
  const notices: NoticeAction[] = [];
  rules.forEach((r, i) => {
    headerStart[i] = headers.length;
    r.headers.forEach((h, k) => {
      headers.push(h);
      const key = r.headerKeys[k]!;
      if (!names.has(key)) names.set(key, names.size);
      headerName.push(names.get(key)!);
    });
    noticeStart[i] = notices.length;
    notices.push(...(r.notice?.actions ?? []));
  });
  headerStart[n] = headers.length;
  noticeStart[n] = notices.length;
  return Object.freeze({
    ids: rules.map((r) => r.id),
    flags,
    window,
    paths: rules.map((r) => r.paths),
    headerStart,
    headers,
    headerName: Int32Array.from(headerName),
    cookies: rules.map((r) => r.cookies),
    gpc: rules.map((r) => r.gpc),
    consent: rules.map((r) => r.consent),
    trackers: rules.map((r) => r.trackers),
    noticeStart,
    notices,
    noticeChoice: rules.map((r) => r.notice?.choice ?? null),
    byCountry: rekey(index.byCountry),
    bySubdivision: rekey(index.bySubdivision),
    byCountryUnknownSubdivision: rekey(index.byCountryUnknownSubdivision),
    unknownRegion: ranks(index.unknownRegion),
  });
}

/** The rule set from everything the loader read. */
export function compileRuleSet(loaded: LoadedRules, now: Date): RuleSet {
  return compileRules(loaded.rules, loaded.files, now, loaded.warnings);
}
