import type { ServerResponse } from "node:http";
import type { CompiledRule, RuleSet } from "../rules/types.js";

/** Where the GPC specification puts the support resource. */
export const GPC_PATH = "/.well-known/gpc.json";

/** A rule honours GPC when it acts on `Sec-GPC: 1` (`when: { gpc: true }`) or carries a `gpc` action. */
export function honoursGpc(rule: CompiledRule): boolean {
  return rule.gpc !== null || rule.whenGpc === true;
}

function utcDate(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/**
 * The support resource the GPC specification describes, or null when no rule in force honours
 * GPC (then the path is left to the app). `lastUpdate` is the day the latest of those rules came
 * into force, or the day the rule set was loaded when none has a start date.
 */
export function gpcResource(ruleset: RuleSet, now: Date): { gpc: true; lastUpdate: string } | null {
  const nowMs = now.getTime();
  const rules = ruleset.rules.filter((r) => honoursGpc(r) && r.fromMs <= nowMs && nowMs < r.untilMs);
  if (rules.length === 0) return null;
  const starts = rules.map((r) => r.fromMs).filter((ms) => Number.isFinite(ms));
  const lastUpdate = starts.length > 0 ? utcDate(Math.max(...starts)) : utcDate(ruleset.loadedAt.getTime());
  return { gpc: true, lastUpdate };
}

/** Sends the resource: `application/json`, as the specification requires. */
export function sendGpcResource(res: ServerResponse, method: string, resource: { gpc: true; lastUpdate: string }): void {
  const body = JSON.stringify(resource);
  res.statusCode = 200;
  res.setHeader("Content-Type", "application/json");
  res.setHeader("Content-Length", Buffer.byteLength(body));
  res.end(method === "HEAD" ? undefined : body);
}
