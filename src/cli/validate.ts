import { compileRuleSet } from "../rules/compile.js";
import { formatProblem, formatWarning, RuleLoadError, type RuleProblem } from "../rules/errors.js";
import { readRules } from "../rules/load.js";

export interface ValidateResult {
  readonly ok: boolean;
  readonly revision?: string;
  readonly rules?: readonly string[];
  readonly files?: readonly string[];
  readonly problems: readonly RuleProblem[];
  /** Conflicts and other findings that do not stop the rules from loading. */
  readonly warnings: readonly RuleProblem[];
}

export function validate(rules: readonly string[]): ValidateResult {
  try {
    const loaded = readRules(rules);
    const ruleset = compileRuleSet(loaded, new Date());
    return { ok: true, revision: ruleset.revision, rules: ruleset.rules.map((r) => r.id), files: ruleset.files, problems: [], warnings: loaded.warnings };
  } catch (error) {
    if (error instanceof RuleLoadError) return { ok: false, problems: error.problems, warnings: error.warnings };
    throw error;
  }
}

export function formatValidation(result: ValidateResult): string {
  const lines = [...result.problems.map(formatProblem), ...result.warnings.map(formatWarning)];
  const warned = result.warnings.length ? `, ${result.warnings.length} warning(s)` : "";
  if (result.ok) lines.push(`ok: ${result.rules?.length ?? 0} rule(s) in ${result.files?.length ?? 0} file(s), revision ${result.revision}${warned}`);
  else lines.push(`${result.problems.length} problem(s)${warned}; nothing was changed`);
  return lines.join("\n");
}
