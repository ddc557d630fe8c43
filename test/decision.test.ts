import { expect } from "chai";
import { ACTION_ORDER } from "../src/rules/actions.js";
import { compileRuleSet } from "../src/rules/compile.js";
import { decide, type RequestFacts } from "../src/rules/decide.js";
import { readRules } from "../src/rules/load.js";
import { shippedRulesDir } from "../src/package-root.js";
import { facts, file, NOW, region, rule, ruleSetFrom } from "./support/rule-sets.js";

const shipped = compileRuleSet(readRules(shippedRulesDir()), NOW);
const article: RequestFacts = { method: "GET", path: "/articles/x", gpc: false };

describe("decide with the shipped rules (pure, no HTTP)", () => {
  it("gives readers in Russia the warning in the rule's default language, a no-referrer header and trackers off", () => {
    const d = decide(region("RU"), article, shipped, NOW);
    expect(d.matched).to.deep.equal(["ru-undesirable-organization"]);
    expect(d.actions).to.deep.equal([
      { kind: "header", rule: "ru-undesirable-organization", name: "Referrer-Policy", value: "no-referrer" },
      { kind: "trackers", rule: "ru-undesirable-organization", mode: "third-party", allow: [] },
      { kind: "notice", rule: "ru-undesirable-organization", language: "ru", placement: { at: "body-start" }, dismissible: false },
    ]);
    expect(d.rewritesBody).to.equal(true);
    expect(d.log).to.equal("minimal");
    expect(d.revision).to.equal(shipped.revision).and.match(/^[0-9a-f]{16}$/);
  });

  for (const sub of ["UA-43", "UA-40", "UA-14", "UA-09", "UA-23", "UA-65"]) {
    it(`gives readers in ${sub} the warning by subdivision`, () => {
      const d = decide(region(sub), article, shipped, NOW);
      expect(d.matched).to.deep.equal(["ru-undesirable-organization"]);
      expect(d.actions.map((a) => a.kind)).to.deep.equal(["header", "trackers", "notice"]);
    });
  }

  it("leaves the rest of Ukraine alone, also when the oblast is unknown", () => {
    expect(decide(region("UA-30"), article, shipped, NOW).matched).to.deep.equal([]);
    expect(decide(region("UA"), article, shipped, NOW).matched).to.deep.equal([]);
  });

  it("gives readers in the EEA consent defaults and list-mode trackers", () => {
    const d = decide(region("DE-BE"), article, shipped, NOW);
    expect(d.matched).to.deep.equal(["eu-consent-defaults"]);
    expect(d.actions.map((a) => a.kind)).to.deep.equal(["consent", "trackers"]);
    const consent = d.actions[0];
    expect(consent?.kind === "consent" && consent.defaults).to.deep.equal({
      ad_storage: "denied",
      ad_user_data: "denied",
      ad_personalization: "denied",
      analytics_storage: "denied",
      functionality_storage: "denied",
      personalization_storage: "denied",
      security_storage: "granted",
    });
    expect(d.log).to.equal("full");
  });

  it("honours GPC for readers in California only when they send it", () => {
    expect(decide(region("US-CA"), { ...article, gpc: true }, shipped, NOW).actions).to.deep.equal([
      { kind: "gpc", rule: "us-ca-gpc" },
      { kind: "trackers", rule: "us-ca-gpc", mode: "list", allow: [] },
    ]);
    expect(decide(region("US-CA"), article, shipped, NOW).matched).to.deep.equal([]);
    expect(decide(region("US-TX"), { ...article, gpc: true }, shipped, NOW).matched).to.deep.equal([]);
  });

  it("applies no rule to an unknown region that sends no GPC", () => {
    const d = decide({ country: null, subdivision: null, source: "none", reason: "loopback address" }, article, shipped, NOW);
    expect(d.matched).to.deep.equal([]);
    expect(d.actions).to.deep.equal([]);
    expect(d.rewritesBody).to.equal(false);
    expect(d.region.reason).to.equal("loopback address");
  });

  it("negotiates the notice language from Accept-Language, with the rule's default as fallback", () => {
    const lang = (h: string): string | undefined => {
      const action = decide(region("RU"), { ...article, acceptLanguage: h }, shipped, NOW).actions.find((a) => a.kind === "notice");
      return action?.kind === "notice" ? action.language : undefined;
    };
    expect(lang("en-GB,en;q=0.9")).to.equal("en");
    expect(lang("uk,ru;q=0.8")).to.equal("uk");
    expect(lang("de-DE")).to.equal("ru");
    expect(lang("de-DE")).to.equal("ru"); // the second time from the negotiation cache
  });

  it("is a pure function: same inputs, same decision, and the rule set is not changed", () => {
    const before = JSON.stringify(shipped.rules.map((r) => r.id));
    expect(decide(region("RU"), article, shipped, NOW)).to.deep.equal(decide(region("RU"), article, shipped, NOW));
    expect(Object.isFrozen(shipped)).to.equal(true);
    expect(Object.isFrozen(shipped.rules[0])).to.equal(true);
    expect(JSON.stringify(shipped.rules.map((r) => r.id))).to.equal(before);
  });
});

/** A rule set exercising every action kind and condition. */
const NOTICE = (text: string, extra = ""): string => `      notice:\n${extra}        defaultLanguage: en\n        languages:\n          en: { title: T, text: ${text} }\n          fr: { title: T, text: ${text} fr }\n`;

describe("decide: the rule language, field by field", () => {
  it("regions: countries, subdivisions, groups (built-in and defined) and exclude", () => {
    const set = ruleSetFrom({
      "groups.yaml": "groups:\n  BALTICS: [EE, LV, LT]\n  CANARIES: [ES-CN]\n",
      "r.yaml": file(
        rule("baltics", `    regions: { groups: [BALTICS] }\n    actions: { gpc: true }\n`),
        rule("eu-but-not-canaries", `    regions: { groups: [EU], exclude: [CANARIES, NL] }\n    actions: { gpc: true }\n`),
        rule("paris-region", `    regions: { subdivisions: [FR-IDF] }\n    actions: { gpc: true }\n`),
      ),
    });
    const ids = (code: string | null): readonly string[] => decide(region(code), facts(), set, NOW).matched;
    expect(ids("LV")).to.deep.equal(["baltics", "eu-but-not-canaries"]);
    expect(ids("ES")).to.deep.equal(["eu-but-not-canaries"]);
    expect(ids("ES-MD")).to.deep.equal(["eu-but-not-canaries"]);
    expect(ids("ES-CN"), "excluded through a group").to.deep.equal([]);
    expect(ids("ES-TF"), "inside an excluded subdivision").to.deep.equal([]);
    expect(ids("NL")).to.deep.equal([]);
    expect(ids("NL-NH")).to.deep.equal([]);
    expect(ids("GF"), "an outermost region with its own ISO code").to.deep.equal(["eu-but-not-canaries"]);
    expect(ids("FR-IDF")).to.deep.equal(["eu-but-not-canaries", "paris-region"]);
    expect(ids("FR-75C"), "a department inside a listed region").to.deep.equal(["eu-but-not-canaries", "paris-region"]);
    expect(ids("FR-ARA")).to.deep.equal(["eu-but-not-canaries"]);
    expect(ids("CH")).to.deep.equal([]);
  });

  it("unknownRegion: apply covers readers whose country, or whose subdivision, is unknown; skip does not", () => {
    const set = ruleSetFrom({
      "r.yaml": file(
        rule("crimea-apply", `    regions: { subdivisions: [UA-43] }\n    unknownRegion: apply\n    actions: { gpc: true }\n`),
        rule("crimea-skip", `    regions: { subdivisions: [UA-43] }\n    actions: { gpc: true }\n`),
        rule("spain-except-canaries", `    regions: { countries: [ES], exclude: [ES-CN] }\n    actions: { gpc: true }\n`),
      ),
    });
    const ids = (code: string | null): readonly string[] => decide(region(code), facts(), set, NOW).matched;
    expect(ids(null)).to.deep.equal(["crimea-apply"]);
    expect(ids("UA")).to.deep.equal(["crimea-apply"]);
    expect(ids("UA-43")).to.deep.equal(["crimea-apply", "crimea-skip"]);
    expect(ids("UA-30")).to.deep.equal([]);
    expect(ids("RU")).to.deep.equal([]);
    // A rule for a whole country applies when the subdivision is unknown, even if it excludes some.
    expect(ids("ES")).to.deep.equal(["spain-except-canaries"]);
    expect(ids("ES-CN")).to.deep.equal([]);
  });

  it("paths: include and exclude globs, matched without case and after percent-decoding", () => {
    const set = ruleSetFrom({
      "r.yaml": file(rule("news", `    regions: { countries: [RU] }\n    paths:\n      include: ["/news/**", /about]\n      exclude: ["/news/live/**"]\n    actions: { gpc: true }\n`), rule("cyrillic", `    regions: { countries: [RU] }\n    paths: { include: ["/новости/**"] }\n    actions: { gpc: true }\n`)),
    });
    const ids = (path: string): readonly string[] => decide(region("RU"), facts({ path }), set, NOW).matched;
    expect(ids("/news/a")).to.deep.equal(["news"]);
    expect(ids("/news")).to.deep.equal(["news"]);
    expect(ids("/NEWS/A"), "Express routes ignore case, so must rules").to.deep.equal(["news"]);
    expect(ids("/about")).to.deep.equal(["news"]);
    expect(ids("/about/team")).to.deep.equal([]);
    expect(ids("/news/live/today")).to.deep.equal([]);
    expect(ids("/newsletter")).to.deep.equal([]);
    expect(ids("/%D0%BD%D0%BE%D0%B2%D0%BE%D1%81%D1%82%D0%B8/x")).to.deep.equal(["cyrillic"]);
    expect(ids("/%E0%A4%A")).to.deep.equal([]); // malformed percent-encoding is matched as written
  });

  it("when: gpc true applies only with Sec-GPC: 1, gpc false only without it", () => {
    const set = ruleSetFrom({
      "r.yaml": file(rule("with", `    regions: { countries: [US] }\n    when: { gpc: true }\n    actions: { gpc: true }\n`), rule("without", `    regions: { countries: [US] }\n    when: { gpc: false }\n${"    actions:\n" + NOTICE("Hi")}`)),
    });
    expect(decide(region("US"), facts({ gpc: true }), set, NOW).matched).to.deep.equal(["with"]);
    expect(decide(region("US"), facts({ gpc: false }), set, NOW).matched).to.deep.equal(["without"]);
  });

  it("actions: every kind, as the response stage receives them", () => {
    const set = ruleSetFrom({
      "r.yaml": file(
        rule(
          "everything",
          `    regions: { countries: [RU] }
    log: minimal
    actions:
      notice:
        placement: selector
        selector: "#story"
        insert: replace
        dismissible: true
        defaultLanguage: en
        languages:
          en: { title: T, html: '<p>Read <a href="https://example.org/safety">this</a>.</p>' }
      trackers: { mode: third-party, allow: [Example-CDN.com] }
      consent: { analytics_storage: granted }
      headers: { Referrer-Policy: no-referrer, Permissions-Policy: "browsing-topics=()" }
      cookies: { drop: ["_ga*", _fbp] }
      gpc: true
`,
        ),
        rule("blocker", `    regions: { countries: [BY] }\n    actions:\n      block:\n        blockedBy: https://example.org/order-17\n        defaultLanguage: en\n        languages:\n          en: { title: Unavailable, text: Not here. }\n          ru: { title: Недоступно, text: Не здесь. }\n`),
        rule("redirector", `    regions: { countries: [KZ] }\n    paths: { exclude: [/kz/**] }\n    actions:\n      redirect: { location: /kz/home, status: 307 }\n`),
        rule("redirect-default", `    regions: { countries: [KG] }\n    actions:\n      redirect: { location: "https://example.org/kg" }\n`),
        rule("bottom", `    regions: { countries: [TJ] }\n    actions:\n      notice:\n        placement: body-end\n        defaultLanguage: tg\n        languages:\n          tg: { title: T, text: Matn }\n`),
        rule("plain-block", `    regions: { countries: [TM] }\n    actions:\n      block: { blockedBy: https://example.org/order-18 }\n`),
      ),
    });
    expect(decide(region("RU"), facts(), set, NOW)).to.deep.include({
      matched: ["everything"],
      log: "minimal",
      rewritesBody: true,
      actions: [
        { kind: "header", rule: "everything", name: "Referrer-Policy", value: "no-referrer" },
        { kind: "header", rule: "everything", name: "Permissions-Policy", value: "browsing-topics=()" },
        { kind: "cookies", rule: "everything", drop: ["_ga*", "_fbp"] },
        { kind: "gpc", rule: "everything" },
        {
          kind: "consent",
          rule: "everything",
          defaults: { ad_storage: "denied", ad_user_data: "denied", ad_personalization: "denied", analytics_storage: "granted", functionality_storage: "denied", personalization_storage: "denied", security_storage: "denied" },
        },
        { kind: "trackers", rule: "everything", mode: "third-party", allow: ["example-cdn.com"] },
        { kind: "notice", rule: "everything", language: "en", placement: { at: "selector", selector: "#story", mode: "replace" }, dismissible: true },
      ],
    });
    const notice = set.rules.find((r) => r.id === "everything")?.notice?.texts.en;
    expect(notice?.html).to.equal('<p>Read <a href="https://example.org/safety">this</a>.</p>');
    expect(notice?.text).to.equal("Read this.");
    expect(decide(region("BY"), facts({ acceptLanguage: "ru" }), set, NOW).actions).to.deep.equal([{ kind: "block", rule: "blocker", status: 451, blockedBy: "https://example.org/order-17", language: "ru" }]);
    expect(decide(region("BY"), facts({ acceptLanguage: "de" }), set, NOW).actions).to.deep.equal([{ kind: "block", rule: "blocker", status: 451, blockedBy: "https://example.org/order-17", language: "en" }]);
    expect(decide(region("KZ"), facts({ path: "/news" }), set, NOW).actions).to.deep.equal([{ kind: "redirect", rule: "redirector", status: 307, location: "/kz/home" }]);
    expect(decide(region("KZ"), facts({ path: "/kz/home" }), set, NOW).matched).to.deep.equal([]);
    expect(decide(region("KG"), facts(), set, NOW).actions).to.deep.equal([{ kind: "redirect", rule: "redirect-default", status: 302, location: "https://example.org/kg" }]);
    expect(decide(region("TJ"), facts({ acceptLanguage: "ru" }), set, NOW).actions).to.deep.equal([{ kind: "notice", rule: "bottom", language: "tg", placement: { at: "body-end" }, dismissible: false }]);
    // A block page with no texts of its own is in English.
    expect(decide(region("TM"), facts({ acceptLanguage: "ru" }), set, NOW).actions).to.deep.equal([{ kind: "block", rule: "plain-block", status: 451, blockedBy: "https://example.org/order-18", language: "en" }]);
  });
});

describe("decide: conflict order", () => {
  const set = ruleSetFrom({
    "r.yaml": file(
      rule("a-notice", `    regions: { countries: [RU] }\n    priority: 5\n    actions:\n${NOTICE("A")}      headers: { Referrer-Policy: same-origin, X-A: a }\n      trackers: { mode: list, allow: [a.com, shared.com] }\n      consent: { ad_storage: granted, analytics_storage: granted }\n`),
      rule("b-notice", `    regions: { countries: [RU] }\n    priority: 10\n    actions:\n${NOTICE("B")}      headers: { referrer-policy: no-referrer }\n      consent: { ad_storage: denied, analytics_storage: granted }\n      gpc: true\n`),
      rule("c-notice", `    regions: { countries: [RU] }\n    priority: 5\n    actions:\n${NOTICE("C")}      trackers: { mode: list, allow: [shared.com, c.com] }\n      cookies: { drop: [_c] }\n      gpc: true\n`),
      rule("d-third-party", `    regions: { countries: [RU] }\n    paths: { include: [/dangerous/**] }\n    actions:\n      trackers: { mode: third-party, allow: [d.com] }\n      cookies: { drop: [_d] }\n`),
      rule("e-redirect", `    regions: { countries: [RU] }\n    priority: 1000\n    paths: { include: [/moved/**] }\n    actions:\n      redirect: { location: "https://example.org/new" }\n`),
      rule("f-redirect", `    regions: { countries: [RU] }\n    paths: { include: [/moved/**, /blocked/**] }\n    actions:\n      redirect: { location: "https://example.org/other" }\n`),
      rule("g-block", `    regions: { countries: [RU] }\n    priority: -5\n    paths: { include: [/blocked/**] }\n    actions:\n      block: { blockedBy: "https://example.org/order" }\n`),
      rule("h-block", `    regions: { countries: [RU] }\n    priority: -5\n    paths: { include: [/blocked/**] }\n    actions:\n      block: { blockedBy: "https://example.org/other-order" }\n`),
    ),
  });

  it("orders rules by priority (highest first) then id, and actions by kind", () => {
    const d = decide(region("RU"), facts({ path: "/dangerous/x" }), set, NOW);
    expect(d.matched).to.deep.equal(["b-notice", "a-notice", "c-notice", "d-third-party"]);
    const kinds = d.actions.map((a) => a.kind);
    expect(kinds).to.deep.equal(["header", "header", "cookies", "cookies", "gpc", "consent", "trackers", "notice", "notice", "notice"]);
    expect([...kinds].sort((x, y) => ACTION_ORDER.indexOf(x) - ACTION_ORDER.indexOf(y))).to.deep.equal(kinds);
  });

  it("notices come by priority then id", () => {
    const d = decide(region("RU"), facts(), set, NOW);
    expect(d.actions.filter((a) => a.kind === "notice").map((a) => a.rule)).to.deep.equal(["b-notice", "a-notice", "c-notice"]);
  });

  it("a header goes to the rule with the higher priority, whatever the case of its name", () => {
    const headers = decide(region("RU"), facts(), set, NOW).actions.filter((a) => a.kind === "header");
    expect(headers).to.deep.equal([
      { kind: "header", rule: "b-notice", name: "referrer-policy", value: "no-referrer" },
      { kind: "header", rule: "a-notice", name: "X-A", value: "a" },
    ]);
  });

  it("consent: type by type the strictest; GPC once, from the first rule asking", () => {
    const d = decide(region("RU"), facts(), set, NOW);
    const consent = d.actions.find((a) => a.kind === "consent");
    expect(consent?.kind === "consent" && consent.rule).to.equal("b-notice");
    expect(consent?.kind === "consent" && consent.defaults.ad_storage).to.equal("denied");
    expect(consent?.kind === "consent" && consent.defaults.analytics_storage).to.equal("granted");
    expect(d.actions.filter((a) => a.kind === "gpc")).to.deep.equal([{ kind: "gpc", rule: "b-notice" }]);
  });

  it("trackers: third-party over list; within a mode, only hosts every rule allows", () => {
    const listOnly = decide(region("RU"), facts(), set, NOW).actions.find((a) => a.kind === "trackers");
    expect(listOnly).to.deep.equal({ kind: "trackers", rule: "a-notice", mode: "list", allow: ["shared.com"] });
    const strict = decide(region("RU"), facts({ path: "/dangerous/page" }), set, NOW).actions.find((a) => a.kind === "trackers");
    expect(strict).to.deep.equal({ kind: "trackers", rule: "d-third-party", mode: "third-party", allow: ["d.com"] });
  });

  it("a redirect stands alone, the first by priority", () => {
    const d = decide(region("RU"), facts({ path: "/moved/x" }), set, NOW);
    expect(d.matched).to.deep.equal(["e-redirect", "b-notice", "a-notice", "c-notice", "f-redirect"]);
    expect(d.actions).to.deep.equal([{ kind: "redirect", rule: "e-redirect", status: 302, location: "https://example.org/new" }]);
    expect(d.rewritesBody).to.equal(false);
  });

  it("a block comes before a redirect whatever the priorities, and the first block by id wins a tie", () => {
    const d = decide(region("RU"), facts({ path: "/blocked/x" }), set, NOW);
    expect(d.matched.at(-2)).to.equal("g-block");
    expect(d.actions).to.deep.equal([{ kind: "block", rule: "g-block", status: 451, blockedBy: "https://example.org/order", language: "en" }]);
  });
});

describe("decide: effective dates at their edges", () => {
  const set = ruleSetFrom({
    "r.yaml": file(
      rule("moscow", `    regions: { countries: [RU] }\n    effective: { from: "2026-03-01T00:00:00+03:00", until: "2026-04-01T00:00:00+03:00" }\n    actions: { gpc: true }\n`),
      rule("california", `    regions: { countries: [RU] }\n    effective: { from: "2026-02-28T16:00:00.5-08:00" }\n    actions: { gpc: true }\n`),
      rule("utc-until", `    regions: { countries: [RU] }\n    effective: { until: "2026-03-01T00:00Z" }\n    actions: { gpc: true }\n`),
      rule("kathmandu", `    regions: { countries: [RU] }\n    effective: { from: "2026-03-01T05:45:00+05:45" }\n    actions: { gpc: true }\n`),
    ),
  });
  const at = (iso: string): readonly string[] => decide(region("RU"), facts(), set, new Date(iso)).matched;

  it("from is included, to the millisecond, whatever the offset", () => {
    // Midnight in Moscow is 21:00 UTC the day before.
    expect(at("2026-02-28T20:59:59.999Z")).to.deep.equal(["utc-until"]);
    expect(at("2026-02-28T21:00:00.000Z")).to.deep.equal(["moscow", "utc-until"]);
  });

  it("until is excluded", () => {
    expect(at("2026-02-28T23:59:59.999Z")).to.deep.equal(["moscow", "utc-until"]);
    expect(at("2026-03-01T00:00:00.000Z")).to.deep.equal(["kathmandu", "moscow"]);
    expect(at("2026-03-31T20:59:59.999Z")).to.deep.equal(["california", "kathmandu", "moscow"]);
    expect(at("2026-03-31T21:00:00.000Z")).to.deep.equal(["california", "kathmandu"]);
  });

  it("negative offsets and fractions of a second count too", () => {
    // 16:00:00.5 in California (UTC-8) is 00:00:00.500 UTC the next day.
    expect(at("2026-03-01T00:00:00.499Z")).to.not.include("california");
    expect(at("2026-03-01T00:00:00.500Z")).to.include("california");
  });

  it("odd offsets: +05:45 in Nepal", () => {
    expect(at("2026-02-28T23:59:59.999Z")).to.not.include("kathmandu");
    expect(at("2026-03-01T00:00:00.000Z")).to.include("kathmandu");
  });
});

describe("the decision index", () => {
  it("looks only at the rules for the reader's region", () => {
    const many = Array.from({ length: 300 }, (_, i) => rule(`r${i}`, `    regions: { countries: [${i % 2 ? "DE" : "FR"}] }\n    actions: { gpc: true }\n`));
    const set = ruleSetFrom({ "r.yaml": file(...many, rule("ru", `    regions: { countries: [RU] }\n    actions: { gpc: true }\n`)) });
    expect(set.byCountry.get("RU")?.map((r) => r.id)).to.deep.equal(["ru"]);
    expect(set.byCountry.get("DE")).to.have.length(150);
    expect(decide(region("RU"), facts(), set, NOW).matched).to.deep.equal(["ru"]);
  });

  it("gives each subdivision one list holding its country's rules too, in decision order", () => {
    const set = ruleSetFrom({ "r.yaml": file(rule("z-country", `    regions: { countries: [UA] }\n    priority: 1\n    actions: { gpc: true }\n`), rule("a-sub", `    regions: { subdivisions: [UA-43] }\n    actions: { gpc: true }\n`)) });
    expect(set.bySubdivision.get("UA-43")?.map((r) => r.id)).to.deep.equal(["z-country", "a-sub"]);
  });
});
