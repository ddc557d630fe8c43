import { expect } from "chai";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { run } from "../src/cli/main.js";
import { packageRoot, shippedRulesDir } from "../src/package-root.js";

/**
 * The fenced blocks of rules/README.md: what legal teams copy from must keep working. The
 * tools-examples section is left to test/readme-examples.test.ts, which knows each line's exit status.
 */
const README = readFileSync(join(shippedRulesDir(), "README.md"), "utf8").replace(/<!-- tools-examples[^]*?<!-- \/tools-examples -->/g, "");
const blocks = [...README.matchAll(/```(\S*)([^\n]*)\n([^]*?)```/g)].map((m) => ({ lang: m[1]!, info: m[2]!.trim(), body: m[3]!, end: m.index + m[0].length }));

function cli(args: string[]): { status: number; out: string } {
  let out = "";
  const status = run(args, (t) => (out += `${t}\n`), (t) => (out += `${t}\n`));
  return { status, out };
}

describe("rules/README.md: its examples work as written", () => {
  const examples = blocks.filter((b) => b.lang === "yaml" && b.info === "");

  it("has rule examples, each a whole file starting with the schema line", () => {
    expect(examples.length).to.be.at.least(4);
    for (const e of examples) expect(e.body.split("\n")[0]).to.equal("# yaml-language-server: $schema=./schema.json");
  });

  it("the examples load together with no problem and no warning, and their tests pass", () => {
    const dir = mkdtempSync(join(tmpdir(), "gc-readme-"));
    examples.forEach((e, i) => writeFileSync(join(dir, `example-${i + 1}.yaml`), e.body));
    const validated = cli(["validate", "--rules", dir, "--json"]);
    const result = JSON.parse(validated.out) as { ok: boolean; problems: unknown[]; warnings: unknown[]; rules: string[] };
    expect(result.problems).to.deep.equal([]);
    expect(result.warnings).to.deep.equal([]);
    expect(result.rules).to.include.members(["by-extremist-materials", "eea-but-not-the-canaries", "ru-controlled-no-referrer", "kz-news-notice-2026", "tr-court-order-2026-17"]);
    const tested = cli(["test", "--rules", dir]);
    expect(tested.status, tested.out).to.equal(0);
    expect(tested.out).to.match(/^[1-9]\d* passed, 0 failed/m);
  });

  it("the mistake example gives exactly the messages shown after it", () => {
    const mistake = blocks.find((b) => b.lang === "yaml" && b.info === "mistake")!;
    const shown = blocks.find((b) => b.lang === "text" && b.end > mistake.end)!;
    const dir = mkdtempSync(join(tmpdir(), "gc-readme-"));
    writeFileSync(join(dir, "mistake.yaml"), mistake.body);
    const result = spawnSync(process.execPath, [join(packageRoot(), "dist/src/cli/main.js"), "validate", "--rules", "mistake.yaml"], { cwd: dir, encoding: "utf8" });
    expect(result.stdout).to.equal(shown.body);
    expect(result.status).to.equal(1);
  });

  it("every command it shows runs and exits 0 on the shipped rules", () => {
    const commands = blocks
      .filter((b) => b.lang === "sh")
      .flatMap((b) => b.body.split("\n"))
      .map((line) => line.replace(/#.*$/, "").trim())
      .filter(Boolean);
    expect(commands.length).to.be.at.least(4);
    for (const command of commands) {
      const [npx, bin, ...args] = command.split(/\s+/);
      expect([npx, bin], command).to.deep.equal(["npx", "geo-compliance"]);
      const { status, out } = cli(args);
      expect(status, `${command}\n${out}`).to.equal(0);
      expect(out.trim(), command).not.to.equal("");
    }
  });

  it("the shipped rule files start with the schema line, so editors check them", () => {
    const files = readdirSync(shippedRulesDir()).filter((f) => f.endsWith(".yaml") && f !== "trackers.yaml");
    expect(files).to.include.members(["ru-undesirable-organization.yaml", "eu-consent-defaults.yaml", "us-ca-gpc.yaml"]);
    for (const f of files) expect(readFileSync(join(shippedRulesDir(), f), "utf8").split("\n")[0], f).to.equal("# yaml-language-server: $schema=./schema.json");
  });
});
