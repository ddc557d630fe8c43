import { expect } from "chai";
import { geoCompliance } from "../src/index.js";
import { compileRuleSet } from "../src/rules/compile.js";
import { RuleLoadError } from "../src/rules/errors.js";
import { loadRules, readRules } from "../src/rules/load.js";
import { file, problemsFrom, ruleDir, rule, ruleSetFrom, rulesFrom, warningsFrom } from "./support/rule-sets.js";

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

describe("rule files", () => {
  it("loads a valid file and remembers where each rule was written", () => {
    const dir = ruleDir({ "a.yaml": GOOD });
    const [loaded] = loadRules(dir);
    expect(loaded?.spec.id).to.equal("test-rule");
    expect(loaded?.source.line).to.equal(2);
    expect(loaded?.source.col).to.equal(5);
    expect(loaded?.at(["actions", "notice", "defaultLanguage"])).to.deep.include({ line: 8, col: 26 });
  });

  it("rejects an unknown key with its file, line and column, and suggests the key meant", () => {
    const problems = problemsFrom({ "bad.yaml": GOOD.replace("    title: Test", "    title: Test\n    priorty: 3") });
    expect(problems).to.deep.equal(['bad.yaml:4:5: unknown key "priorty" in the rule "test-rule"; did you mean "priority"?']);
  });

  it("rejects a country written as a name at the value's position, with the code to write", () => {
    const problems = problemsFrom({ "bad.yaml": GOOD.replace("countries: [RU]", "countries: [RU, russia]") });
    expect(problems).to.deep.equal(['bad.yaml:5:23: "russia" in "countries" is not right: write the ISO code RU for Russian Federation']);
  });

  it("reports a YAML syntax error with its position", () => {
    const problems = problemsFrom({ "bad.yaml": "rules:\n  - id: x\n   title: [unclosed\n" });
    expect(problems).to.have.length(1);
    expect(problems[0]).to.match(/^bad\.yaml:3:1: /);
  });

  it("reports every problem in every file at once, and duplicate ids naming both files", () => {
    const problems = problemsFrom({ "a.yaml": GOOD, "b.yaml": GOOD, "c.yaml": GOOD.replace("title: Test", "title: 42\n    log: sometimes").replace("test-rule", "other") });
    expect(problems).to.deep.equal([
      'b.yaml:2:9: duplicate rule id "test-rule": already used at a.yaml:2:9; give each rule its own id',
      'c.yaml:3:12: "title" must be a string, not 42',
      'c.yaml:4:10: "log" must be one of: full, minimal',
    ]);
  });

  it("fails middleware start-up on a broken rule file, naming the position", () => {
    const dir = ruleDir({ "bad.yaml": GOOD.replace("defaultLanguage: en", "defaultLanguage: English") });
    expect(() => geoCompliance({ rules: dir, decisionLog: false, watch: false })).to.throw(RuleLoadError, /bad\.yaml:8:26: "English" in "defaultLanguage" is not right: write a language tag/);
  });

  it("refuses custom tags and alias bombs, at the first tag or alias", () => {
    expect(problemsFrom({ "t.yaml": GOOD.replace("title: Test", "title: !secret Test") })).to.deep.equal(["t.yaml:3:12: tags such as !secret are not allowed in rule files: remove it and write the value plainly"]);
    const bomb = `a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nrules: [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n`;
    expect(problemsFrom({ "bomb.yaml": bomb })[0]).to.match(/^bomb\.yaml:2:8: aliases \(\*name\) expand to too much/);
  });

  it("reads a groups file, and lets any rule file use its groups", () => {
    const loaded = rulesFrom({
      "groups.yaml": "groups:\n  RU-CONTROLLED: [RU, UA-43, UA-40]\n",
      "r.yaml": file(rule("x", "    regions: { groups: [RU-CONTROLLED, EEA], exclude: [UA-40] }\n    actions: { gpc: true }\n")),
    });
    expect(loaded.groups.get("RU-CONTROLLED")).to.deep.equal(["RU", "UA-43", "UA-40"]);
    expect(loaded.rules[0]?.regions.countries).to.include.members(["RU", "DE", "NO"]);
    expect(loaded.rules[0]?.regions.subdivisions).to.deep.equal(["UA-40", "UA-43"]);
    expect(loaded.rules[0]?.regions.exclude).to.deep.equal(["UA-40"]);
  });

  it("names both places when a group is defined twice", () => {
    expect(problemsFrom({ "a.yaml": "groups:\n  NORDICS: [DK, FI]\n", "b.yaml": "groups:\n  NORDICS: [SE]\n" })).to.deep.equal(["b.yaml:2:3: group NORDICS is already defined at a.yaml:2:3; define each group once"]);
  });

  it("accepts the safe markup subset and stores it sanitized, with a plain-text twin", () => {
    const set = ruleSetFrom({
      "r.yaml": file(
        rule(
          "m",
          `    regions: { countries: [RU] }
    actions:
      notice:
        defaultLanguage: en
        languages:
          en:
            title: Warning
            html: |
              <p>Write to <a href="mailto:safety@example.org">our safety desk</a> or read <a href='https://example.org/guide'>the guide</a>.</p>
              <p><strong>Do not</strong> share this page.<br>
              <em>Take care</em> &amp; stay safe.</p>
`,
        ),
      ),
    });
    const text = set.rules[0]?.notice?.texts.en;
    expect(text?.html).to.equal(
      '<p>Write to <a href="mailto:safety@example.org">our safety desk</a> or read <a href="https://example.org/guide">the guide</a>.</p>\n<p><strong>Do not</strong> share this page.<br />\n<em>Take care</em> &amp; stay safe.</p>\n',
    );
    expect(text?.text).to.equal("Write to our safety desk or read the guide.\n\nDo not share this page.\nTake care & stay safe.");
  });

  it("reports several markup problems in one text, each at its own line and column", () => {
    const problems = problemsFrom({
      "m.yaml": file(
        rule(
          "m",
          `    regions: { countries: [RU] }
    actions:
      notice:
        defaultLanguage: en
        languages:
          en:
            title: Warning
            html: |
              <p style="color:red">Read <a href="https://example.org" target="_blank">this</a>.</p>
              <img src="https://tracker.example/p.gif"><!-- note -->
`,
        ),
      ),
    });
    expect(problems).to.deep.equal([
      "m.yaml:13:15: the attribute style is not allowed on <p>; write the tag without attributes",
      "m.yaml:13:41: the attribute target is not allowed on <a>; a link takes only href",
      "m.yaml:14:15: <img> is not allowed in a notice; use only <a href>, <em>, <strong>, <p> and <br>",
      "m.yaml:14:56: comments (<!-- -->) are not allowed in a notice; remove it",
    ]);
  });

  it("rejects several ISO mistakes in one list, each at its item", () => {
    const problems = problemsFrom({ "r.yaml": file(rule("x", "    regions:\n      countries: [UK, DE, SU]\n      subdivisions: [UA-43, US-CAL]\n    actions: { gpc: true }\n")) });
    expect(problems).to.deep.equal([
      "r.yaml:6:19: UK is not the ISO 3166-1 code for United Kingdom: the ISO code is GB; write GB",
      "r.yaml:6:27: SU is only reserved in ISO 3166-1 (USSR), not assigned to a country; use the code of the country it belongs to",
      "r.yaml:7:29: US-CAL is not an ISO 3166-2 subdivision of United States of America; did you mean US-CA (California), US-AL (Alabama) or US-CO (Colorado)?",
    ]);
  });
});

describe("the rule set's revision", () => {
  const base = file(rule("x", "    regions: { countries: [RU, BY] }\n    actions:\n      headers: { Referrer-Policy: no-referrer }\n"));
  const revision = (files: Record<string, string>): string => ruleSetFrom(files).revision;

  it("depends on meaning, not on formatting, comments, key order, list order, or defaults written out", () => {
    const same = `# a comment\nrules:\n  - actions:\n      headers:\n        referrer-policy: no-referrer\n    regions:\n      countries:\n        - BY\n        - RU\n    log: full\n    priority: 0\n    unknownRegion: skip\n    basis: { text: A law }\n    title: Rule x\n    id: x\n`;
    expect(revision({ "a.yaml": base })).to.equal(revision({ "b.yaml": same }));
  });

  it("does not change when tests are added, and changes with any rule change", () => {
    const withTests = `${base}tests:\n  - { region: RU, expect: { rules: [x] } }\n`;
    expect(revision({ "a.yaml": base })).to.equal(revision({ "a.yaml": withTests }));
    expect(revision({ "a.yaml": base })).not.to.equal(revision({ "a.yaml": base.replace("no-referrer", "same-origin") }));
    expect(revision({ "a.yaml": base })).not.to.equal(revision({ "a.yaml": base.replace("[RU, BY]", "[RU]") }));
  });

  it("follows what a group means: changing a group's members changes the rules that use it", () => {
    const r = file(rule("x", "    regions: { groups: [NEAR] }\n    actions: { gpc: true }\n"));
    expect(revision({ "g.yaml": "groups:\n  NEAR: [BY, KZ]\n", "r.yaml": r })).not.to.equal(revision({ "g.yaml": "groups:\n  NEAR: [BY]\n", "r.yaml": r }));
  });

  it("is the same from a folder, a file list, or in memory", () => {
    const dir = ruleDir({ "a.yaml": base });
    expect(compileRuleSet(readRules(dir), new Date()).revision).to.equal(revision({ "a.yaml": base }));
    expect(compileRuleSet(readRules([`${dir}/a.yaml`]), new Date()).revision).to.equal(revision({ "other-name.yaml": base }));
  });
});

describe("warnings: conflicts between rules that can meet, with both positions", () => {
  const blocks = file(
    rule("a-block", "    regions: { countries: [RU, BY] }\n    actions:\n      block: { blockedBy: 'https://example.org/1' }\n"),
    rule("b-block", "    regions: { subdivisions: [BY-HM] }\n    actions:\n      block: { blockedBy: 'https://example.org/2' }\n"),
  );

  it("two blocks: the one that gives way is warned, naming the one that wins", () => {
    expect(warningsFrom({ "r.yaml": blocks })).to.deep.equal([
      'r.yaml:13:7: warning: this block and the block of "a-block" (r.yaml:7:7) both apply to readers in BY-HM; only "a-block" is used there, as it comes first (both have priority 0, so the ids decide; give one a higher priority to make the choice deliberate)',
    ]);
  });

  it("two redirects, and a redirect where a block applies", () => {
    const warnings = warningsFrom({
      "r.yaml": file(
        rule("a", "    regions: { countries: [KZ] }\n    priority: 2\n    actions:\n      redirect: { location: 'https://example.org/a' }\n"),
        rule("b", "    regions: { countries: [KZ] }\n    actions:\n      redirect: { location: 'https://example.org/b' }\n"),
        rule("c", "    regions: { countries: [KZ] }\n    priority: -1\n    paths: { include: [/old/**] }\n    actions:\n      block: { blockedBy: 'https://example.org/order' }\n"),
      ),
    });
    expect(warnings).to.deep.equal([
      'r.yaml:8:7: warning: this redirect never reaches readers in KZ: "c" blocks them (r.yaml:22:7), and a block comes before a redirect',
      'r.yaml:14:7: warning: this redirect and the redirect of "a" (r.yaml:8:7) both apply to readers in KZ; only "a" is used there, as it comes first (it has priority 2, this one 0)',
      'r.yaml:14:7: warning: this redirect never reaches readers in KZ: "c" blocks them (r.yaml:22:7), and a block comes before a redirect',
    ]);
  });

  it("the same header set two ways, across files, naming both positions and the winner", () => {
    const warnings = warningsFrom({
      "a.yaml": file(rule("strict", "    regions: { groups: [EEA] }\n    priority: 10\n    actions:\n      headers:\n        Referrer-Policy: no-referrer\n")),
      "b.yaml": file(rule("loose", "    regions: { countries: [DE, US] }\n    actions:\n      headers:\n        referrer-policy: strict-origin\n        X-Same: a\n")),
      "c.yaml": file(rule("same", "    regions: { countries: [DE] }\n    actions:\n      headers:\n        X-Same: a\n")),
    });
    expect(warnings).to.deep.equal([
      'b.yaml:8:9: warning: referrer-policy is set to "strict-origin" here and to "no-referrer" by "strict" (a.yaml:9:9) for readers in DE; "no-referrer" is sent, as "strict" comes first (it has priority 10, this one 0); make the values agree, or give the rule that should win a higher priority',
    ]);
  });

  it("no warning when the rules cannot meet: other regions, paths, dates, or GPC condition", () => {
    const header = (id: string, value: string, extra: string): string => rule(id, `    regions: { countries: [RU] }\n${extra}    actions:\n      headers: { X-Policy: ${value} }\n`);
    const apart = (extraA: string, extraB: string): string[] => warningsFrom({ "r.yaml": file(header("a", "one", extraA), header("b", "two", extraB)) });
    expect(apart("    paths: { include: [/news/**] }\n", "    paths: { include: [/newsletter/**, /sport] }\n")).to.deep.equal([]);
    expect(apart("    effective: { until: '2026-01-01T00:00:00Z' }\n", "    effective: { from: '2026-01-01T00:00:00Z' }\n")).to.deep.equal([]);
    expect(apart("    when: { gpc: true }\n", "    when: { gpc: false }\n")).to.deep.equal([]);
    expect(apart("    paths: { include: [/news/**] }\n", "    paths: { include: [/news/world/**] }\n")).to.have.length(1);
    expect(apart("    effective: { until: '2026-01-01T00:00:01Z' }\n", "    effective: { from: '2026-01-01T00:00:00Z' }\n")).to.have.length(1);
    const otherRegion = warningsFrom({ "r.yaml": file(header("a", "one", ""), rule("b", "    regions: { countries: [BY] }\n    actions:\n      headers: { X-Policy: two }\n")) });
    expect(otherRegion).to.deep.equal([]);
  });

  it("warnings that do not stop the rules: no basis, markup in plain text, an exclusion that excludes nothing, actions a block makes pointless", () => {
    const warnings = warningsFrom({
      "r.yaml": `rules:
  - id: w
    title: W
    regions: { countries: [RU], exclude: [DE] }
    actions:
      notice:
        defaultLanguage: en
        languages:
          en: { title: T, text: "Read <a href='https://example.org'>this</a>" }
  - id: v
    title: V
    basis: { text: A law }
    regions: { countries: [BY] }
    actions:
      block: { blockedBy: "https://example.org/order" }
      headers: { X-A: a }
`,
    });
    expect(warnings).to.deep.equal([
      'r.yaml:2:5: warning: rule "w" does not say which law it rests on; add basis: with its text and url',
      "r.yaml:4:43: warning: excluding DE changes nothing: the rule does not include it; remove it, or check the code",
      "r.yaml:9:27: warning: this text contains markup, which readers will see as written (with the < and >); to make links or emphasis, write it under html: instead of text:",
      "r.yaml:16:7: warning: headers never reach the reader: where a rule applies a block, nothing else is done; move it to a rule of its own",
    ]);
  });

  it("keeps warnings on a rule set that loads, and reports them with errors on one that does not", () => {
    expect(ruleSetFrom({ "r.yaml": blocks }).warnings).to.have.length(1);
    try {
      rulesFrom({ "r.yaml": blocks, "s.yaml": "rules: 3\n" });
      expect.fail("should not load");
    } catch (error) {
      expect((error as RuleLoadError).problems).to.have.length(1);
      expect((error as RuleLoadError).warnings).to.have.length(1);
    }
  });
});
