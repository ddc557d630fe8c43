import { expect } from "chai";
import { join } from "node:path";
import { compileRules } from "../src/rules/compile.js";
import { decide, type RequestFacts } from "../src/rules/decide.js";
import { loadRules } from "../src/rules/load.js";
import { shippedRulesDir } from "../src/package-root.js";
import type { Region } from "../src/region/types.js";

const NOW = new Date("2026-06-01T12:00:00Z");
const files = [join(shippedRulesDir(), "ru-undesirable-organization.yaml")];
const ruleset = compileRules(loadRules(files), files, NOW);
const facts: RequestFacts = { method: "GET", path: "/articles/x", gpc: false };
const region = (country: string | null, subdivision: string | null = null): Region => ({ country, subdivision, source: country ? "geoip" : "none" });

describe("decide (pure, no HTTP)", () => {
  it("gives readers in Russia the warning, in the rule's default language", () => {
    const d = decide(region("RU"), facts, ruleset, NOW);
    expect(d.matched).to.deep.equal(["ru-undesirable-organization"]);
    expect(d.actions).to.deep.equal([{ kind: "notice", rule: "ru-undesirable-organization", language: "ru", placement: { at: "body-start" }, dismissible: false }]);
    expect(d.rewritesBody).to.equal(true);
    expect(d.log).to.equal("minimal");
    expect(d.revision).to.equal(ruleset.revision).and.match(/^[0-9a-f]{16}$/);
  });

  it("gives readers in occupied Crimea (UA-43) the warning by subdivision", () => {
    const d = decide(region("UA", "UA-43"), facts, ruleset, NOW);
    expect(d.matched).to.deep.equal(["ru-undesirable-organization"]);
    expect(d.actions[0]?.kind).to.equal("notice");
  });

  it("leaves the rest of Ukraine alone", () => {
    expect(decide(region("UA", "UA-30"), facts, ruleset, NOW).matched).to.deep.equal([]);
    expect(decide(region("UA"), facts, ruleset, NOW).matched).to.deep.equal([]);
  });

  it("leaves readers in Germany alone", () => {
    const d = decide(region("DE", "DE-BE"), facts, ruleset, NOW);
    expect(d.matched).to.deep.equal([]);
    expect(d.actions).to.deep.equal([]);
    expect(d.rewritesBody).to.equal(false);
    expect(d.log).to.equal("full");
  });

  it("applies no rule to an unknown region", () => {
    const d = decide({ country: null, subdivision: null, source: "none", reason: "loopback address" }, facts, ruleset, NOW);
    expect(d.matched).to.deep.equal([]);
    expect(d.region.reason).to.equal("loopback address");
  });

  it("negotiates the notice language from Accept-Language", () => {
    const lang = (h: string) => {
      const action = decide(region("RU"), { ...facts, acceptLanguage: h }, ruleset, NOW).actions[0];
      return action?.kind === "notice" ? action.language : undefined;
    };
    expect(lang("en-GB,en;q=0.9")).to.equal("en");
    expect(lang("uk,ru;q=0.8")).to.equal("uk");
    expect(lang("de-DE")).to.equal("ru");
  });

  it("is a pure function: same inputs, same decision", () => {
    expect(decide(region("RU"), facts, ruleset, NOW)).to.deep.equal(decide(region("RU"), facts, ruleset, NOW));
  });
});
