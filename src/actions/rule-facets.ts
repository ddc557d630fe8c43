import type { GpcAction, HeaderAction } from "../rules/actions.js";
import type { CompiledRule } from "../rules/types.js";

/** A text a rule gives for its block page; `html` is markup the rule loader has already checked. */
export interface RuleText {
  readonly title: string;
  readonly text: string;
  readonly html?: string;
}

/**
 * What the response stage reads from a compiled rule beyond its regions and notice. The rule
 * language fills these (`paths`, `when.gpc`, a `gpc` action, `headers`, effective dates, block
 * texts); a compiled rule without one behaves as today's language does: every path, no GPC,
 * no headers, always in force, the built-in block page texts. Read through here only, so there is
 * one place to tighten once every compiled rule carries them.
 */
export interface RuleFacets {
  /** null or absent: the rule applies to every path. */
  readonly paths?: ((path: string) => "ok" | "not-included" | "excluded") | null;
  readonly whenGpc?: boolean | null;
  readonly gpc?: GpcAction | null;
  readonly headers?: readonly HeaderAction[];
  /** Effective window in epoch milliseconds: from inclusive, until exclusive. */
  readonly fromMs?: number;
  readonly untilMs?: number;
  readonly block?: { readonly texts?: Readonly<Record<string, RuleText>> } | null;
}

export function facets(rule: CompiledRule): RuleFacets {
  return rule as CompiledRule & RuleFacets;
}

/** Whether the rule is in force at `nowMs` (a rule with no dates always is). */
export function inForce(rule: CompiledRule, nowMs: number): boolean {
  const f = facets(rule);
  return (f.fromMs ?? -Infinity) <= nowMs && nowMs < (f.untilMs ?? Infinity);
}
