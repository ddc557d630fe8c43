import { expect } from "chai";
import { spawnSync } from "node:child_process";
import { closeSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { main } from "../src/cli/main.js";
import { DecisionLog, type DecisionLogOptions } from "../src/log/decision-log.js";
import type { LogSummaryJSON } from "../src/log/summary.js";
import { packageRoot } from "../src/package-root.js";
import { RUSSIA_RULE_FILE } from "./support/rules.js";
import type { Region } from "../src/region/types.js";
import { decide } from "../src/rules/decide.js";
import { RuleStore } from "../src/rules/store.js";

const RULE = "ru-undesirable-organization";
const T0 = Date.parse("2026-03-01T10:00:00.000Z");
const at = (minute: number): string => new Date(T0 + minute * 60_000).toISOString();

interface Expected {
  ids: Map<number, string>;
  byRule: Record<string, number>;
  byRegion: Record<string, number>;
  unknown: number;
  ruleInWindow: number;
  ua43: number;
}

/**
 * Writes a day of decisions through the real decision log: 100 readers, one a minute from 10:01,
 * under revision A until a reload to revision B at 11:00, with middleware times of 1..100 µs.
 */
async function writeFixture(options: DecisionLogOptions, revisions: { a: RuleStore; b: RuleStore }): Promise<Expected> {
  let now = T0;
  const log = new DecisionLog(options, { instance: "web-1", clock: () => new Date(now) });
  const expected: Expected = { ids: new Map(), byRule: {}, byRegion: {}, unknown: 0, ruleInWindow: 0, ua43: 0 };
  const tally = (record: Record<string, number>, key: string): void => {
    record[key] = (record[key] ?? 0) + 1;
  };
  log.lifecycle("start", { revision: revisions.a.current.revision });
  for (let i = 1; i <= 100; i++) {
    now = T0 + i * 60_000;
    if (i === 60) log.lifecycle("rules-loaded", { revision: revisions.b.current.revision });
    const region: Region =
      i % 10 === 0
        ? { country: "UA", subdivision: "UA-43", source: "header" }
        : i % 4 === 0
          ? { country: "RU", subdivision: null, source: "geoip" }
          : i % 7 === 0
            ? { country: null, subdivision: null, source: "none", reason: "loopback address" }
            : { country: i % 2 ? "DE" : "US", subdivision: null, source: "geoip" };
    const ruleset = (i < 60 ? revisions.a : revisions.b).current;
    const decision = decide(region, { method: "GET", path: `/story/${i}`, gpc: false }, ruleset, new Date(now));
    const failed = i === 40;
    const id = `00000000-0000-4000-8000-${String(i).padStart(12, "0")}`;
    expected.ids.set(i, id);
    log.write({
      decisionId: id,
      decision,
      method: "GET",
      path: `/story/${i}?ref=x`,
      client: "85.214.132.117",
      status: i % 25 === 0 ? 404 : 200,
      rewritten: decision.matched.length > 0 && !failed,
      bytes: 1000,
      durationMicros: i,
      ...(failed ? { error: "rewrite failed: boom" } : {}),
    });
    if (decision.matched.length === 0) tally(expected.byRule, "(none)");
    for (const r of decision.matched) tally(expected.byRule, r);
    tally(expected.byRegion, region.subdivision ?? region.country ?? "unknown");
    if (!region.country) expected.unknown++;
    if (decision.matched.includes(RULE) && i >= 30 && i <= 60) expected.ruleInWindow++;
    if (region.subdivision === "UA-43") expected.ua43++;
    // Let the writes land now and then, as they do in a running server, so that rotation can roll.
    if (i % 5 === 0) await log.flush();
  }
  now = T0 + 101 * 60_000;
  await log.close({ revision: revisions.b.current.revision });
  return expected;
}

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, (t) => out.push(t), (t) => err.push(t));
  return { code, out: out.join("\n"), err: err.join("\n") };
}

describe("geo-compliance logs", function () {
  this.timeout(30000);
  let dir: string;
  let plain: string;
  let rotated: string[];
  let expected: Expected;
  let revA: string;
  let revB: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "gc-cli-logs-"));
    const rulesB = join(dir, "rules-b");
    mkdirSync(rulesB);
    const file = join(rulesB, "ru-undesirable-organization.yaml");
    writeFileSync(file, readFileSync(RUSSIA_RULE_FILE, "utf8").replace("title: Warning for readers", "title: Revised warning for readers"));
    const revisions = { a: new RuleStore([RUSSIA_RULE_FILE], () => new Date()), b: new RuleStore([rulesB], () => new Date()) };
    revA = revisions.a.current.revision;
    revB = revisions.b.current.revision;
    expect(revA).not.to.equal(revB);

    plain = join(dir, "plain.jsonl");
    expected = await writeFixture({ destination: plain }, revisions);
    // The same day again, rotated every 4 KB, then the older half of the files gzipped.
    const rotDir = join(dir, "rotated");
    await writeFixture({ destination: join(rotDir, "decisions.jsonl"), rotate: { size: "4k" } }, revisions);
    const names = readdirSync(rotDir).sort((a, b) => Number(a.split(".")[1]) - Number(b.split(".")[1]));
    expect(names.length).to.be.at.least(4);
    rotated = names.map((n, i) => {
      const path = join(rotDir, n);
      if (i >= names.length / 2) return path;
      writeFileSync(`${path}.gz`, gzipSync(readFileSync(path)));
      rmSync(path);
      return `${path}.gz`;
    });
  });

  it("summarizes a plain file: counts by rule, region, action, status and outcome, unknown share, failures, timings, revisions, time range", async () => {
    const { code, out } = await cli("logs", "summary", plain, "--json");
    expect(code).to.equal(0);
    const s = JSON.parse(out) as LogSummaryJSON;
    expect(s).to.include({ lines: 103, decisions: 100, lifecycle: 3, bytes: 100_000 });
    expect(s.malformed.count).to.equal(0);
    expect(s.time).to.deep.equal({ from: at(0), to: at(101) });
    expect(s.byRule).to.deep.equal(expected.byRule);
    expect(s.byRegion).to.deep.equal(expected.byRegion);
    expect(s.byRegionSource).to.have.keys("geoip", "header", "none");
    expect(s.unknownRegion).to.deep.equal({ count: expected.unknown, share: expected.unknown / 100 });
    const matched = 100 - expected.byRule["(none)"]!;
    // The Russia rule sets a header, turns trackers off and shows its notice: three actions a decision.
    expect(s.byAction).to.deep.equal({ header: matched, trackers: matched, notice: matched });
    expect(s.byStatus).to.deep.equal({ 200: 96, 404: 4 });
    expect(s.byOutcome).to.deep.equal({ untouched: 100 - matched, rewritten: matched - 1, error: 1 });
    expect(s.rewritten).to.equal(matched - 1);
    expect(s.rewriteFailures).to.deep.equal({ count: 1, messages: { "rewrite failed: boom": 1 } });
    expect(s.durationUs).to.deep.equal({ count: 100, p50: 50, p90: 90, p99: 99, max: 100 });
    expect(s.revisions).to.deep.equal([
      { revision: revA, decisions: 59, first: at(1), last: at(59), instances: ["web-1"] },
      { revision: revB, decisions: 41, first: at(60), last: at(100), instances: ["web-1"] },
    ]);
    expect(s.lifecycleEvents).to.deep.equal({ "rules-loaded": 1, start: 1, stop: 1 });
    expect(s.files).to.deep.equal([{ file: plain, gzip: false, lines: 103 }]);
  });

  it("prints the same summary for people", async () => {
    const { code, out } = await cli("logs", "summary", plain);
    expect(code).to.equal(0);
    expect(out).to.contain(`time:        ${at(0)} to ${at(101)}`);
    expect(out).to.contain(`  ${revA}  ${at(1)} to ${at(59)}  59 decisions  on 1 instance(s): web-1`);
    expect(out).to.contain(`unknown:     ${expected.unknown} decisions (${expected.unknown.toFixed(1)}%) had no known region`);
    expect(out).to.contain("middleware:  p50 50 µs, p90 90 µs, p99 99 µs, max 100 µs");
    expect(out).to.contain("rewrite failures: 1 (rewrite failed: boom 1)");
  });

  it("reads rotated and gzipped files as one log, with the same figures as the plain file", async () => {
    const fromRotated = JSON.parse((await cli("logs", "summary", ...rotated, "--json")).out) as LogSummaryJSON;
    const fromPlain = JSON.parse((await cli("logs", "summary", plain, "--json")).out) as LogSummaryJSON;
    expect(fromRotated.files.filter((f) => f.gzip).length).to.be.at.least(2);
    expect(fromRotated.files.reduce((n, f) => n + f.lines, 0)).to.equal(103);
    expect({ ...fromRotated, files: [] }).to.deep.equal({ ...fromPlain, files: [] });
  });

  it("finds a decision by its id, in a gzipped rotated file too", async () => {
    const id = expected.ids.get(40)!;
    for (const files of [[plain], rotated]) {
      const { code, out } = await cli("logs", "find", ...files, "--decision", id, "--json");
      expect(code).to.equal(0);
      const lines = out.split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);
      expect(lines).to.have.length(1);
      expect(lines[0]).to.include({ decision_id: id, time: at(40), error: "rewrite failed: boom", revision: revA });
    }
    const text = await cli("logs", "find", plain, "--decision", id);
    expect(text.out).to.contain(id).and.to.contain("UA-43 (header)").and.to.contain(`rev ${revA}`).and.to.contain("error: rewrite failed: boom");
  });

  it("finds decisions by rule within a time range, and by region", async () => {
    const byRule = await cli("logs", "find", ...rotated, "--rule", RULE, "--since", at(30), "--until", at(60), "--json");
    expect(byRule.code).to.equal(0);
    const lines = byRule.out.split("\n").map((l) => JSON.parse(l) as { time: string; rules: string[] });
    expect(lines).to.have.length(expected.ruleInWindow);
    for (const l of lines) {
      expect(l.rules).to.include(RULE);
      expect(Date.parse(l.time)).to.be.within(Date.parse(at(30)), Date.parse(at(60)));
    }
    const byRegion = await cli("logs", "find", plain, "--region", "ua-43", "--json");
    expect(byRegion.out.split("\n")).to.have.length(expected.ua43);
  });

  it("says so, with exit status 1, when nothing matches", async () => {
    const none = await cli("logs", "find", plain, "--rule", "no-such-rule");
    expect(none).to.include({ code: 1, out: "" });
    expect(none.err).to.contain("no decision matched");
  });

  it("reports unreadable lines by file and line, and goes on", async () => {
    const bad = join(dir, "bad.jsonl");
    const good = readFileSync(plain, "utf8").split("\n");
    writeFileSync(bad, [good[0], "{not json", good[1], '{"type":"other"}', good[2], ""].join("\n"));
    const s = JSON.parse((await cli("logs", "summary", bad, "--json")).out) as LogSummaryJSON;
    expect(s.malformed).to.deep.equal({ count: 2, examples: [`${bad}:2: not JSON`, `${bad}:4: no "type" of "decision" or "lifecycle"`] });
    expect(s.decisions + s.lifecycle).to.equal(3);
  });

  it("names a file that claims to be gzip but is not", async () => {
    const broken = join(dir, "broken.jsonl.gz");
    writeFileSync(broken, Buffer.concat([gzipSync(readFileSync(plain)).subarray(0, 200)]));
    const r = await cli("logs", "summary", broken);
    expect(r.code).to.equal(1);
    expect(r.err).to.contain(`${broken}: not a readable gzip file`);
  });

  it("explains mistakes in how it was called", async () => {
    expect(await cli("logs", "summary", join(dir, "missing.jsonl"))).to.include({ code: 1, err: `geo-compliance: ${join(dir, "missing.jsonl")}: no such file` });
    const both = await cli("logs", "find", plain, "--rule", RULE, "--decision", "x");
    expect(both.code).to.equal(2);
    expect(both.err).to.contain("exactly one of --decision ID, --rule ID or --region CC[-SUB]");
    const since = await cli("logs", "find", plain, "--rule", RULE, "--since", "yesterday");
    expect(since.code).to.equal(2);
    expect(since.err).to.contain("--since yesterday: not an ISO 8601 time");
    expect((await cli("logs", "summary")).err).to.contain("name at least one log file");
    expect((await cli("logs", "tail", plain)).err).to.contain('unknown logs subcommand "tail"');
  });

  it("streams a large log in bounded memory: 40 MB under a 24 MB heap limit", function () {
    this.timeout(60000);
    const big = join(dir, "big.jsonl");
    const block = readFileSync(plain, "utf8").repeat(100); // 10,300 lines
    const fd = openSync(big, "w");
    let bytes = 0;
    let copies = 0;
    while (bytes < 40 * 1024 * 1024) {
      bytes += writeSync(fd, block);
      copies++;
    }
    closeSync(fd);
    const run = spawnSync(process.execPath, ["--max-old-space-size=24", join(packageRoot(), "dist/src/cli/main.js"), "logs", "summary", big, "--json"], { encoding: "utf8", maxBuffer: 16 * 1024 * 1024 });
    expect(run.status, run.stderr).to.equal(0);
    const s = JSON.parse(run.stdout) as LogSummaryJSON;
    expect(s.decisions).to.equal(copies * 100 * 100);
    expect(s.durationUs?.p99).to.equal(99);
    rmSync(big);
  });
});
