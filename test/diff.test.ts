import { expect } from "chai";
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { iso31661 } from "iso-3166";
import { run } from "../src/cli/main.js";
import { examplePath, mentionsIn, yamlFilesOf } from "../src/rules/impact/probe.js";
import { regionRows } from "../src/rules/impact/regions.js";
import { packageRoot, shippedRulesDir } from "../src/package-root.js";
import { RuleStore } from "../src/rules/store.js";

const FIXTURES = join(packageRoot(), "test", "fixtures", "diff");
const fixture = (name: string): string => join(FIXTURES, `${name}.yaml`);
const CLI = join(packageRoot(), "dist", "src", "cli", "main.js");

function cli(argv: string[]): { code: number; out: string; err: string } {
  let out = "";
  let err = "";
  const code = run(argv, (t) => (out += t + "\n"), (t) => (err += t + "\n"));
  return { code, out, err };
}

interface JsonChange {
  change: "gained" | "lost";
  kind: "rule" | "action" | "notice";
  rule: string;
  label: string;
  language?: string;
  action?: { kind: string; rule: string; language?: string };
  notice?: { title: string; text: string };
  when: { always: boolean; exact: boolean; periods?: Array<{ from: string | null; until: string | null }>; gpc?: string; languages?: Array<string | null>; paths?: string[] };
}
interface JsonReport {
  changed: boolean;
  old: { spec: string; revision: string; rules: string[]; commit?: string };
  new: { spec: string; revision: string; rules: string[]; commit?: string };
  readers: { regions: number; instants: string[]; gpc: boolean[]; languages: Array<string | null>; paths: string[] };
  regions: Array<{ code: string; name: string; changes: JsonChange[] }>;
  texts: Array<{ rule: string; language: string; before: { title: string; text: string }; after: { title: string; text: string }; regions: string[] }>;
}

function diffJson(...args: string[]): { code: number; report: JsonReport } {
  const { code, out, err } = cli(["diff", ...args, "--json"]);
  expect(err, "stderr").to.equal("");
  return { code, report: JSON.parse(out) as JsonReport };
}

/** Whether the rule language loads this fixture yet (effective dates and `when` arrive with it). */
function languageAccepts(name: string): boolean {
  try {
    new RuleStore([fixture(name)], () => new Date());
    return true;
  } catch {
    return false;
  }
}

function git(cwd: string, ...args: string[]): string {
  const r = spawnSync("git", ["-c", "user.name=Test", "-c", "user.email=test@example.org", "-c", "commit.gpgsign=false", ...args], { cwd, encoding: "utf8" });
  if (r.status !== 0) throw new Error(`git ${args.join(" ")}: ${r.stderr}`);
  return r.stdout;
}

function builtCli(cwd: string, ...args: string[]): { code: number | null; out: string; err: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd, encoding: "utf8" });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe("diff: what a rule change does, region by region", () => {
  describe("readers compared", () => {
    it("every ISO 3166-1 country, each named subdivision, the rest of its country, and an unknown region", () => {
      const rows = regionRows(["UA-43", "UA-40", "US-CA"]);
      const codes = rows.map((r) => r.code);
      for (const c of iso31661) expect(codes, c.alpha2).to.include(c.alpha2);
      expect(codes).to.include.members(["UA-43", "UA-40", "UA-*", "US-CA", "US-*", "unknown"]);
      expect(rows.length).to.equal(iso31661.length + 3 + 2 + 1);
      const other = rows.find((r) => r.code === "UA-*")!;
      expect(other.region.country).to.equal("UA");
      expect(other.region.subdivision).to.match(/^UA-/).and.not.be.oneOf(["UA-43", "UA-40"]);
      expect(rows.find((r) => r.code === "unknown")!.region.country).to.equal(null);
    });

    it("finds subdivisions, languages, dates and example paths in the rule files", () => {
      const m = mentionsIn([fixture("base"), fixture("dated-from-march"), fixture("region-added")]);
      expect([...m.subdivisions].sort()).to.deep.equal(["UA-40", "UA-43"]);
      expect([...m.languages].sort()).to.deep.equal(["en", "ru"]);
      expect(m.instants).to.deep.equal([Date.parse("2099-03-01T00:00:00Z")]);
      expect(examplePath("/opinion/**")).to.equal("/opinion/x");
      expect(examplePath("/{news,sport}/*.html")).to.equal("/news/x.html");
      expect(examplePath("https://example.org/")).to.equal(null);
      expect(examplePath("not a path")).to.equal(null);
    });
  });

  describe("on the shipped rules", () => {
    it("the shipped rules against themselves: exit 0, no reader affected", () => {
      const { code, out } = cli(["diff", shippedRulesDir(), shippedRulesDir()]);
      expect(code).to.equal(0);
      expect(out).to.contain("No reader is affected: the rules are the same.");
    });

    it("dropping Kherson from the shipped rule: readers in UA-65 lose the rule, its notice in every language, and nothing else changes", () => {
      const dir = mkdtempSync(join(tmpdir(), "gc-diff-"));
      for (const file of yamlFilesOf([shippedRulesDir()])) copyFileSync(file, join(dir, basename(file)));
      const text = readFileSync(join(shippedRulesDir(), "ru-undesirable-organization.yaml"), "utf8");
      const edited = text.replace(/^\s*- UA-65.*\n/m, "\n");
      expect(edited).to.not.equal(text);
      writeFileSync(join(dir, "ru-undesirable-organization.yaml"), edited);
      const { code, report } = diffJson(shippedRulesDir(), dir);
      expect(code).to.equal(1);
      expect(report.changed).to.equal(true);
      expect(report.regions.map((r) => r.code)).to.deep.equal(["UA-65"]);
      const changes = report.regions[0]!.changes;
      expect(changes.every((c) => c.change === "lost")).to.equal(true);
      expect(changes.filter((c) => c.kind === "rule")).to.have.length(1);
      expect(changes.find((c) => c.kind === "rule")!.when.always).to.equal(true);
      // One notice action per language the rule has a text in.
      expect(changes.filter((c) => c.action?.kind === "notice").map((c) => c.action!.language).sort()).to.deep.equal(["en", "ru", "uk"]);
    });
  });

  describe("on fixtures", () => {
    it("a region added: UA-40 gains the rule and its notice, in the language the reader asks for", () => {
      const { code, report } = diffJson(fixture("base"), fixture("region-added"));
      expect(code).to.equal(1);
      expect(report.regions.map((r) => r.code)).to.deep.equal(["UA-40"]);
      const [rule, en, ru] = report.regions[0]!.changes as [JsonChange, JsonChange, JsonChange];
      expect(rule).to.deep.include({ change: "gained", kind: "rule", rule: "ru-warning" });
      expect(rule.when).to.deep.equal({ always: true, exact: true });
      expect(en.action).to.deep.include({ kind: "notice", rule: "ru-warning", language: "en" });
      expect(en.when.languages).to.deep.equal(["en"]);
      // The default language is Russian: a reader asking for none gets it too.
      expect(ru.action).to.deep.include({ kind: "notice", language: "ru" });
      expect(ru.when.languages).to.deep.equal([null, "ru"]);
      const text = cli(["diff", fixture("base"), fixture("region-added")]).out;
      expect(text).to.match(/^UA-40 +Sevastopol, Ukraine +\+ rule +ru-warning$/m);
      expect(text).to.contain("1 region(s) change: UA-40");
    });

    it("a text changed: readers of that language in every region of the rule see the new words", () => {
      const { code, report } = diffJson(fixture("base"), fixture("text-changed"));
      expect(code).to.equal(1);
      expect(report.regions.map((r) => r.code)).to.deep.equal(["RU", "UA-43"]);
      for (const region of report.regions) {
        expect(region.changes.map((c) => [c.change, c.kind, c.language])).to.deep.equal([
          ["gained", "notice", "en"],
          ["lost", "notice", "en"],
        ]);
        expect(region.changes[0]!.when.languages).to.deep.equal(["en"]);
      }
      expect(report.texts).to.deep.equal([
        {
          rule: "ru-warning",
          language: "en",
          before: { title: "A warning", text: "Sharing this page can be punished." },
          after: { title: "A warning", text: "Sharing, liking or saving this page can be punished." },
          regions: ["RU", "UA-43"],
        },
      ]);
      const text = cli(["diff", fixture("base"), fixture("text-changed")]).out;
      expect(text).to.match(/^RU +Russian Federation +~ text +ru-warning \[en\] edited +\[Accept-Language en\]$/m);
      expect(text).to.contain("    Sharing, liking or saving this page can be punished.");
    });

    it("a rule removed: readers in Belarus lose it and its notice; exit 1", () => {
      const { code, report } = diffJson(fixture("base"), fixture("rule-removed"));
      expect(code).to.equal(1);
      expect(report.old.rules).to.deep.equal(["by-warning", "ru-warning"]);
      expect(report.new.rules).to.deep.equal(["ru-warning"]);
      expect(report.regions.map((r) => r.code)).to.deep.equal(["BY"]);
      expect(report.regions[0]!.changes.map((c) => [c.change, c.kind])).to.deep.equal([
        ["lost", "rule"],
        ["lost", "action"],
        ["lost", "notice"],
      ]);
      expect(report.regions[0]!.changes.every((c) => c.when.always)).to.equal(true);
      const text = cli(["diff", fixture("base"), fixture("rule-removed")]).out;
      expect(text).to.match(/^BY +Belarus +- rule +by-warning$/m);
    });

    it("a change no reader sees (a title, the order): exit 0, and says the revisions differ", () => {
      const { code, report } = diffJson(fixture("base"), fixture("retitled"));
      expect(code).to.equal(0);
      expect(report.changed).to.equal(false);
      expect(report.old.revision).to.not.equal(report.new.revision);
      expect(report.regions).to.deep.equal([]);
      expect(cli(["diff", fixture("base"), fixture("retitled")]).out).to.contain("No reader is affected: what changed (titles, legal bases, order, comments) does not reach readers.");
    });

    it("the other way round, gains become losses", () => {
      const { code, report } = diffJson(fixture("region-added"), fixture("base"));
      expect(code).to.equal(1);
      expect(report.regions[0]!.changes.every((c) => c.change === "lost")).to.equal(true);
    });

    it("a date change: readers lose the rule between the old start and the new one", function () {
      if (!languageAccepts("dated-from-march")) this.skip(); // effective dates come with the rule language's next version
      const { code, report } = diffJson(fixture("dated-from-march"), fixture("dated-from-april"));
      expect(code).to.equal(1);
      expect(report.readers.instants.slice(1)).to.deep.equal(["2099-03-01T00:00:00.000Z", "2099-04-01T00:00:00.000Z"]);
      expect(report.regions.map((r) => r.code)).to.deep.equal(["RU", "UA-43"]);
      const rule = report.regions[0]!.changes.find((c) => c.kind === "rule")!;
      expect(rule.change).to.equal("lost");
      expect(rule.when.periods).to.deep.equal([{ from: "2099-03-01T00:00:00.000Z", until: "2099-04-01T00:00:00.000Z" }]);
      expect(cli(["diff", fixture("dated-from-march"), fixture("dated-from-april")]).out).to.match(/- rule +ru-warning +\[from 2099-03-01T00:00:00.000Z until 2099-04-01T00:00:00.000Z\]/);
      // Seen from after both starts, nothing differs.
      expect(cli(["diff", fixture("dated-from-march"), fixture("dated-from-april"), "--at", "2099-05-01T00:00:00Z"]).code).to.equal(0);
    });

    it("a rule narrowed to GPC: readers in California who do not send it lose the notice", function () {
      if (!languageAccepts("gpc-only")) this.skip(); // `when: { gpc }` comes with the rule language's next version
      const { code, report } = diffJson(fixture("gpc-any"), fixture("gpc-only"));
      expect(code).to.equal(1);
      const ca = report.regions.find((r) => r.code === "US-CA")!;
      expect(ca.changes.find((c) => c.kind === "rule")).to.deep.include({ change: "lost" });
      expect(ca.changes.find((c) => c.kind === "rule")!.when).to.deep.equal({ always: false, exact: true, gpc: "without" });
    });
  });

  describe("exit status 2 when it cannot compare", () => {
    it("a usage mistake: one side, or a bad --at", () => {
      expect(cli(["diff", fixture("base")]).code).to.equal(2);
      expect(cli(["diff", fixture("base")]).err).to.contain("diff needs two sides");
      const bad = cli(["diff", fixture("base"), fixture("base"), "--at", "yesterday"]);
      expect(bad.code).to.equal(2);
      expect(bad.err).to.contain("--at yesterday");
    });

    it("a side that does not exist, or does not validate, naming the file, line and column", () => {
      const missing = cli(["diff", fixture("base"), "no/such/rules/"]);
      expect(missing.code).to.equal(2);
      expect(missing.err).to.contain("no/such/rules/: no such file or folder");
      const dir = mkdtempSync(join(tmpdir(), "gc-diff-"));
      writeFileSync(join(dir, "bad.yaml"), "rules:\n  - id: x\n    titel: typo\n");
      const invalid = cli(["diff", fixture("base"), dir]);
      expect(invalid.code).to.equal(2);
      expect(invalid.err).to.match(/bad\.yaml:3:5: .*titel/);
    });
  });

  describe("git:REV:PATH sides", () => {
    let repo: string;
    before(function () {
      if (spawnSync("git", ["--version"]).status !== 0) this.skip(); // git is needed for git: sides only
      repo = mkdtempSync(join(tmpdir(), "gc-diff-git-"));
      git(repo, "init", "-q", "-b", "main");
      mkdirSync(join(repo, "rules"));
      copyFileSync(fixture("base"), join(repo, "rules", "rules.yaml"));
      git(repo, "add", "rules");
      git(repo, "commit", "-q", "-m", "base");
      copyFileSync(fixture("region-added"), join(repo, "rules", "rules.yaml"));
      git(repo, "commit", "-q", "-am", "add UA-40");
    });

    it("compares two revisions without touching the working tree: exit 1, and names the commits", () => {
      copyFileSync(fixture("text-changed"), join(repo, "rules", "rules.yaml")); // an uncommitted edit
      const status = git(repo, "status", "--porcelain");
      const { code, out } = builtCli(repo, "diff", "git:HEAD~1:rules/", "git:main:rules/", "--json");
      expect(code).to.equal(1);
      const report = JSON.parse(out) as JsonReport;
      expect(report.regions.map((r) => r.code)).to.deep.equal(["UA-40"]);
      expect(report.old.commit).to.equal(git(repo, "rev-parse", "HEAD~1").trim());
      expect(report.new.commit).to.equal(git(repo, "rev-parse", "HEAD").trim());
      expect(readFileSync(join(repo, "rules", "rules.yaml"), "utf8")).to.equal(readFileSync(fixture("text-changed"), "utf8"));
      expect(git(repo, "status", "--porcelain")).to.equal(status);
      copyFileSync(fixture("region-added"), join(repo, "rules", "rules.yaml"));
    });

    it("a revision against the working tree: 0 when they agree, 1 after an edit; a file at a revision too", () => {
      expect(builtCli(repo, "diff", "git:HEAD:rules/", "rules/").code).to.equal(0);
      expect(builtCli(repo, "diff", "git:HEAD:rules/rules.yaml", "rules/rules.yaml").code).to.equal(0);
      copyFileSync(fixture("rule-removed"), join(repo, "rules", "rules.yaml"));
      const edited = builtCli(repo, "diff", "git:HEAD:rules/", "rules/");
      expect(edited.code).to.equal(1);
      expect(edited.out).to.match(/^BY +Belarus +- rule +by-warning$/m);
      copyFileSync(fixture("region-added"), join(repo, "rules", "rules.yaml"));
    });

    it("from a subfolder, ./PATH is from there and PATH from the top, as in git show", () => {
      expect(builtCli(join(repo, "rules"), "diff", "git:HEAD:./", "git:HEAD:rules/").code).to.equal(0);
      // The git side reads the same rules as the working tree, not none of them.
      const fromSub = builtCli(join(repo, "rules"), "diff", "git:HEAD:rules/", ".", "--json");
      expect(fromSub.code, fromSub.err).to.equal(0);
      const report = JSON.parse(fromSub.out) as JsonReport;
      expect(report.regions).to.deep.equal([]);
      expect(builtCli(join(repo, "rules"), "diff", "git:HEAD~1:rules/", ".").code).to.equal(1);
    });

    it("exit 2 for a side that holds no rules", () => {
      const empty = mkdtempSync(join(tmpdir(), "gc-diff-empty-"));
      const none = builtCli(repo, "diff", empty, "rules/");
      expect(none.code).to.equal(2);
      expect(none.err).to.contain(`${empty} holds no rules`);
    });

    it("exit 2 for a revision or path that does not exist, or rules at a revision that do not validate (named as git:REV:file)", () => {
      const rev = builtCli(repo, "diff", "git:no-such-branch:rules/", "rules/");
      expect(rev.code).to.equal(2);
      expect(rev.err).to.contain("no-such-branch is not a commit in this repository");
      const path = builtCli(repo, "diff", "git:HEAD:regles/", "rules/");
      expect(path.code).to.equal(2);
      expect(path.err).to.contain("there is no regles/ at HEAD");
      writeFileSync(join(repo, "rules", "rules.yaml"), "rules:\n  - id: x\n    titel: typo\n");
      git(repo, "commit", "-q", "-am", "broken");
      const invalid = builtCli(repo, "diff", "git:HEAD:rules/", "git:HEAD~1:rules/");
      expect(invalid.code).to.equal(2);
      expect(invalid.err).to.match(/git:HEAD:rules\/rules\.yaml:3:5: .*titel/);
      const outside = builtCli(tmpdir(), "diff", "git:HEAD:rules/", fixture("base"));
      expect(outside.code).to.equal(2);
    });
  });
});
