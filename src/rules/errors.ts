export interface RuleProblem {
  readonly file: string;
  readonly line: number;
  readonly col: number;
  readonly message: string;
}

export function formatProblem(p: RuleProblem): string {
  return `${p.file}:${p.line}:${p.col}: ${p.message}`;
}

export function formatWarning(p: RuleProblem): string {
  return `${p.file}:${p.line}:${p.col}: warning: ${p.message}`;
}

/** Files first, then lines and columns: the order a reader goes through them. */
export function byPosition(a: RuleProblem, b: RuleProblem): number {
  return a.file < b.file ? -1 : a.file > b.file ? 1 : a.line - b.line || a.col - b.col;
}

/** Every problem found in every file, reported at once. */
export class RuleLoadError extends Error {
  constructor(
    readonly problems: readonly RuleProblem[],
    /** Findings that would not have stopped the rules on their own. */
    readonly warnings: readonly RuleProblem[] = [],
  ) {
    super(`invalid rules:\n${problems.map(formatProblem).join("\n")}`);
    this.name = "RuleLoadError";
  }
}
