import Negotiator from "negotiator";
import type { Region } from "../region/types.js";
import type { Action } from "./actions.js";
import type { CompiledRule, RuleSet } from "./types.js";

/** What the decision may know about the request: no sockets, no bodies. */
export interface RequestFacts {
  readonly method: string;
  /** The path without the query string. */
  readonly path: string;
  /** The raw `Accept-Language` header, if any. */
  readonly acceptLanguage?: string | undefined;
}

export type { Action, NoticeAction } from "./actions.js";

export interface Decision {
  readonly revision: string;
  readonly region: Region;
  /** Ids of the rules that apply, in order. */
  readonly matched: readonly string[];
  readonly actions: readonly Action[];
  /** `minimal` when any matched rule asks that the log keep as little as possible. */
  readonly log: "full" | "minimal";
  /** Whether the response body must be rewritten. */
  readonly rewritesBody: boolean;
}

const NONE: readonly CompiledRule[] = Object.freeze([]);

/** The rules whose regions contain this region, each once, in id order. */
function candidates(region: Region, ruleset: RuleSet): readonly CompiledRule[] {
  if (!region.country) return NONE;
  const byCountry = ruleset.byCountry.get(region.country) ?? NONE;
  const bySub = region.subdivision ? (ruleset.bySubdivision.get(region.subdivision) ?? NONE) : NONE;
  if (bySub.length === 0) return byCountry;
  if (byCountry.length === 0) return bySub;
  return [...new Set([...byCountry, ...bySub])].sort((a, b) => (a.id < b.id ? -1 : 1));
}

export function negotiateLanguage(acceptLanguage: string | undefined, available: readonly string[], fallback: string): string {
  if (!acceptLanguage) return fallback;
  const chosen = new Negotiator({ headers: { "accept-language": acceptLanguage } }).language([...available]);
  return chosen ?? fallback;
}

/**
 * The decision: a pure function of the region, the request facts, the rule set and the time.
 * No I/O, no clock, no randomness, so it is tested and explained without HTTP.
 */
export function decide(region: Region, facts: RequestFacts, ruleset: RuleSet, now: Date): Decision {
  void now; // effective dates arrive with the rule language; the clock is already an input
  const rules = candidates(region, ruleset);
  const actions: Action[] = [];
  let log: "full" | "minimal" = "full";
  for (const rule of rules) {
    if (rule.log === "minimal") log = "minimal";
    if (rule.notice) {
      const language = negotiateLanguage(facts.acceptLanguage, rule.notice.languages, rule.notice.defaultLanguage);
      actions.push({ kind: "notice", rule: rule.id, language, placement: { at: "body-start" }, dismissible: false });
    }
  }
  return {
    revision: ruleset.revision,
    region,
    matched: rules.map((r) => r.id),
    actions,
    log,
    rewritesBody: actions.some((a) => a.kind === "notice"),
  };
}
