import type { Region } from "../region/types.js";
import { decide, type Decision, type RequestFacts } from "./decide.js";
import { firstMatching, matchablePath } from "./paths.js";
import { ancestors, countryOf } from "./regions.js";
import type { CompiledRule, RuleSet, SourcePosition } from "./types.js";

export type TraceReasonCode =
  | "region-not-listed"
  | "region-excluded"
  | "unknown-region-skipped"
  | "not-yet-in-effect"
  | "no-longer-in-effect"
  | "path-not-included"
  | "path-excluded"
  | "gpc-absent"
  | "gpc-present";

export interface TraceReason {
  readonly code: TraceReasonCode;
  readonly message: string;
}

export interface TraceEntry {
  readonly rule: string;
  readonly title: string;
  readonly source: SourcePosition;
  readonly priority: number;
  readonly matched: boolean;
  /** For a matched rule: which of its regions the reader is in. */
  readonly because?: string;
  /** For a rule that did not match: every condition that failed. */
  readonly reasons: readonly TraceReason[];
  /** For a matched rule: what of it gave way to another rule, and to which. */
  readonly setAside: readonly string[];
}

export interface DecisionTrace {
  readonly decision: Decision;
  /** Every rule in the set, in decision order. */
  readonly rules: readonly TraceEntry[];
}

/** How a code comes to be in a rule: written, inside a written subdivision, or through a group. */
function howListed(rule: CompiledRule, code: string): string {
  const written = code.length === 2 ? rule.regions.countries : rule.regions.subdivisions;
  if (written?.includes(code)) return code.length === 2 ? `country ${code} is listed` : `subdivision ${code} is listed`;
  const outer = code.length > 2 ? ancestors(code).find((a) => rule.regions.subdivisions?.includes(a)) : undefined;
  if (outer) return `${code} lies in ${outer}, which is listed`;
  for (const [group, members] of rule.groups) {
    if (members.includes(code) || (code.length > 2 && ancestors(code).some((a) => members.includes(a)))) return `${code} is in group ${group}`;
  }
  return `${code} is listed`;
}

function regionVerdict(rule: CompiledRule, region: Region): { because?: string; reason?: TraceReason } {
  const { country, subdivision } = region;
  if (country === null) {
    if (rule.unknownRegion === "apply") return { because: "the reader's region is unknown and the rule says unknownRegion: apply" };
    return { reason: { code: "unknown-region-skipped", message: "the reader's region is unknown and the rule says unknownRegion: skip" } };
  }
  if (rule.excluded.has(country)) return { reason: { code: "region-excluded", message: `${country} is excluded by the rule` } };
  if (subdivision !== null) {
    if (rule.excluded.has(subdivision)) return { reason: { code: "region-excluded", message: `${subdivision} is excluded by the rule` } };
    if (rule.subdivisions.has(subdivision)) return { because: howListed(rule, subdivision) };
    if (rule.countries.has(country)) return { because: howListed(rule, country) };
    return { reason: { code: "region-not-listed", message: `the rule is not for ${subdivision}` } };
  }
  if (rule.countries.has(country)) return { because: howListed(rule, country) };
  const parts = [...rule.subdivisions].filter((s) => countryOf(s) === country);
  if (parts.length > 0) {
    const named = parts.slice(0, 6).join(", ") + (parts.length > 6 ? ", …" : "");
    if (rule.unknownRegion === "apply") return { because: `the reader's subdivision in ${country} is unknown; the rule names parts of ${country} (${named}) and says unknownRegion: apply` };
    return { reason: { code: "unknown-region-skipped", message: `the reader's subdivision in ${country} is unknown; the rule names only parts of ${country} (${named}) and says unknownRegion: skip` } };
  }
  return { reason: { code: "region-not-listed", message: `the rule is not for ${country}` } };
}

function otherReasons(rule: CompiledRule, facts: RequestFacts, now: Date): TraceReason[] {
  const reasons: TraceReason[] = [];
  const t = now.getTime();
  if (t < rule.fromMs) reasons.push({ code: "not-yet-in-effect", message: `outside its dates: it takes effect at ${rule.effective.from}` });
  if (t >= rule.untilMs) reasons.push({ code: "no-longer-in-effect", message: `outside its dates: it stopped applying at ${rule.effective.until}` });
  if (rule.whenGpc === true && !facts.gpc) reasons.push({ code: "gpc-absent", message: "GPC absent: the rule is for readers who send Sec-GPC: 1" });
  if (rule.whenGpc === false && facts.gpc) reasons.push({ code: "gpc-present", message: "the rule is for readers who do not send Sec-GPC: 1" });
  if (rule.paths) {
    const path = matchablePath(facts.path);
    const verdict = rule.paths(path);
    if (verdict === "not-included") reasons.push({ code: "path-not-included", message: `path ${facts.path} is not among paths: include (${rule.pathSpec.include.join(", ")})` });
    if (verdict === "excluded") reasons.push({ code: "path-excluded", message: `path ${facts.path} is excluded by ${firstMatching(rule.pathSpec.exclude, path) ?? "paths: exclude"}` });
  }
  return reasons;
}

/**
 * One rule's conditions checked one by one, apart from the decision's index: no reasons means the
 * rule applies. Tests hold it against decide, so the index and the explanation cannot drift apart.
 */
export function ruleVerdict(rule: CompiledRule, region: Region, facts: RequestFacts, now: Date): { because?: string; reasons: TraceReason[] } {
  const { because, reason } = regionVerdict(rule, region);
  return { ...(because ? { because } : {}), reasons: [...(reason ? [reason] : []), ...otherReasons(rule, facts, now)] };
}

/** What of a matched rule did not make it into the decision, and why. */
function setAside(rule: CompiledRule, decision: Decision): string[] {
  const notes: string[] = [];
  const first = decision.actions[0];
  if (first && (first.kind === "block" || first.kind === "redirect")) {
    if (first.rule !== rule.id) notes.push(`a ${first.kind} from ${first.rule} applies, so nothing of this rule does`);
    return notes;
  }
  if (rule.block || rule.redirect) return notes;
  for (const h of rule.headers) {
    const winner = decision.actions.find((a) => a.kind === "header" && a.name.toLowerCase() === h.name.toLowerCase());
    if (winner && winner.rule !== rule.id) notes.push(`header ${h.name} gives way to ${winner.rule}, which comes first`);
  }
  const trackers = decision.actions.find((a) => a.kind === "trackers");
  if (rule.trackers && trackers?.kind === "trackers" && trackers.rule !== rule.id) notes.push(`trackers are switched off by ${trackers.rule} (mode ${trackers.mode}), the strictest`);
  const consent = decision.actions.find((a) => a.kind === "consent");
  if (rule.consent && consent && consent.rule !== rule.id) notes.push(`consent defaults merged into ${consent.rule}'s, type by type the strictest`);
  const gpc = decision.actions.find((a) => a.kind === "gpc");
  if (rule.gpc && gpc && gpc.rule !== rule.id) notes.push(`GPC is already honoured by ${gpc.rule}`);
  return notes;
}

/**
 * The decision with its reasons: for every rule in the set, whether it matched and, if not, every
 * condition that failed (region not listed or excluded, unknown region skipped, outside its
 * dates, path not included or excluded, GPC absent). Pure, like decide.
 */
export function traceDecision(region: Region, facts: RequestFacts, ruleset: RuleSet, now: Date): DecisionTrace {
  const decision = decide(region, facts, ruleset, now);
  const matched = new Set(decision.matched);
  const rules = ruleset.rules.map((rule): TraceEntry => {
    const { because, reasons } = ruleVerdict(rule, region, facts, now);
    const entry = { rule: rule.id, title: rule.title, source: rule.source, priority: rule.priority };
    if (matched.has(rule.id)) return { ...entry, matched: true, ...(because ? { because } : {}), reasons: [], setAside: setAside(rule, decision) };
    return { ...entry, matched: false, reasons, setAside: [] };
  });
  return { decision, rules };
}
