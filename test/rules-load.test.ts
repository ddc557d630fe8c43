import { expect } from "chai";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { geoCompliance } from "../src/index.js";
import { RuleLoadError } from "../src/rules/errors.js";
import { loadRules } from "../src/rules/load.js";

function ruleDir(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), "gc-rules-"));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

const GOOD = `rules:
  - id: test-rule
    title: Test
    regions:
      countries: [RU]
    actions:
      notice:
        defaultLanguage: en
        languages:
          en: { title: T, text: Hello }
`;

function problemsOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (error) {
    expect(error).to.be.instanceOf(RuleLoadError);
    return (error as RuleLoadError).message.split("\n").slice(1);
  }
  expect.fail("expected a RuleLoadError");
}

describe("rule files", () => {
  it("loads a valid file and remembers where each rule was written", () => {
    const dir = ruleDir({ "a.yaml": GOOD });
    const [rule] = loadRules(dir);
    expect(rule?.spec.id).to.equal("test-rule");
    expect(rule?.source.line).to.equal(2);
    expect(rule?.source.col).to.equal(5);
  });

  it("rejects an unknown key with its file, line and column", () => {
    const dir = ruleDir({ "bad.yaml": GOOD.replace("    title: Test", "    title: Test\n    titel: Typo") });
    const problems = problemsOf(() => loadRules(dir));
    expect(problems).to.have.length(1);
    expect(problems[0]).to.match(/bad\.yaml:4:5: unknown key "titel"/);
  });

  it("rejects a malformed country code at the value's position", () => {
    const dir = ruleDir({ "bad.yaml": GOOD.replace("countries: [RU]", "countries: [RU, russia]") });
    const problems = problemsOf(() => loadRules(dir));
    expect(problems[0]).to.match(/bad\.yaml:5:23: .*two-letter ISO 3166-1 country code/);
  });

  it("reports YAML syntax errors with their position", () => {
    const dir = ruleDir({ "bad.yaml": "rules:\n  - id: x\n   title: [unclosed\n" });
    const problems = problemsOf(() => loadRules(dir));
    expect(problems[0]).to.match(/^.*bad\.yaml:\d+:\d+: /);
  });

  it("reports every problem in every file at once, and duplicate ids naming both files", () => {
    const dir = ruleDir({ "a.yaml": GOOD, "b.yaml": GOOD, "c.yaml": GOOD.replace("title: Test", "title: 42\n    log: sometimes").replace("test-rule", "other") });
    const problems = problemsOf(() => loadRules(dir));
    expect(problems.some((p) => /b\.yaml:2:5: duplicate rule id "test-rule": already used at .*a\.yaml:2:5/.test(p))).to.equal(true);
    expect(problems.some((p) => /c\.yaml:3:12: "title" must be a string/.test(p))).to.equal(true);
    expect(problems.some((p) => /c\.yaml:4:10: "log" must be one of: full, minimal/.test(p))).to.equal(true);
  });

  it("fails middleware start-up on a broken rule file, naming the position", () => {
    const dir = ruleDir({ "bad.yaml": GOOD.replace("defaultLanguage: en", "defaultLanguage: English") });
    expect(() => geoCompliance({ rules: dir, decisionLog: false })).to.throw(RuleLoadError, /bad\.yaml:8:26: /);
  });

  it("refuses custom tags and alias bombs", () => {
    const tagged = ruleDir({ "t.yaml": GOOD.replace("title: Test", "title: !secret Test") });
    expect(problemsOf(() => loadRules(tagged))[0]).to.match(/t\.yaml:3:12: .*tag/);
    const bomb = `a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nrules: [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n`;
    expect(problemsOf(() => loadRules(ruleDir({ "bomb.yaml": bomb })))[0]).to.match(/bomb\.yaml:1:1: .*alias/i);
  });
});
