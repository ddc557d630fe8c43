import { isDeepStrictEqual } from "node:util";
import type { Region } from "../region/types.js";
import { parseOffsetDate } from "./dates.js";
import { decide, type Decision } from "./decide.js";
import type { LoadedTest } from "./load.js";
import type { Action } from "./actions.js";
import type { RuleSet, RuleTestSpec } from "./types.js";

export interface RuleTestOutcome {
  readonly file: string;
  readonly line: number;
  readonly col: number;
  readonly name: string;
  readonly ok: boolean;
  /** What differed, one line each. */
  readonly failures: readonly string[];
  readonly decision: Decision;
}

export function testRegion(code: string): Region {
  if (code === "unknown") return { country: null, subdivision: null, source: "preview", reason: "a rule test" };
  return { country: code.slice(0, 2), subdivision: code.length > 2 ? code : null, source: "preview", reason: "a rule test" };
}

export function testName(spec: RuleTestSpec): string {
  if (spec.name) return spec.name;
  const parts = [`a reader in ${spec.region}`, spec.path ?? "/"];
  if (spec.language) parts.push(`Accept-Language ${spec.language}`);
  if (spec.gpc) parts.push("with GPC");
  if (spec.date) parts.push(`at ${spec.date}`);
  return parts.join(", ");
}

function show(value: unknown): string {
  return typeof value === "string" ? `"${value}"` : JSON.stringify(value);
}

export function describeAction(a: Action): string {
  switch (a.kind) {
    case "notice":
      return `notice ${a.rule} in ${a.language}`;
    case "header":
      return `header ${a.name}: ${a.value}`;
    case "trackers":
      return `trackers ${a.mode}`;
    case "block":
      return `block ${a.status} (${a.language})`;
    case "redirect":
      return `redirect ${a.status} to ${a.location}`;
    case "cookies":
      return `cookies drop ${a.drop.join(", ")}`;
    default:
      return `${a.kind} from ${a.rule}`;
  }
}

/** Runs the tests written in rule files against the whole rule set: a rule is tested together with the others. */
export function runRuleTests(tests: readonly LoadedTest[], ruleset: RuleSet, now: () => Date): RuleTestOutcome[] {
  return tests.map(({ spec, source }) => {
    const at = spec.date ? new Date(parseOffsetDate(spec.date)!) : now();
    const decision = decide(testRegion(spec.region), { method: "GET", path: spec.path ?? "/", acceptLanguage: spec.language, gpc: spec.gpc ?? false }, ruleset, at);
    const failures: string[] = [];
    if (!isDeepStrictEqual([...decision.matched], spec.expect.rules)) {
      failures.push(`rules: expected [${spec.expect.rules.join(", ")}], got [${decision.matched.join(", ")}]`);
    }
    const expected = spec.expect.actions;
    if (expected) {
      if (expected.length !== decision.actions.length) {
        failures.push(`actions: expected ${expected.length}, got ${decision.actions.length}: ${decision.actions.map(describeAction).join("; ") || "none"}`);
      }
      expected.forEach((want, i) => {
        const got = decision.actions[i] as unknown as Record<string, unknown> | undefined;
        if (!got) return;
        for (const [field, value] of Object.entries(want)) {
          if (!isDeepStrictEqual(got[field], value)) failures.push(`action ${i + 1} (${describeAction(got as unknown as Action)}): expected ${field} ${show(value)}, got ${show(got[field])}`);
        }
      });
    }
    return { ...source, name: testName(spec), ok: failures.length === 0, failures, decision };
  });
}
