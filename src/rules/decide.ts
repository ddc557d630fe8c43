import Negotiator from "negotiator";
import type { Region } from "../region/types.js";
import type { Action, ConsentAction, ConsentType, TrackersAction } from "./actions.js";
import { matchablePath } from "./paths.js";
import type { CompiledRule, RuleSet } from "./types.js";

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

const NONE: readonly CompiledRule[] = Object.freeze([]);
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

/** Negotiation remembered per text: a pure cache, the same header always gives the same language. */
function negotiated(cache: Map<string, string>, acceptLanguage: string | undefined, available: readonly string[], fallback: string): string {
  if (!acceptLanguage) return fallback;
  let language = cache.get(acceptLanguage);
  if (language === undefined) {
    language = negotiateLanguage(acceptLanguage, available, fallback);
    if (cache.size < NEGOTIATION_CACHE) cache.set(acceptLanguage, language);
  }
  return language;
}

/** Whether the rule's conditions other than region hold: dates, GPC, paths. */
function conditionsHold(rule: CompiledRule, t: number, gpc: boolean, path: string): boolean {
  if (t < rule.fromMs || t >= rule.untilMs) return false;
  if (rule.whenGpc !== null && rule.whenGpc !== gpc) return false;
  return rule.paths === null || rule.paths(path) === "ok";
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
    const path = matchablePath(facts.path);
    for (const rule of list) {
      if (conditionsHold(rule, t, facts.gpc, path)) (matched ??= []).push(rule);
    }
  }
  if (matched === null) return { revision: ruleset.revision, region, matched: NO_IDS, actions: NO_ACTIONS, log: "full", rewritesBody: false };
  return resolve(ruleset, region, matched, facts.acceptLanguage);
}

/** Which rules match, before conflicts are resolved: shared by decide and traceDecision. */
export function matchingRules(region: Region, facts: RequestFacts, ruleset: RuleSet, now: Date): CompiledRule[] {
  const t = now.getTime();
  const path = matchablePath(facts.path);
  return candidates(region, ruleset).filter((rule) => conditionsHold(rule, t, facts.gpc, path));
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
  const ids = matched.map((r) => r.id);
  const log = matched.some((r) => r.log === "minimal") ? "minimal" : "full";
  const base = { revision: ruleset.revision, region, matched: ids, log } as const;
  for (const rule of matched) {
    const block = rule.block;
    if (block) {
      const language = negotiated(block.negotiated, acceptLanguage, block.languages, block.defaultLanguage);
      return { ...base, actions: [block.actions.get(language)!], rewritesBody: false };
    }
  }
  for (const rule of matched) if (rule.redirect) return { ...base, actions: [rule.redirect], rewritesBody: false };

  const actions: Action[] = [];
  let headerNames: Set<string> | null = null;
  let gpc: Action | null = null;
  let consent: ConsentAction | null = null;
  let trackers: TrackersAction | null = null;
  let hasNotice = false;
  for (const rule of matched) {
    for (const header of rule.headers) {
      const name = header.name.toLowerCase();
      if (headerNames?.has(name)) continue;
      (headerNames ??= new Set()).add(name);
      actions.push(header);
    }
  }
  for (const rule of matched) if (rule.cookies) actions.push(rule.cookies);
  for (const rule of matched) {
    if (rule.gpc && !gpc) gpc = rule.gpc;
    if (rule.consent) consent = consent ? stricterConsent(consent, rule.consent) : rule.consent;
    if (rule.trackers) trackers = trackers ? stricterTrackers(trackers, rule.trackers) : rule.trackers;
  }
  if (gpc) actions.push(gpc);
  if (consent) actions.push(consent);
  if (trackers) actions.push(trackers);
  for (const rule of matched) {
    const notice = rule.notice;
    if (!notice) continue;
    const language = negotiated(notice.negotiated, acceptLanguage, notice.languages, notice.defaultLanguage);
    actions.push(notice.actions.get(language)!);
    hasNotice = true;
  }
  return { ...base, actions, rewritesBody: hasNotice || consent !== null || trackers !== null };
}
