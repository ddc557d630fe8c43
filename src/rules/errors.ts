export interface RuleProblem {
  readonly file: string;
  readonly line: number;
  readonly col: number;
  readonly message: string;
}

export function formatProblem(p: RuleProblem): string {
  return `${p.file}:${p.line}:${p.col}: ${p.message}`;
}

/** Every problem found in every file, reported at once. */
export class RuleLoadError extends Error {
  constructor(readonly problems: readonly RuleProblem[]) {
    super(`invalid rules:\n${problems.map(formatProblem).join("\n")}`);
    this.name = "RuleLoadError";
  }
}
