import type NegotiatorType from "negotiator";
import { requireCjs } from "../require-cjs.js";
import type { Region } from "../region/types.js";
import type { Action, ConsentAction, ConsentType, TrackersAction } from "./actions.js";
import { matchablePath } from "./paths.js";
import { FLAG, type DecisionTable, type LanguageChoice, type RuleSet } from "./types.js";

const Negotiator = requireCjs("negotiator") as typeof NegotiatorType;

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

const NO_ACTIONS: readonly Action[] = Object.freeze([]);
const NO_IDS: readonly string[] = Object.freeze([]);
const NONE = new Int32Array(0);
/** Distinct Accept-Language values remembered per language list; real traffic has a few hundred. */
const NEGOTIATION_CACHE = 512;

/** The ranks of the rules whose regions can contain this region, in decision order: one map lookup. */
function candidates(region: Region, table: DecisionTable): Int32Array {
  const country = region.country;
  if (country === null) return table.unknownRegion;
  if (region.subdivision !== null) return table.bySubdivision.get(region.subdivision) ?? table.byCountry.get(country) ?? NONE;
  return table.byCountryUnknownSubdivision.get(country) ?? table.byCountry.get(country) ?? NONE;
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

/**
 * The decision: a pure function of the region, the request facts, the rule set and the time.
 * No I/O, no clock, no randomness, so it is tested and explained without HTTP.
 */
export function decide(region: Region, facts: RequestFacts, ruleset: RuleSet, now: Date): Decision {
  const table = ruleset.table;
  const list = candidates(region, table);
  let matched: number[] | null = null;
  if (list.length > 0) {
    const { flags, window, paths } = table;
    const t = now.getTime();
    let path: string | null = null;
    for (let i = 0; i < list.length; i++) {
      const r = list[i]!;
      const f = flags[r]!;
      if (f & FLAG.timed && (t < window[2 * r]! || t >= window[2 * r + 1]!)) continue;
      if (f & FLAG.gpcCondition && (f & FLAG.gpcWanted) !== 0 !== facts.gpc) continue;
      if (f & FLAG.paths && paths[r]!((path ??= matchablePath(facts.path))) !== "ok") continue;
      (matched ??= []).push(r);
    }
  }
  if (matched === null) return { revision: ruleset.revision, region, matched: NO_IDS, actions: NO_ACTIONS, log: "full", rewritesBody: false };
  return resolve(ruleset, region, matched, facts.acceptLanguage);
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
function resolve(ruleset: RuleSet, region: Region, matched: readonly number[], acceptLanguage: string | undefined): Decision {
  // Object literals only: a spread such as `{ ...base, more }` costs microseconds in this V8.
  const table = ruleset.table;
  const { flags } = table;
  const n = matched.length;
  const ids = new Array<string>(n);
  let all = 0;
  let blocker = -1;
  let redirector = -1;
  for (let i = 0; i < n; i++) {
    const r = matched[i]!;
    const f = flags[r]!;
    ids[i] = table.ids[r]!;
    all |= f;
    if (f & FLAG.block && blocker === -1) blocker = r;
    if (f & FLAG.redirect && redirector === -1) redirector = r;
  }
  const log = all & FLAG.minimalLog ? "minimal" : "full";
  if (blocker !== -1) {
    const block = ruleset.rules[blocker]!.block!;
    return { revision: ruleset.revision, region, matched: ids, actions: [block.actions[choose(block.choice, acceptLanguage)]!], log, rewritesBody: false };
  }
  if (redirector !== -1) return { revision: ruleset.revision, region, matched: ids, actions: [ruleset.rules[redirector]!.redirect!], log, rewritesBody: false };

  const actions: Action[] = [];
  if (all & FLAG.headers) {
    const { headerStart, headerName, headers } = table;
    let seen: number[] | null = null;
    for (const r of matched) {
      for (let h = headerStart[r]!, end = headerStart[r + 1]!; h < end; h++) {
        if (seen !== null && seen.includes(headerName[h]!)) continue; // a rule earlier in order set it
        (seen ??= []).push(headerName[h]!);
        actions.push(headers[h]!);
      }
    }
  }
  if (all & FLAG.cookies) for (const r of matched) if (flags[r]! & FLAG.cookies) actions.push(table.cookies[r]!);
  if (all & FLAG.gpc) actions.push(table.gpc[matched.find((r) => flags[r]! & FLAG.gpc)!]!);
  if (all & FLAG.consent) {
    let consent: ConsentAction | null = null;
    for (const r of matched) if (flags[r]! & FLAG.consent) consent = consent === null ? table.consent[r]! : stricterConsent(consent, table.consent[r]!);
    actions.push(consent!);
  }
  if (all & FLAG.trackers) {
    let trackers: TrackersAction | null = null;
    for (const r of matched) if (flags[r]! & FLAG.trackers) trackers = trackers === null ? table.trackers[r]! : stricterTrackers(trackers, table.trackers[r]!);
    actions.push(trackers!);
  }
  if (all & FLAG.notice) for (const r of matched) if (flags[r]! & FLAG.notice) actions.push(table.notices[table.noticeStart[r]! + choose(table.noticeChoice[r]!, acceptLanguage)]!);
  return { revision: ruleset.revision, region, matched: ids, actions, log, rewritesBody: (all & (FLAG.notice | FLAG.consent | FLAG.trackers)) !== 0 };
}
