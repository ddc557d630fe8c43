import { decisionOrder } from "./compile.js";
import { parseOffsetDate } from "./dates.js";
import type { RuleProblem } from "./errors.js";
import type { LoadedRule } from "./load.js";
import { patternBase } from "./paths.js";
import { countryOf, regionReach, type RegionReach } from "./regions.js";
import type { SourcePosition } from "./types.js";

interface Candidate {
  readonly rule: LoadedRule;
  readonly reach: RegionReach;
  readonly fromMs: number;
  readonly untilMs: number;
  readonly bases: readonly string[];
}

const UNKNOWN = "?";

/** A region both rules apply to, or null when they cannot meet there. */
function sharedRegion(a: Candidate, b: Candidate): string | null {
  const covers = (c: Candidate, sub: string): boolean => c.reach.subdivisions.has(sub) || (c.reach.countries.has(countryOf(sub)) && !c.reach.excluded.has(sub));
  for (const c of a.reach.countries) if (b.reach.countries.has(c)) return c;
  for (const s of a.reach.subdivisions) if (covers(b, s)) return s;
  for (const s of b.reach.subdivisions) if (covers(a, s)) return s;
  if (a.rule.spec.unknownRegion === "apply" && b.rule.spec.unknownRegion === "apply") return "an unknown region";
  return null;
}

/** Whether two literal path prefixes can both hold for one path: one is the other or lies under it. */
function basesMeet(x: string, y: string): boolean {
  if (x === "" || y === "" || x === y) return true;
  return x.startsWith(`${y}/`) || y.startsWith(`${x}/`);
}

function pathsMeet(a: Candidate, b: Candidate): boolean {
  return a.bases.some((x) => b.bases.some((y) => basesMeet(x, y)));
}

function canMeet(a: Candidate, b: Candidate): string | null {
  if (!(a.fromMs < b.untilMs && b.fromMs < a.untilMs)) return null;
  const ga = a.rule.spec.when?.gpc;
  const gb = b.rule.spec.when?.gpc;
  if (ga !== undefined && gb !== undefined && ga !== gb) return null;
  if (!pathsMeet(a, b)) return null;
  return sharedRegion(a, b);
}

function here(p: SourcePosition): string {
  return `${p.file}:${p.line}:${p.col}`;
}

function why(winner: LoadedRule, loser: LoadedRule): string {
  const wp = winner.spec.priority ?? 0;
  const lp = loser.spec.priority ?? 0;
  if (wp !== lp) return `it has priority ${wp}, this one ${lp}`;
  return `both have priority ${wp}, so the ids decide; give one a higher priority to make the choice deliberate`;
}

function candidate(rule: LoadedRule): Candidate {
  const include = rule.spec.paths?.include ?? ["/**"];
  return {
    rule,
    reach: regionReach(rule.regions),
    fromMs: rule.spec.effective?.from ? (parseOffsetDate(rule.spec.effective.from) ?? -Infinity) : -Infinity,
    untilMs: rule.spec.effective?.until ? (parseOffsetDate(rule.spec.effective.until) ?? Infinity) : Infinity,
    bases: include.map((p) => patternBase(p).replace(/\/+$/, "")),
  };
}

/**
 * Conflicts between rules that can meet (overlapping regions, dates, GPC condition and paths):
 * two blocks, two redirects, a redirect where a block applies, the same header set two ways.
 * Each is a warning at the rule that gives way, naming the one that wins and where it is.
 */
export function findConflicts(rules: readonly LoadedRule[]): RuleProblem[] {
  const relevant = rules.filter((r) => r.spec.actions.block || r.spec.actions.redirect || r.spec.actions.headers).map(candidate);
  const buckets = new Map<string, Candidate[]>();
  for (const c of relevant) {
    const keys = new Set<string>([...c.reach.countries, ...[...c.reach.subdivisions].map(countryOf)]);
    if (c.rule.spec.unknownRegion === "apply") keys.add(UNKNOWN);
    for (const k of keys) {
      const list = buckets.get(k);
      if (list) list.push(c);
      else buckets.set(k, [c]);
    }
  }
  const warnings: RuleProblem[] = [];
  const done = new Set<string>();
  for (const list of buckets.values()) {
    for (let i = 0; i < list.length; i++) {
      for (let j = i + 1; j < list.length; j++) {
        const [first, second] = decisionOrder(list[i]!.rule.spec, list[j]!.rule.spec) <= 0 ? [list[i]!, list[j]!] : [list[j]!, list[i]!];
        const pair = `${first.rule.spec.id}\u0000${second.rule.spec.id}`;
        if (done.has(pair)) continue;
        done.add(pair);
        const region = canMeet(first, second);
        if (region) warnings.push(...conflictsBetween(first.rule, second.rule, region));
      }
    }
  }
  return warnings;
}

function conflictsBetween(w: LoadedRule, l: LoadedRule, region: string): RuleProblem[] {
  const out: RuleProblem[] = [];
  const wa = w.spec.actions;
  const la = l.spec.actions;
  const wid = `"${w.spec.id}"`;
  const readers = region === "an unknown region" ? "readers whose region is unknown" : `readers in ${region}`;
  if (wa.block && la.block) {
    out.push({ ...l.at(["actions", "block"], { key: true }), message: `this block and the block of ${wid} (${here(w.at(["actions", "block"], { key: true }))}) both apply to ${readers}; only ${wid} is used there, as it comes first (${why(w, l)})` });
  }
  if (wa.redirect && la.redirect) {
    out.push({ ...l.at(["actions", "redirect"], { key: true }), message: `this redirect and the redirect of ${wid} (${here(w.at(["actions", "redirect"], { key: true }))}) both apply to ${readers}; only ${wid} is used there, as it comes first (${why(w, l)})` });
  }
  // A block comes before any redirect, whatever the priorities.
  for (const [blocker, redirector] of [[w, l], [l, w]] as const) {
    if (blocker.spec.actions.block && redirector.spec.actions.redirect && !redirector.spec.actions.block) {
      out.push({
        ...redirector.at(["actions", "redirect"], { key: true }),
        message: `this redirect never reaches ${readers}: "${blocker.spec.id}" blocks them (${here(blocker.at(["actions", "block"], { key: true }))}), and a block comes before a redirect`,
      });
    }
  }
  if (wa.headers && la.headers) {
    const winners = new Map(Object.entries(wa.headers).map(([name, value]) => [name.toLowerCase(), { name, value }]));
    for (const [name, value] of Object.entries(la.headers)) {
      const win = winners.get(name.toLowerCase());
      if (!win || win.value === value) continue;
      out.push({
        ...l.at(["actions", "headers", name], { key: true }),
        message: `${name} is set to "${value}" here and to "${win.value}" by ${wid} (${here(w.at(["actions", "headers", win.name], { key: true }))}) for ${readers}; "${win.value}" is sent, as ${wid} comes first (${why(w, l)}); make the values agree, or give the rule that should win a higher priority`,
      });
    }
  }
  return out;
}
