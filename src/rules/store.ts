import { statSync, watch, type FSWatcher } from "node:fs";
import { basename, dirname, resolve } from "node:path";
import { compileRuleSet } from "./compile.js";
import { RuleLoadError, type RuleProblem } from "./errors.js";
import { readRules } from "./load.js";
import type { RuleSet } from "./types.js";

export interface ReloadResult {
  readonly ok: boolean;
  /** The revision in force after the reload: the new one, or the last good one when rejected. */
  readonly revision: string;
  /** The revision before the reload. */
  readonly previous: string;
  /** Whether the rule set in force changed. */
  readonly changed: boolean;
  readonly warnings: readonly RuleProblem[];
  readonly error?: RuleLoadError | Error;
}

/** How long the watcher waits for a burst of file events (an editor's save) to settle. */
export const WATCH_DEBOUNCE_MS = 100;

/**
 * Holds the rule set in force. A request takes one snapshot of `current`, so it never sees two
 * revisions; a new set replaces the old one in one assignment, between requests, and a reload
 * that fails leaves the last good set in force.
 */
export class RuleStore {
  private ruleset: RuleSet;
  private lastErrorValue: Error | null = null;
  private lastErrorAtValue: Date | null = null;
  private watchers: FSWatcher[] = [];
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly paths: readonly string[],
    private readonly clock: () => Date,
  ) {
    this.ruleset = this.build(); // throws at start-up: nothing is served under bad rules
  }

  get current(): RuleSet {
    return this.ruleset;
  }

  get lastError(): Error | null {
    return this.lastErrorValue;
  }

  get lastErrorAt(): Date | null {
    return this.lastErrorAtValue;
  }

  reload(): ReloadResult {
    const previous = this.ruleset.revision;
    try {
      const next = this.build();
      this.lastErrorValue = null;
      this.lastErrorAtValue = null;
      // The same rules read again keep the set in force (and everything cached against it).
      if (next.revision !== previous) this.ruleset = next;
      return { ok: true, revision: this.ruleset.revision, previous, changed: next.revision !== previous, warnings: next.warnings };
    } catch (error) {
      this.lastErrorValue = error as Error;
      this.lastErrorAtValue = this.clock();
      return { ok: false, revision: previous, previous, changed: false, warnings: [], error: error as Error };
    }
  }

  /**
   * Watches the rule folders (and the folders of rule files given one by one) and reloads after a
   * burst of changes settles. Editors often save by writing a new file and renaming it, so
   * folders are watched rather than files.
   */
  watch(onReload: (result: ReloadResult) => void, onError: (error: Error) => void = () => {}, debounceMs = WATCH_DEBOUNCE_MS): void {
    if (this.watchers.length > 0) return;
    const targets = new Map<string, Set<string> | null>(); // folder → the file names that matter, or null for all
    for (const path of this.paths) {
      const full = resolve(path);
      let isDir = false;
      try {
        isDir = statSync(full).isDirectory();
      } catch {
        continue;
      }
      const dir = isDir ? full : dirname(full);
      if (isDir) targets.set(dir, null);
      else if (targets.get(dir) !== null) targets.set(dir, (targets.get(dir) ?? new Set()).add(basename(full)));
    }
    for (const [dir, names] of targets) {
      try {
        const watcher = watch(dir, { persistent: false }, (_event, filename) => {
          const name = filename?.toString();
          if (names && name && !names.has(name)) return;
          if (!names && name && !/\.ya?ml$/i.test(name)) return;
          this.schedule(onReload, debounceMs);
        });
        watcher.on("error", (error) => onError(error));
        this.watchers.push(watcher);
      } catch (error) {
        onError(error as Error);
      }
    }
  }

  private schedule(onReload: (result: ReloadResult) => void, debounceMs: number): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      onReload(this.reload());
    }, debounceMs);
    this.timer.unref();
  }

  /** Stops watching. */
  close(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    for (const w of this.watchers) w.close();
    this.watchers = [];
  }

  private build(): RuleSet {
    return compileRuleSet(readRules(this.paths), this.clock());
  }
}
