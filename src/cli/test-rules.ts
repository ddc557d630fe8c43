import { compileRuleSet } from "../rules/compile.js";
import { formatProblem, RuleLoadError, type RuleProblem } from "../rules/errors.js";
import { readRules } from "../rules/load.js";
import { describeAction, runRuleTests, type RuleTestOutcome } from "../rules/rule-tests.js";

export interface TestRulesResult {
  readonly ok: boolean;
  readonly revision?: string;
  readonly passed: number;
  readonly failed: number;
  readonly results: readonly RuleTestOutcome[];
  /** Problems that kept the rules from loading; no test runs then. */
  readonly problems: readonly RuleProblem[];
}

/** `geo-compliance test`: the tests written in the rule files, run against all the rules together. */
export function testRules(rules: readonly string[], now: () => Date = () => new Date()): TestRulesResult {
  let loaded;
  try {
    loaded = readRules(rules);
  } catch (error) {
    if (error instanceof RuleLoadError) return { ok: false, passed: 0, failed: 0, results: [], problems: error.problems };
    throw error;
  }
  const ruleset = compileRuleSet(loaded, now());
  const results = runRuleTests(loaded.tests, ruleset, now);
  const failed = results.filter((r) => !r.ok).length;
  return { ok: failed === 0, revision: ruleset.revision, passed: results.length - failed, failed, results, problems: [] };
}

export function formatTestResults(result: TestRulesResult): string {
  if (result.problems.length) return [...result.problems.map(formatProblem), `${result.problems.length} problem(s): the rules do not load, so no test ran`].join("\n");
  const width = Math.max(0, ...result.results.map((r) => `${r.file}:${r.line}`.length));
  const lines: string[] = [];
  for (const r of result.results) {
    lines.push(`${r.ok ? "PASS" : "FAIL"}  ${`${r.file}:${r.line}`.padEnd(width)}  ${r.name}`);
    if (!r.ok) {
      for (const f of r.failures) lines.push(`        ${f}`);
      lines.push(`        decided: ${r.decision.matched.join(", ") || "no rule"} → ${r.decision.actions.map(describeAction).join("; ") || "no action"}`);
    }
  }
  if (result.results.length === 0) lines.push("no tests: add tests: to a rule file (see rules/README.md)");
  lines.push(`${result.passed} passed, ${result.failed} failed (revision ${result.revision})`);
  return lines.join("\n");
}
