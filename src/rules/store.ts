import { compileRules } from "./compile.js";
import { RuleLoadError } from "./errors.js";
import { loadRules, ruleFiles } from "./load.js";
import type { RuleSet } from "./types.js";

export interface ReloadResult {
  readonly ok: boolean;
  readonly revision: string;
  readonly error?: RuleLoadError | Error;
}

/**
 * Holds the rule set in force. A request takes one snapshot of `current`, so it never sees two
 * revisions; a reload that fails leaves the last good set in force.
 */
export class RuleStore {
  private ruleset: RuleSet;
  private lastErrorValue: Error | null = null;

  constructor(private readonly paths: readonly string[], private readonly clock: () => Date) {
    this.ruleset = this.build(); // throws at start-up: nothing is served under bad rules
  }

  get current(): RuleSet {
    return this.ruleset;
  }

  get lastError(): Error | null {
    return this.lastErrorValue;
  }

  reload(): ReloadResult {
    try {
      this.ruleset = this.build();
      this.lastErrorValue = null;
      return { ok: true, revision: this.ruleset.revision };
    } catch (error) {
      this.lastErrorValue = error as Error;
      return { ok: false, revision: this.ruleset.revision, error: error as Error };
    }
  }

  private build(): RuleSet {
    return compileRules(loadRules(this.paths), ruleFiles(this.paths), this.clock());
  }
}
