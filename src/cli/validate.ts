import { RuleLoadError, formatProblem } from "../rules/errors.js";
import { RuleStore } from "../rules/store.js";

export interface ValidateResult {
  readonly ok: boolean;
  readonly revision?: string;
  readonly rules?: readonly string[];
  readonly files?: readonly string[];
  readonly problems: ReadonlyArray<{ file: string; line: number; col: number; message: string }>;
}

export function validate(rules: readonly string[]): ValidateResult {
  try {
    const ruleset = new RuleStore(rules, () => new Date()).current;
    return { ok: true, revision: ruleset.revision, rules: ruleset.rules.map((r) => r.id), files: ruleset.files, problems: [] };
  } catch (error) {
    if (error instanceof RuleLoadError) return { ok: false, problems: error.problems };
    throw error;
  }
}

export function formatValidation(result: ValidateResult): string {
  if (result.ok) return `ok: ${result.rules?.length ?? 0} rule(s) in ${result.files?.length ?? 0} file(s), revision ${result.revision}`;
  return result.problems.map(formatProblem).join("\n") + `\n${result.problems.length} problem(s); nothing was changed`;
}
