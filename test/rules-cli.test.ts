import { expect } from "chai";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { run } from "../src/cli/main.js";
import { packageRoot } from "../src/package-root.js";
import { file, rule, ruleDir } from "./support/rule-sets.js";

function cli(...argv: string[]): { status: number; out: string; err: string } {
  let out = "";
  let err = "";
  const status = run(argv, (t) => (out += `${t}\n`), (t) => (err += `${t}\n`));
  return { status, out, err };
}

const PASSING = file(rule("by", "    regions: { countries: [BY] }\n    actions:\n      headers: { Referrer-Policy: no-referrer }\n")) + "tests:\n  - name: a reader in Belarus\n    region: BY\n    expect:\n      rules: [by]\n      actions: [{ kind: header, name: Referrer-Policy, value: no-referrer }]\n";
const FAILING = PASSING.replace("value: no-referrer }", "value: same-origin }") + "  - { name: a reader in Poland, region: PL, expect: { rules: [by] } }\n";

describe("geo-compliance validate", () => {
  it("exits 0 on the shipped rules", () => {
    const { status, out } = cli("validate");
    expect(status).to.equal(0);
    expect(out).to.match(/^ok: 3 rule\(s\) in 3 file\(s\), revision [0-9a-f]{16}\n$/);
  });

  it("exits 1 with every problem as file:line:col: message", () => {
    const dir = ruleDir({ "a.yaml": "rules:\n  - id: a\n    title: A\n    regions: { countries: [UK] }\n    actions: { gpc: true }\n    log: minmal\n" });
    const { status, out } = cli("validate", "--rules", dir);
    expect(status).to.equal(1);
    expect(out.split("\n")).to.include.members([
      `${dir}/a.yaml:4:28: UK is not the ISO 3166-1 code for United Kingdom: the ISO code is GB; write GB`,
      `${dir}/a.yaml:6:10: "log" must be one of: full, minimal; did you mean "minimal"?`,
      "2 problem(s), 1 warning(s); nothing was changed",
    ]);
  });

  it("exits 0 when there are only warnings, and prints them", () => {
    const dir = ruleDir({ "a.yaml": file(rule("a", "    regions: { countries: [RU] }\n    actions:\n      headers: { X-A: one }\n"), rule("b", "    regions: { countries: [RU] }\n    actions:\n      headers: { X-A: two }\n")) });
    const { status, out } = cli("validate", "--rules", dir);
    expect(status).to.equal(0);
    expect(out).to.contain(`${dir}/a.yaml:13:18: warning: X-A is set to "two" here and to "one" by "a" (${dir}/a.yaml:7:18)`);
    expect(out).to.match(/ok: 2 rule\(s\) in 1 file\(s\), revision [0-9a-f]{16}, 1 warning\(s\)/);
  });

  it("prints JSON with --json", () => {
    const dir = ruleDir({ "a.yaml": "rules:\n  - id: a\n    title: A\n    regions: { countries: [RUS] }\n    actions: { gpc: true }\n" });
    const { status, out } = cli("validate", "--rules", dir, "--json");
    expect(status).to.equal(1);
    const result = JSON.parse(out) as { ok: boolean; problems: Array<{ line: number; col: number; message: string }>; warnings: unknown[] };
    expect(result.ok).to.equal(false);
    expect(result.problems).to.deep.equal([{ file: `${dir}/a.yaml`, line: 4, col: 28, message: '"RUS" in "countries" is not right: RUS is a three-letter code; write the two-letter code RU (Russian Federation)' }]);
    expect(result.warnings).to.have.length(1);
  });
});

describe("geo-compliance test", () => {
  it("runs the shipped rules' tests and exits 0 when all pass", () => {
    const { status, out } = cli("test");
    expect(status).to.equal(0);
    const lines = out.trim().split("\n");
    expect(lines.length).to.be.at.least(15);
    for (const line of lines.slice(0, -1)) expect(line).to.match(/^PASS {2}rules\/[a-z-]+\.yaml:\d+ +\S/);
    expect(lines.at(-1)).to.match(/^\d+ passed, 0 failed \(revision [0-9a-f]{16}\)$/);
    for (const id of ["ru-undesirable-organization", "eu-consent-defaults", "us-ca-gpc"]) expect(out).to.contain(`rules/${id}.yaml:`);
  });

  it("exits 1 on a failing test, saying what differed and what was decided", () => {
    const dir = ruleDir({ "by.yaml": FAILING });
    const { status, out } = cli("test", "--rules", dir);
    expect(status).to.equal(1);
    expect(out).to.contain(`FAIL  ${dir}/by.yaml:9   a reader in Belarus\n        action 1 (header Referrer-Policy: no-referrer): expected value "same-origin", got "no-referrer"\n        decided: by → header Referrer-Policy: no-referrer`);
    expect(out).to.contain(`FAIL  ${dir}/by.yaml:14  a reader in Poland\n        rules: expected [by], got []\n        decided: no rule → no action`);
    expect(out.trim().split("\n").at(-1)).to.match(/^0 passed, 2 failed/);
  });

  it("exits 0 on passing tests and prints JSON with --json", () => {
    const dir = ruleDir({ "by.yaml": PASSING });
    const { status, out } = cli("test", "--rules", dir, "--json");
    expect(status).to.equal(0);
    const result = JSON.parse(out) as { ok: boolean; passed: number; failed: number; results: Array<{ name: string; ok: boolean; line: number }> };
    expect(result).to.include({ ok: true, passed: 1, failed: 0 });
    expect(result.results.map((r) => [r.name, r.ok, r.line])).to.deep.equal([["a reader in Belarus", true, 9]]);
  });

  it("exits 1 without running anything when the rules do not load", () => {
    const dir = ruleDir({ "by.yaml": PASSING.replace("[BY]", "[BYE]") });
    const { status, out } = cli("test", "--rules", dir);
    expect(status).to.equal(1);
    expect(out).to.contain(`${dir}/by.yaml:5:28: "BYE" in "countries" is not right`);
    expect(out).to.contain("the rules do not load, so no test ran");
  });

  it("gives the same exit codes as a real process", function () {
    this.timeout(20000);
    const bin = join(packageRoot(), "dist/src/cli/main.js");
    const good = ruleDir({ "by.yaml": PASSING });
    const bad = ruleDir({ "by.yaml": FAILING });
    const exit = (...args: string[]): number | null => spawnSync(process.execPath, [bin, ...args], { encoding: "utf8" }).status;
    expect(exit("test", "--rules", good)).to.equal(0);
    expect(exit("test", "--rules", bad)).to.equal(1);
    expect(exit("validate", "--rules", bad)).to.equal(0);
    expect(exit("validate", "--rules", ruleDir({ "x.yaml": "rules: [" }))).to.equal(1);
    expect(exit("test", "--bogus")).to.equal(2);
  });
});

describe("geo-compliance explain: the decision trace", () => {
  it("says for every rule whether it applies and why not", () => {
    const { status, out } = cli("explain", "--region", "US", "--gpc");
    expect(status).to.equal(0);
    expect(out).to.contain("rules:    us-ca-gpc");
    expect(out).to.match(/applies {2}us-ca-gpc \(rules\/us-ca-gpc\.yaml:\d+\): the reader's subdivision in US is unknown; the rule names parts of US \(US-CA\) and says unknownRegion: apply/);
    expect(out).to.match(/does not ru-undesirable-organization \(rules\/ru-undesirable-organization\.yaml:\d+\): the rule is not for US/);
    const without = cli("explain", "--region", "US-CA").out;
    expect(without).to.contain("GPC absent: the rule is for readers who send Sec-GPC: 1");
  });

  it("puts the trace in --json, with dates and paths", () => {
    const dir = ruleDir({ "r.yaml": file(rule("later", "    regions: { countries: [RU] }\n    effective: { from: '2030-01-01T00:00:00+03:00' }\n    paths: { exclude: [/api/**] }\n    actions: { gpc: true }\n")) });
    const { out } = cli("explain", "--region", "RU", "--path", "/api/x", "--at", "2026-01-01T00:00:00Z", "--rules", dir, "--json");
    const e = JSON.parse(out) as { trace: Array<{ rule: string; matched: boolean; reasons: Array<{ code: string }> }> };
    expect(e.trace).to.deep.equal([
      {
        rule: "later",
        title: "Rule later",
        source: { file: `${dir}/r.yaml`, line: 2, col: 5 },
        priority: 0,
        matched: false,
        reasons: [
          { code: "not-yet-in-effect", message: "outside its dates: it takes effect at 2030-01-01T00:00:00+03:00" },
          { code: "path-excluded", message: "path /api/x is excluded by /api/**" },
        ],
        setAside: [],
      },
    ]);
  });
});
