import { expect } from "chai";
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { run } from "../src/cli/main.js";
import { COMMAND_HELP } from "../src/cli/usage.js";
import { packageRoot } from "../src/package-root.js";
import { tempDir } from "./support/region-fixtures.js";

const CLI = join(packageRoot(), "dist", "src", "cli", "main.js");

function cli(...argv: string[]): { status: number; out: string; err: string } {
  let out = "";
  let err = "";
  const status = run(argv, (t) => (out += `${t}\n`), (t) => (err += `${t}\n`));
  return { status, out, err };
}

function installed(cwd: string, ...args: string[]): { code: number | null; out: string; err: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd, encoding: "utf8" });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe("geo-compliance: which rules it reads", () => {
  it("reads ./rules of the current folder, not the package's own, and says which folder it read", () => {
    const app = tempDir("gc-cli-app-");
    mkdirSync(join(app, "rules"));
    writeFileSync(join(app, "rules", "bad.yaml"), "rules:\n  - id: a\n    title: A\n    regions: { countries: [UK] }\n    actions: { gpc: true }\n");
    const r = installed(app, "validate");
    expect(r.code, r.out).to.equal(1);
    expect(r.out).to.contain("UK is not the ISO 3166-1 code for United Kingdom");
    expect(r.err).to.contain(`reading rules from ${join(app, "rules")} (./rules, the default)`);
    const t = installed(app, "test");
    expect(t.code).to.equal(1);
  });

  it("without ./rules and without --rules, says so in one line: exit 2", () => {
    const r = installed(tempDir("gc-cli-empty-"), "validate");
    expect(r.code).to.equal(2);
    expect(r.err.trim().split("\n")).to.have.length(1);
    expect(r.err).to.match(/there is no rules folder here .*give --rules DIR/);
  });
});

describe("geo-compliance explain --region: checked as validate checks", () => {
  for (const [code, says] of [
    ["UK", "the ISO code is GB; write GB"],
    ["XX-99", "XX is not an ISO 3166-1 country code"],
    ["UA-99", "UA-99 is not an ISO 3166-2 subdivision of Ukraine; did you mean"],
  ] as const) {
    it(`--region ${code}: exit 2, ${says}`, () => {
      const { status, out, err } = cli("explain", "--region", code);
      expect(status).to.equal(2);
      expect(out).to.equal("");
      expect(err).to.contain(says);
    });
  }

  it("--region ua-43 still works", () => {
    expect(cli("explain", "--region", "ua-43").status).to.equal(0);
  });
});

describe("geo-compliance: help, version and usage errors", () => {
  it("--version and -v print the package's version", () => {
    const version = (JSON.parse(readFileSync(join(packageRoot(), "package.json"), "utf8")) as { version: string }).version;
    expect(cli("--version")).to.deep.include({ status: 0, out: `${version}\n` });
    expect(cli("-v").out).to.equal(`${version}\n`);
  });

  it("-h and --help print the usage of every command: exit 0", () => {
    for (const flag of ["-h", "--help", "help"]) {
      const { status, out } = cli(flag);
      expect(status).to.equal(0);
      for (const name of Object.keys(COMMAND_HELP)) expect(out).to.contain(`geo-compliance ${name}`);
    }
  });

  for (const name of Object.keys(COMMAND_HELP)) {
    it(`geo-compliance ${name} --help prints that command's help: exit 0`, () => {
      for (const args of [[name, "--help"], [name, "-h"], ["help", name]]) {
        const { status, out } = cli(...args);
        expect(status, args.join(" ")).to.equal(0);
        expect(out).to.match(new RegExp(`^usage: geo-compliance ${name}\\b`));
        for (const other of Object.keys(COMMAND_HELP).filter((o) => o !== name)) expect(out).to.not.contain(`geo-compliance ${other} `);
      }
    });
  }

  it("a usage error is one line: what is wrong, and how to get help", () => {
    for (const args of [["validate", "--rulez", "x"], ["frobnicate"], ["diff", "only-one"], ["explain"]]) {
      const { status, out, err } = cli(...args);
      expect(status, args.join(" ")).to.equal(2);
      expect(out).to.equal("");
      const lines = err.trim().split("\n");
      expect(lines, err).to.have.length(1);
      expect(lines[0]).to.match(/^geo-compliance( \w+)?: .+ \(see geo-compliance (\w+ )?--help\)$/);
    }
    expect(cli("frobnicate").err).to.contain('unknown command "frobnicate"; the commands are validate, test, explain');
  });

  it("logs --help is help too, not an attempt to read files", async () => {
    const { main } = await import("../src/cli/main.js");
    let out = "";
    expect(await main(["logs", "--help"], (t) => (out += t))).to.equal(0);
    expect(out).to.match(/^usage: geo-compliance logs summary/);
  });
});
