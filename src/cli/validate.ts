import { compileRuleSet } from "../rules/compile.js";
import { formatProblem, formatWarning, RuleLoadError, type RuleProblem } from "../rules/errors.js";
import { readRules } from "../rules/load.js";
import { GeoIpDatabase } from "../region/geoip.js";
import { subdivisionCoverage, type CoverageWarning } from "../region/subdivision-coverage.js";

export interface ValidateResult {
  readonly ok: boolean;
  readonly revision?: string;
  readonly rules?: readonly string[];
  readonly files?: readonly string[];
  readonly problems: readonly RuleProblem[];
  /** Conflicts and other findings that do not stop the rules from loading. */
  readonly warnings: readonly RuleProblem[];
  /** With `--db`: the database, and what the rules cannot do with it. */
  readonly database?: { readonly file: string; readonly type: string; readonly warnings: readonly CoverageWarning[] };
}

/** `db`: a database file or package folder, opened before the rules are read so a bad one fails first. */
export function validate(rules: readonly string[], db?: string): ValidateResult {
  const database = db === undefined ? null : GeoIpDatabase.open(db);
  try {
    const loaded = readRules(rules);
    const ruleset = compileRuleSet(loaded, new Date());
    const checked = database ? { database: { file: database.file, type: database.databaseType, warnings: subdivisionCoverage(ruleset, database.databaseType) } } : {};
    return { ok: true, revision: ruleset.revision, rules: ruleset.rules.map((r) => r.id), files: ruleset.files, problems: [], warnings: loaded.warnings, ...checked };
  } catch (error) {
    if (error instanceof RuleLoadError) return { ok: false, problems: error.problems, warnings: error.warnings };
    throw error;
  }
}

export function formatValidation(result: ValidateResult): string {
  const lines = [...result.problems.map(formatProblem), ...result.warnings.map(formatWarning)];
  for (const w of result.database?.warnings ?? []) lines.push(`warning: ${w.message}`);
  const count = result.warnings.length + (result.database?.warnings.length ?? 0);
  const warned = count ? `, ${count} warning(s)` : "";
  if (result.database) lines.push(`database: ${result.database.file} (${result.database.type})`);
  if (result.ok) lines.push(`ok: ${result.rules?.length ?? 0} rule(s) in ${result.files?.length ?? 0} file(s), revision ${result.revision}${warned}`);
  else lines.push(`${result.problems.length} problem(s)${warned}; nothing was changed`);
  return lines.join("\n");
}
