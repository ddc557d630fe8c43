import { expect } from "chai";
import fc from "fast-check";
import { decide } from "../src/rules/decide.js";
import { ruleVerdict, traceDecision, type TraceEntry } from "../src/rules/trace.js";
import { facts, file, NOW, region, rule, ruleSetFrom } from "./support/rule-sets.js";

const set = ruleSetFrom({
  "groups.yaml": "groups:\n  NEAR-ABROAD: [BY, KZ, UA-43]\n",
  "r.yaml": file(
    rule("dated", "    regions: { countries: [RU] }\n    effective: { from: '2026-03-01T00:00:00+03:00', until: '2026-09-01T00:00:00+03:00' }\n    actions: { gpc: true }\n"),
    rule("news-only", "    regions: { countries: [RU] }\n    paths: { include: ['/news/**'], exclude: ['/news/sport/**'] }\n    actions: { gpc: true }\n"),
    rule("gpc-only", "    regions: { countries: [RU, US] }\n    when: { gpc: true }\n    actions: { gpc: true }\n"),
    rule("no-gpc", "    regions: { countries: [RU] }\n    when: { gpc: false }\n    actions: { gpc: true }\n"),
    rule("crimea-skip", "    regions: { subdivisions: [UA-43] }\n    actions: { gpc: true }\n"),
    rule("crimea-apply", "    regions: { subdivisions: [UA-43] }\n    unknownRegion: apply\n    actions: { gpc: true }\n"),
    rule("near-abroad", "    regions: { groups: [NEAR-ABROAD], exclude: [KZ] }\n    priority: 3\n    actions:\n      headers: { X-Policy: near }\n"),
    rule("everywhere", "    regions: { groups: [ALL] }\n    actions:\n      headers: { X-Policy: all }\n"),
    rule("blocker", "    regions: { countries: [BY] }\n    paths: { include: ['/banned/**'] }\n    actions:\n      block: { blockedBy: 'https://example.org/order' }\n"),
  ),
});

const entry = (entries: readonly TraceEntry[], id: string): TraceEntry => entries.find((e) => e.rule === id)!;
const codes = (entries: readonly TraceEntry[], id: string): string[] => entry(entries, id).reasons.map((r) => r.code);

describe("traceDecision: why each rule did or did not match", () => {
  it("lists every rule, in decision order, with where it was written", () => {
    const { rules, decision } = traceDecision(region("RU"), facts({ path: "/news/a" }), set, NOW);
    expect(rules.map((r) => r.rule)).to.deep.equal(set.rules.map((r) => r.id));
    expect(rules.filter((r) => r.matched).map((r) => r.rule)).to.deep.equal(decision.matched);
    expect(entry(rules, "news-only").source).to.deep.equal({ file: "r.yaml", line: 8, col: 5 });
  });

  it("outside its dates, before and after", () => {
    expect(codes(traceDecision(region("RU"), facts(), set, new Date("2026-02-28T20:59:59Z")).rules, "dated")).to.deep.equal(["not-yet-in-effect"]);
    expect(entry(traceDecision(region("RU"), facts(), set, new Date("2026-02-28T20:59:59Z")).rules, "dated").reasons[0]?.message).to.equal("outside its dates: it takes effect at 2026-03-01T00:00:00+03:00");
    expect(codes(traceDecision(region("RU"), facts(), set, new Date("2026-08-31T21:00:00Z")).rules, "dated")).to.deep.equal(["no-longer-in-effect"]);
    expect(entry(traceDecision(region("RU"), facts(), set, new Date("2026-04-01T00:00:00Z")).rules, "dated").matched).to.equal(true);
  });

  it("path not included, path excluded (naming the pattern)", () => {
    expect(codes(traceDecision(region("RU"), facts({ path: "/about" }), set, NOW).rules, "news-only")).to.deep.equal(["path-not-included"]);
    const excluded = entry(traceDecision(region("RU"), facts({ path: "/news/sport/cup" }), set, NOW).rules, "news-only");
    expect(excluded.reasons).to.deep.equal([{ code: "path-excluded", message: "path /news/sport/cup is excluded by /news/sport/**" }]);
  });

  it("GPC absent, GPC present", () => {
    const without = traceDecision(region("RU"), facts({ gpc: false }), set, NOW).rules;
    expect(entry(without, "gpc-only").reasons).to.deep.equal([{ code: "gpc-absent", message: "GPC absent: the rule is for readers who send Sec-GPC: 1" }]);
    expect(entry(without, "no-gpc").matched).to.equal(true);
    expect(codes(traceDecision(region("RU"), facts({ gpc: true }), set, NOW).rules, "no-gpc")).to.deep.equal(["gpc-present"]);
  });

  it("region not listed, region excluded, and how a listed region matched", () => {
    const kz = traceDecision(region("KZ"), facts(), set, NOW).rules;
    expect(entry(kz, "near-abroad").reasons).to.deep.equal([{ code: "region-excluded", message: "KZ is excluded by the rule" }]);
    expect(entry(kz, "dated").reasons).to.deep.equal([{ code: "region-not-listed", message: "the rule is not for KZ" }]);
    expect(entry(kz, "everywhere")).to.include({ matched: true, because: "KZ is in group ALL" });
    expect(entry(traceDecision(region("UA-43"), facts(), set, NOW).rules, "near-abroad").because).to.equal("UA-43 is in group NEAR-ABROAD");
    expect(entry(traceDecision(region("RU"), facts(), set, NOW).rules, "dated").because).to.equal("country RU is listed");
    expect(entry(traceDecision(region("UA-43"), facts(), set, NOW).rules, "crimea-skip").because).to.equal("subdivision UA-43 is listed");
  });

  it("unknown region skipped: country unknown, or subdivision unknown for a rule naming only subdivisions", () => {
    const unknown = traceDecision(region(null), facts(), set, NOW).rules;
    expect(codes(unknown, "crimea-skip")).to.deep.equal(["unknown-region-skipped"]);
    expect(entry(unknown, "crimea-apply")).to.include({ matched: true, because: "the reader's region is unknown and the rule says unknownRegion: apply" });
    const ua = traceDecision(region("UA"), facts(), set, NOW).rules;
    expect(entry(ua, "crimea-skip").reasons).to.deep.equal([
      { code: "unknown-region-skipped", message: "the reader's subdivision in UA is unknown; the rule names only parts of UA (UA-43) and says unknownRegion: skip" },
    ]);
    expect(entry(ua, "crimea-apply").matched).to.equal(true);
  });

  it("every failing condition, not just the first", () => {
    const t = traceDecision(region("DE"), facts({ path: "/about" }), set, new Date("2027-01-01T00:00:00Z")).rules;
    expect(codes(t, "dated")).to.deep.equal(["region-not-listed", "no-longer-in-effect"]);
    expect(codes(t, "news-only")).to.deep.equal(["region-not-listed", "path-not-included"]);
  });

  it("says what of a matched rule gave way, and to which rule", () => {
    const by = traceDecision(region("BY"), facts(), set, NOW).rules;
    expect(entry(by, "everywhere").setAside).to.deep.equal(["header X-Policy gives way to near-abroad, which comes first"]);
    expect(entry(by, "near-abroad").setAside).to.deep.equal([]);
    const banned = traceDecision(region("BY"), facts({ path: "/banned/x" }), set, NOW).rules;
    expect(entry(banned, "near-abroad").setAside).to.deep.equal(["a block from blocker applies, so nothing of this rule does"]);
  });

  it("agrees with decide for any reader, path, time and GPC, and never leaves a non-match unexplained", () => {
    const regions = [null, "RU", "US", "BY", "KZ", "UA", "UA-43", "UA-30", "DE", "DE-BY", "BY-HM"];
    const paths = ["/", "/news/a", "/news/sport/x", "/NEWS/b", "/banned/x", "/about"];
    fc.assert(
      fc.property(fc.constantFrom(...regions), fc.constantFrom(...paths), fc.boolean(), fc.date({ min: new Date("2025-01-01T00:00:00Z"), max: new Date("2028-01-01T00:00:00Z"), noInvalidDate: true }), (code, path, gpc, now) => {
        const f = facts({ path, gpc });
        const decision = decide(region(code), f, set, now);
        const trace = traceDecision(region(code), f, set, now);
        expect(trace.decision).to.deep.equal(decision);
        // Checked rule by rule, apart from the index: no reason exactly when decide matched the rule.
        const explained = set.rules.filter((r) => ruleVerdict(r, region(code), f, now).reasons.length === 0).map((r) => r.id);
        expect(explained).to.deep.equal(decision.matched);
        for (const e of trace.rules) expect(e.matched || e.reasons.length > 0, e.rule).to.equal(true);
      }),
      { numRuns: 300, seed: 4 },
    );
  });
});
