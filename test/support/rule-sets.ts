import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import type { Region } from "../../src/region/types.js";
import { compileRuleSet } from "../../src/rules/compile.js";
import type { RequestFacts } from "../../src/rules/decide.js";
import { formatProblem, formatWarning, RuleLoadError } from "../../src/rules/errors.js";
import { readRuleSources, type LoadedRules } from "../../src/rules/load.js";
import type { RuleSet } from "../../src/rules/types.js";

export const NOW = new Date("2026-06-01T12:00:00Z");

/** Rule files given as text, read without touching the disk. */
export function rulesFrom(files: Record<string, string>): LoadedRules {
  return readRuleSources(Object.entries(files).map(([file, text]) => ({ file, bytes: Buffer.from(text) })));
}

export function ruleSetFrom(files: Record<string, string>, now = NOW): RuleSet {
  return compileRuleSet(rulesFrom(files), now);
}

/** The problems (as `file:line:col: message`) that rule files are rejected with; fails if they load. */
export function problemsFrom(files: Record<string, string>): string[] {
  try {
    rulesFrom(files);
  } catch (error) {
    expect(error).to.be.instanceOf(RuleLoadError);
    return (error as RuleLoadError).problems.map(formatProblem);
  }
  return expect.fail("expected the rules to be rejected");
}

export function warningsFrom(files: Record<string, string>): string[] {
  return rulesFrom(files).warnings.map(formatWarning);
}

/** A temporary folder holding the given files. */
export function ruleDir(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), "gc-rules-"));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

/** A region from a code: RU, UA-43, or null for unknown. */
export function region(code: string | null): Region {
  if (code === null) return { country: null, subdivision: null, source: "none" };
  return { country: code.slice(0, 2), subdivision: code.length > 2 ? code : null, source: "geoip" };
}

export function facts(overrides: Partial<RequestFacts> = {}): RequestFacts {
  return { method: "GET", path: "/", gpc: false, ...overrides };
}

/** One rule in YAML, from its parts (each already indented for a rule's keys). */
export function rule(id: string, body: string): string {
  return `  - id: ${id}\n    title: Rule ${id}\n    basis: { text: A law }\n${body.replace(/^\n/, "")}`;
}

export function file(...rules: string[]): string {
  return `rules:\n${rules.join("")}`;
}
