import Negotiator from "negotiator";
import type { Region } from "../region/types.js";
import type { Action, ConsentAction, ConsentType, TrackersAction } from "./actions.js";
import { matchablePath } from "./paths.js";
import type { CompiledRule, LanguageChoice, RuleSet } from "./types.js";

/** What the decision may know about the request: no sockets, no bodies. */
export interface RequestFacts {
  readonly method: string;
  /** The path without the query string. */
  readonly path: string;
  /** The raw `Accept-Language` header, if any. */
  readonly acceptLanguage?: string | undefined;
  /** Whether the reader's browser sent `Sec-GPC: 1` (Global Privacy Control). */
  readonly gpc: boolean;
}

export type { Action, NoticeAction } from "./actions.js";

export interface Decision {
  readonly revision: string;
  readonly region: Region;
  /** Ids of the rules that apply, in decision order (priority, then id). */
  readonly matched: readonly string[];
  /** In the order of ACTION_ORDER; a block or a redirect stands alone. */
  readonly actions: readonly Action[];
  /** `minimal` when any matched rule asks that the log keep as little as possible. */
  readonly log: "full" | "minimal";
  /** Whether the response body must be rewritten: a notice to insert, consent defaults or trackers to neutralize. */
  readonly rewritesBody: boolean;
}

const NONE: readonly CompiledRule[] = []; // not frozen: see compileRules
const NO_ACTIONS: readonly Action[] = Object.freeze([]);
const NO_IDS: readonly string[] = Object.freeze([]);
/** Distinct Accept-Language values remembered per text; real traffic has a few hundred. */
const NEGOTIATION_CACHE = 512;

/** The rules whose regions can contain this region, in decision order: one map lookup. */
export function candidates(region: Region, ruleset: RuleSet): readonly CompiledRule[] {
  const country = region.country;
  if (country === null) return ruleset.unknownRegion;
  if (region.subdivision !== null) return ruleset.bySubdivision.get(region.subdivision) ?? ruleset.byCountry.get(country) ?? NONE;
  return ruleset.byCountryUnknownSubdivision.get(country) ?? ruleset.byCountry.get(country) ?? NONE;
}

export function negotiateLanguage(acceptLanguage: string | undefined, available: readonly string[], fallback: string): string {
  if (!acceptLanguage) return fallback;
  const chosen = new Negotiator({ headers: { "accept-language": acceptLanguage } }).language([...available]);
  return chosen ?? fallback;
}

/** The index of the language to use, remembered per language list: the same header always gives the same answer. */
function choose(choice: LanguageChoice, acceptLanguage: string | undefined): number {
  if (!acceptLanguage) return 0;
  let index = choice.cache.get(acceptLanguage);
  if (index === undefined) {
    index = choice.languages.indexOf(negotiateLanguage(acceptLanguage, choice.languages, choice.fallback));
    if (choice.cache.size < NEGOTIATION_CACHE) choice.cache.set(acceptLanguage, index);
  }
  return index;
}

/** Whether the rule's conditions other than region hold: dates, GPC, paths (the path made matchable only when a rule has paths). */
function conditionsHold(rule: CompiledRule, t: number, facts: RequestFacts, path: { value: string | null }): boolean {
  if (rule.timed && (t < rule.fromMs || t >= rule.untilMs)) return false;
  if (rule.whenGpc !== null && rule.whenGpc !== facts.gpc) return false;
  if (rule.paths === null) return true;
  return rule.paths((path.value ??= matchablePath(facts.path))) === "ok";
}

/**
 * The decision: a pure function of the region, the request facts, the rule set and the time.
 * No I/O, no clock, no randomness, so it is tested and explained without HTTP.
 */
export function decide(region: Region, facts: RequestFacts, ruleset: RuleSet, now: Date): Decision {
  const list = candidates(region, ruleset);
  let matched: CompiledRule[] | null = null;
  if (list.length > 0) {
    const t = now.getTime();
    const path = { value: null };
    for (let i = 0; i < list.length; i++) {
      const rule = list[i]!;
      if (conditionsHold(rule, t, facts, path)) (matched ??= []).push(rule);
    }
  }
  if (matched === null) return { revision: ruleset.revision, region, matched: NO_IDS, actions: NO_ACTIONS, log: "full", rewritesBody: false };
  return resolve(ruleset, region, matched, facts.acceptLanguage);
}

/** Which rules match, before conflicts are resolved: shared by decide and traceDecision. */
export function matchingRules(region: Region, facts: RequestFacts, ruleset: RuleSet, now: Date): CompiledRule[] {
  const t = now.getTime();
  const path = { value: null };
  return candidates(region, ruleset).filter((rule) => conditionsHold(rule, t, facts, path));
}

function stricterConsent(a: ConsentAction, b: ConsentAction): ConsentAction {
  const defaults = { ...a.defaults };
  for (const [type, value] of Object.entries(b.defaults) as Array<[ConsentType, "granted" | "denied"]>) if (value === "denied") defaults[type] = "denied";
  return { kind: "consent", rule: a.rule, defaults };
}

function stricterTrackers(a: TrackersAction, b: TrackersAction): TrackersAction {
  if (a.mode !== b.mode) return a.mode === "third-party" ? a : b;
  // Same mode: a host is spared only if every rule spares it.
  return { kind: "trackers", rule: a.rule, mode: a.mode, allow: a.allow.filter((h) => b.allow.includes(h)) };
}

/**
 * Turns the matched rules (in decision order) into actions. The order of conflict resolution:
 * 1. a block (the first rule that blocks) stands alone;
 * 2. else a redirect (the first rule that redirects) stands alone;
 * 3. else headers (for each name, the first rule that sets it wins), cookies (every rule's),
 *    GPC (once), consent (one, type by type the strictest: denied wins), trackers (one: third-party
 *    over list, allow lists intersected), then notices (every rule's, in order).
 * "First" is decision order: priority, highest first, then id.
 */
function resolve(ruleset: RuleSet, region: Region, matched: readonly CompiledRule[], acceptLanguage: string | undefined): Decision {
  // One pass for what every decision needs; object literals only (a spread such as
  // `{ ...base, more }` costs microseconds in this V8): this runs on every request.
  const n = matched.length;
  const ids = new Array<string>(n);
  let log: "full" | "minimal" = "full";
  let blocker: CompiledRule | null = null;
  let redirector: CompiledRule | null = null;
  for (let i = 0; i < n; i++) {
    const rule = matched[i]!;
    ids[i] = rule.id;
    if (rule.log === "minimal") log = "minimal";
    if (rule.block !== null && blocker === null) blocker = rule;
    if (rule.redirect !== null && redirector === null) redirector = rule;
  }
  if (blocker !== null) {
    const block = blocker.block!;
    return { revision: ruleset.revision, region, matched: ids, actions: [block.actions[choose(block.choice, acceptLanguage)]!], log, rewritesBody: false };
  }
  if (redirector !== null) return { revision: ruleset.revision, region, matched: ids, actions: [redirector.redirect!], log, rewritesBody: false };

  const actions: Action[] = [];
  let seen: string[] | null = null;
  for (const rule of matched) {
    const keys = rule.headerKeys;
    for (let h = 0; h < keys.length; h++) {
      if (seen !== null && seen.includes(keys[h]!)) continue;
      (seen ??= []).push(keys[h]!);
      actions.push(rule.headers[h]!);
    }
  }
  let gpc: Action | null = null;
  let consent: ConsentAction | null = null;
  let trackers: TrackersAction | null = null;
  for (const rule of matched) {
    if (rule.cookies !== null) actions.push(rule.cookies);
    if (rule.gpc !== null && gpc === null) gpc = rule.gpc;
    if (rule.consent !== null) consent = consent === null ? rule.consent : stricterConsent(consent, rule.consent);
    if (rule.trackers !== null) trackers = trackers === null ? rule.trackers : stricterTrackers(trackers, rule.trackers);
  }
  if (gpc !== null) actions.push(gpc);
  if (consent !== null) actions.push(consent);
  if (trackers !== null) actions.push(trackers);
  let hasNotice = false;
  for (const rule of matched) {
    const notice = rule.notice;
    if (notice === null) continue;
    actions.push(notice.actions[choose(notice.choice, acceptLanguage)]!);
    hasNotice = true;
  }
  return { revision: ruleset.revision, region, matched: ids, actions, log, rewritesBody: hasNotice || consent !== null || trackers !== null };
}
