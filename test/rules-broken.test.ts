import { expect } from "chai";
import { copyFileSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { isDeepStrictEqual } from "node:util";
import express from "express";
import { DECISION_HEADER, geoCompliance } from "../src/index.js";
import { formatProblem, RuleLoadError } from "../src/rules/errors.js";
import { displayName, MAX_RULE_FILE_BYTES, readRuleSources } from "../src/rules/load.js";
import { packageRoot } from "../src/package-root.js";
import { countNotices } from "./support/pages.js";
import { file, rule, ruleDir } from "./support/rule-sets.js";
import { listen, MemoryLog } from "./support/server.js";

/**
 * The corpus: each broken file starts with `# expect: LINE:COL: MESSAGE` lines, one per problem it
 * must be rejected with; a folder is one case of several files (such as a duplicate id).
 */
const CORPUS = join(packageRoot(), "test/fixtures/rules-broken");

interface Case {
  readonly name: string;
  readonly files: ReadonlyArray<{ file: string; bytes: Buffer }>;
  readonly expected: readonly string[];
}

function cases(): Case[] {
  return readdirSync(CORPUS)
    .sort()
    .map((name) => {
      const full = join(CORPUS, name);
      const names = statSync(full).isDirectory() ? readdirSync(full).sort().map((f) => join(name, f)) : [name];
      const files = names.map((f) => ({ file: f, bytes: readFileSync(join(CORPUS, f)) }));
      const expected = files.flatMap(({ file: f, bytes }) =>
        bytes
          .toString("latin1")
          .split("\n")
          .filter((l) => l.startsWith("# expect: "))
          .map((l) => `${f}:${Buffer.from(l.slice("# expect: ".length), "latin1").toString("utf8")}`),
      );
      return { name, files, expected };
    });
}

function rejection(files: Case["files"]): RuleLoadError {
  try {
    readRuleSources(files);
  } catch (error) {
    expect(error).to.be.instanceOf(RuleLoadError);
    return error as RuleLoadError;
  }
  return expect.fail("the rules loaded");
}

describe("the corpus of broken rule files", () => {
  const all = cases();

  it("holds at least 30 cases, each with its expected messages and positions", () => {
    expect(all.length).to.be.at.least(30);
    for (const c of all) expect(c.expected, c.name).not.to.be.empty;
  });

  for (const c of all) {
    it(`rejects ${c.name} with exactly the expected message and position`, () => {
      expect(rejection(c.files).problems.map(formatProblem)).to.deep.equal(c.expected);
    });
  }
});

describe("hostile rule files", () => {
  const refused = (text: string | Buffer): string[] => rejection([{ file: "h.yaml", bytes: Buffer.isBuffer(text) ? text : Buffer.from(text) }]).problems.map(formatProblem);

  it("refuses a file over the size limit without parsing it", () => {
    const huge = Buffer.alloc(MAX_RULE_FILE_BYTES + 1, "#");
    expect(refused(huge)).to.deep.equal([`h.yaml:1:1: the file is ${MAX_RULE_FILE_BYTES + 1} bytes; a rule file may be at most 1048576 bytes (1 MiB): split it into several files`]);
  });

  it("refuses half a million nested brackets before the parser can overflow its stack", () => {
    const deep = `rules: ${"[".repeat(500_000)}${"]".repeat(500_000)}\n`;
    expect(refused(deep)).to.deep.equal(["h.yaml:1:71: the file is nested more than 64 levels deep here; no rule needs that many: check the brackets and the indentation"]);
    expect(refused(`rules:\n  ${"- ".repeat(100_000)}x\n`)[0]).to.match(/^h\.yaml:2:129: the file is nested/);
  });

  it("accepts a rule file written as one line of JSON: many keys on a line inside brackets are not depth", () => {
    const languages = Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`x${String.fromCharCode(97 + (i % 26))}${String.fromCharCode(97 + Math.floor(i / 26))}`, { title: "T", text: "t" }]));
    const json = { rules: [{ id: "json", title: "J", basis: { text: "A law" }, regions: { countries: ["RU"] }, actions: { notice: { defaultLanguage: "xaa", languages } } }] };
    expect(readRuleSources([{ file: "j.yaml", bytes: Buffer.from(JSON.stringify(json)) }]).rules.map((r) => r.spec.id)).to.deep.equal(["json"]);
    // Brackets still count, on one line or many.
    expect(refused(`rules: [${"{a: ".repeat(70)}1${"}".repeat(70)}]\n`)[0]).to.match(/^h\.yaml:1:\d+: the file is nested more than 64 levels/);
  });

  it("refuses a multi-byte character cut short, at its line and column", () => {
    const cut = Buffer.concat([Buffer.from("rules:\n  - id: \u0436"), Buffer.from([0xd0]), Buffer.from("\n")]);
    expect(refused(cut)).to.deep.equal(["h.yaml:2:10: byte 0xD0 is not UTF-8 text; the file was probably saved in another encoding (such as Windows-1252 or KOI8-R): save it as UTF-8"]);
  });

  it("refuses UTF-16 text and a lone surrogate", () => {
    expect(refused(Buffer.from("\ufeffrules: []\n", "utf16le"))[0]).to.match(/^h\.yaml:1:1: byte 0xFF is not UTF-8 text/);
    expect(refused(Buffer.from([0x72, 0x3a, 0x20, 0xed, 0xa0, 0x80, 0x0a]))[0]).to.match(/^h\.yaml:1:4: byte 0xED is not UTF-8/);
  });

  it("accepts a UTF-8 byte-order mark, as editors on Windows write it", () => {
    const text = `\ufeff${file(rule("bom", "    regions: { countries: [RU] }\n    actions: { gpc: true }\n"))}`;
    expect(readRuleSources([{ file: "bom.yaml", bytes: Buffer.from(text) }]).rules.map((r) => r.spec.id)).to.deep.equal(["bom"]);
  });

  it("rejects every corpus file at start-up and at reload, and a running middleware keeps its last good rules", () => {
    const good = file(rule("good", "    regions: { countries: [RU] }\n    actions: { gpc: true }\n"));
    const dir = ruleDir({ "good.yaml": good });
    expect(() => geoCompliance({ rules: [dir, join(CORPUS, "country-uk.yaml")], decisionLog: false, watch: false })).to.throw(RuleLoadError, /country-uk\.yaml:6:28: UK is not the ISO 3166-1 code/);
    const compliance = geoCompliance({ rules: dir, decisionLog: false, watch: false });
    const revision = compliance.status().revision;
    try {
      for (const c of cases()) {
        if (c.files.length !== 1) continue;
        const target = join(dir, `zz-${c.name}`);
        copyFileSync(join(CORPUS, c.name), target);
        const result = compliance.reload();
        expect(result.ok, c.name).to.equal(false);
        expect(result.revision).to.equal(revision);
        const problems = (result.error as RuleLoadError).problems.map((p) => `${p.line}:${p.col}: ${p.message}`);
        expect(problems, c.name).to.deep.equal(c.expected.map((e) => e.slice(c.name.length + 1)));
        expect(compliance.status().lastError).to.contain(`zz-${c.name}`);
        rmSync(target);
      }
      expect(compliance.reload()).to.include({ ok: true, revision, changed: false });
      expect(compliance.status().lastError).to.equal(null);
    } finally {
      void compliance.close();
    }
  });
});

describe("the corpus against a running middleware", () => {
  /** The case's expected problems, with its file names changed to where its files were put. */
  function expectedAt(c: Case, where: (file: string) => string): string[] {
    const pattern = new RegExp(c.files.map((f) => f.file.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).join("|"), "g");
    return c.expected.map((e) => e.replace(pattern, (n) => where(n)));
  }

  it("every case, one file or several, stops start-up with its messages and positions", () => {
    const good = ruleDir({ "good.yaml": file(rule("good", "    regions: { countries: [RU] }\n    actions: { gpc: true }\n")) });
    for (const c of cases()) {
      const expected = expectedAt(c, (f) => displayName(join(CORPUS, f)));
      let error: unknown;
      try {
        geoCompliance({ rules: [good, join(CORPUS, c.name)], decisionLog: false, watch: false });
      } catch (e) {
        error = e;
      }
      expect(error, c.name).to.be.instanceOf(RuleLoadError);
      expect((error as RuleLoadError).problems.map(formatProblem), c.name).to.deep.equal(expected);
      // The message a start-up failure prints carries every position too.
      for (const line of expected) expect((error as Error).message, c.name).to.contain(line);
    }
  });

  it("every case dropped into the watched folder is rejected with its positions in the log, and requests meanwhile get the last good revision", async function () {
    this.timeout(60_000);
    const marker = (m: string): string =>
      file(rule("ru", `    regions: { countries: [RU] }\n    actions:\n      notice:\n        defaultLanguage: en\n        languages:\n          en: { title: Warning, text: "text ${m}" }\n`));
    const dir = ruleDir({ "good.yaml": marker("good") });
    const log = new MemoryLog();
    const compliance = geoCompliance({ rules: dir, trustProxy: "loopback", decisionLog: { destination: log } });
    const good = compliance.status().revision;
    const app = express();
    app.use(compliance);
    app.get("/", (_req, res) => {
      res.type("html");
      res.write("<!doctype html><html><head><title>t</title></head>");
      setTimeout(() => res.end("<body><p>story</p></body></html>"), 1);
    });
    const server = await listen(app);
    const served: Array<{ id: string; status: number; body: string }> = [];
    let stop = false;
    const worker = async (): Promise<void> => {
      while (!stop) {
        const res = await fetch(`${server.url}/`, { headers: { "X-Forwarded-For": "77.88.8.8" } });
        served.push({ id: res.headers.get(DECISION_HEADER) ?? "", status: res.status, body: await res.text() });
      }
    };
    const workers = Array.from({ length: 3 }, () => worker());
    const rejected = (): Array<Record<string, unknown>> => log.lines.filter((l) => l.type === "lifecycle" && l.event === "rules-rejected");
    try {
      let previous: string[] = [];
      for (const c of cases()) {
        const target = (f: string): string => join(dir, `zz-${f.replace("/", "-")}`);
        const expected = expectedAt(c, (f) => displayName(target(f)));
        const before = rejected().length;
        // The last case's files go in the same burst as this one's arrive: one reload sees only this case.
        for (const old of previous) rmSync(old, { force: true });
        for (const f of c.files) writeFileSync(target(f.file), f.bytes);
        previous = c.files.map((f) => target(f.file));
        // A late event of the case before may come first; wait for this case's own.
        const mine = (): Array<Record<string, unknown>> => rejected().slice(before).filter((e) => isDeepStrictEqual(e.problems, expected));
        await until(`the rejection of ${c.name}`, () => mine().length > 0).catch(() => {
          expect(rejected().at(-1)?.problems, c.name).to.deep.equal(expected);
        });
        expect(mine()[0], c.name).to.include({ trigger: "watch", revision: good });
        expect(compliance.status().revision, c.name).to.equal(good);
      }
      for (const old of previous) rmSync(old, { force: true });
      await until("recovery", () => compliance.status().lastError === null);
    } finally {
      stop = true;
      await Promise.all(workers);
      await server.close();
    }
    await compliance.close();
    expect(served.length, "requests served during the changes").to.be.at.least(cases().length);
    const lines = new Map(log.decisions().map((l) => [l.decision_id, l]));
    for (const r of served) {
      expect(r.status).to.equal(200);
      expect(countNotices(r.body)).to.equal(1);
      expect(r.body).to.contain("text good");
      expect(lines.get(r.id)?.revision, "the log line of every response names the good revision").to.equal(good);
    }
    expect(compliance.status().revision).to.equal(good);
  });
});

async function until(what: string, check: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}
