import type { Action } from "../actions.js";
import type { RuleSet } from "../types.js";
import { decideFor, OutcomeReader, type Fact, type NoticeContent } from "./outcome.js";
import type { RuleMentions } from "./probe.js";
import { regionRows } from "./regions.js";

/** Upper bounds on each dimension, so a large rule set still compares in seconds. */
export const MAX_INSTANTS = 64;
export const MAX_LANGUAGES = 24;
export const MAX_PATHS = 16;

/** The readers compared, besides their region: every combination of these. */
export interface ReaderDimensions {
  /** The first is "now"; the others are dates written in the rules, later than now. Each starts a period that lasts until the next. */
  readonly instants: readonly Date[];
  readonly gpc: readonly boolean[];
  /** Accept-Language values; null for a reader who sends none. */
  readonly languages: ReadonlyArray<string | null>;
  readonly paths: readonly string[];
  /** Dimensions cut to their bound, if any. */
  readonly truncated: readonly string[];
}

/** A period in which a change holds: from an instant (null: now) until the next (null: from then on). */
export interface Period {
  readonly from: string | null;
  readonly until: string | null;
}

/** Which of the readers of a region a change reaches. */
export interface When {
  /** Every reader of the region: any time, GPC or not, any language, any path. */
  readonly always: boolean;
  readonly periods?: readonly Period[];
  readonly gpc?: "with" | "without";
  readonly languages?: ReadonlyArray<string | null>;
  readonly paths?: readonly string[];
  /** False when the change reaches only some combinations of the values listed. */
  readonly exact: boolean;
}

export interface Change {
  readonly change: "gained" | "lost";
  readonly kind: Fact["kind"];
  readonly rule: string;
  readonly label: string;
  readonly language?: string;
  readonly action?: Action;
  readonly notice?: NoticeContent;
  readonly when: When;
}

export interface RegionImpact {
  readonly code: string;
  readonly name: string;
  readonly changes: readonly Change[];
}

export interface Impact {
  readonly readers: ReaderDimensions & { readonly regions: number };
  readonly changed: boolean;
  readonly regions: readonly RegionImpact[];
}

/** Readers to compare: now and every later date the rules mention, with and without GPC, each language, each path. */
export function readerDimensions(mentions: RuleMentions, now: Date): ReaderDimensions {
  const truncated: string[] = [];
  const cap = <T>(list: T[], max: number, name: string): T[] => {
    if (list.length <= max) return list;
    truncated.push(`${name}: first ${max} of ${list.length}`);
    return list.slice(0, max);
  };
  const later = mentions.instants.filter((t) => t > now.getTime()).map((t) => new Date(t));
  return {
    instants: [now, ...cap(later, MAX_INSTANTS, "dates")],
    gpc: [false, true],
    languages: [null, ...cap([...mentions.languages].sort(), MAX_LANGUAGES, "languages")],
    paths: ["/", ...cap([...mentions.paths].filter((p) => p !== "/").sort(), MAX_PATHS, "paths")],
    truncated,
  };
}

function summarize(variants: readonly number[], dims: ReaderDimensions): When {
  const sizes = [dims.instants.length, dims.gpc.length, dims.languages.length, dims.paths.length] as const;
  const total = sizes[0] * sizes[1] * sizes[2] * sizes[3];
  if (variants.length === total) return { always: true, exact: true };
  const seen = [new Set<number>(), new Set<number>(), new Set<number>(), new Set<number>()] as const;
  for (const v of variants) {
    // The variant number counts instants, then GPC, then languages, then paths, fastest last.
    seen[3].add(v % sizes[3]);
    seen[2].add(Math.floor(v / sizes[3]) % sizes[2]);
    seen[1].add(Math.floor(v / (sizes[3] * sizes[2])) % sizes[1]);
    seen[0].add(Math.floor(v / (sizes[3] * sizes[2] * sizes[1])));
  }
  const exact = seen[0].size * seen[1].size * seen[2].size * seen[3].size === variants.length;
  const when: { -readonly [K in keyof When]: When[K] } = { always: false, exact };
  if (seen[0].size < sizes[0]) {
    const idx = [...seen[0]].sort((a, b) => a - b);
    const periods: Period[] = [];
    for (let i = 0; i < idx.length; i++) {
      let j = i;
      while (j + 1 < idx.length && idx[j + 1] === idx[j]! + 1) j++;
      const start = idx[i]!;
      const end = idx[j]! + 1;
      periods.push({ from: start === 0 ? null : dims.instants[start]!.toISOString(), until: end < sizes[0] ? dims.instants[end]!.toISOString() : null });
      i = j;
    }
    when.periods = periods;
  }
  if (seen[1].size < sizes[1]) when.gpc = dims.gpc[[...seen[1]][0]!] ? "with" : "without";
  if (seen[2].size < sizes[2]) when.languages = [...seen[2]].sort((a, b) => a - b).map((i) => dims.languages[i]!);
  if (seen[3].size < sizes[3]) when.paths = [...seen[3]].sort((a, b) => a - b).map((i) => dims.paths[i]!);
  return when;
}

/**
 * Decides for every reader under both rule sets and reports, region by region, what readers gain
 * and lose: rules, actions, notice texts, and when (which periods, with or without GPC, which
 * languages, which paths). Only `decide()` is asked, so whatever the rule language can express is
 * compared without this code knowing of it.
 */
export function compareRuleSets(before: RuleSet, after: RuleSet, mentions: RuleMentions, now: Date): Impact {
  const dims = readerDimensions(mentions, now);
  const subdivisions = new Set([...mentions.subdivisions, ...before.bySubdivision.keys(), ...after.bySubdivision.keys()]);
  const rows = regionRows(subdivisions);
  const oldReader = new OutcomeReader(before);
  const newReader = new OutcomeReader(after);
  const regions: RegionImpact[] = [];
  for (const row of rows) {
    const found = new Map<string, { change: "gained" | "lost"; fact: Fact; variants: number[] }>();
    let v = 0;
    for (const at of dims.instants) {
      for (const gpc of dims.gpc) {
        for (const language of dims.languages) {
          for (const path of dims.paths) {
            const reader = { region: row.region, at, gpc, language, path };
            const was = oldReader.facts(decideFor(reader, before));
            const is = newReader.facts(decideFor(reader, after));
            if (was.length !== 0 || is.length !== 0) {
              const wasKeys = new Set(was.map((f) => f.key));
              const isKeys = new Set(is.map((f) => f.key));
              for (const [list, other, change] of [[is, wasKeys, "gained"], [was, isKeys, "lost"]] as const) {
                for (const fact of list) {
                  if (other.has(fact.key)) continue;
                  const id = `${change} ${fact.key}`;
                  const entry = found.get(id);
                  if (entry) entry.variants.push(v);
                  else found.set(id, { change, fact, variants: [v] });
                }
              }
            }
            v++;
          }
        }
      }
    }
    if (found.size === 0) continue;
    const order = { rule: 0, action: 1, notice: 2 } as const;
    const changes = [...found.values()]
      .sort((a, b) => order[a.fact.kind] - order[b.fact.kind] || (a.change === b.change ? 0 : a.change === "gained" ? -1 : 1) || (a.fact.key < b.fact.key ? -1 : 1))
      .map(({ change, fact, variants }): Change => ({ change, kind: fact.kind, rule: fact.rule, label: fact.label, ...(fact.language ? { language: fact.language } : {}), ...(fact.action ? { action: fact.action } : {}), ...(fact.notice ? { notice: fact.notice } : {}), when: summarize(variants, dims) }));
    regions.push({ code: row.code, name: row.name, changes });
  }
  return { readers: { ...dims, regions: rows.length }, changed: regions.length > 0, regions };
}
