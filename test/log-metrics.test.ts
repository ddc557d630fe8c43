import { expect } from "chai";
import express from "express";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { register as globalRegistry } from "prom-client";
import { geoCompliance } from "../src/index.js";
import { get } from "./support/log.js";
import { ARTICLE } from "./support/pages.js";
import { parseExposition, value } from "./support/prometheus.js";
import { listen, MemoryLog } from "./support/server.js";
import { RUSSIA_RULE_FILE } from "./support/rules.js";

const RU = "77.88.8.8";
const DE = "85.214.132.117";
const RULE = "ru-undesirable-organization";

describe("metrics", () => {
  it("reads a strictly valid exposition, and the reader refuses a broken one", () => {
    expect(() => parseExposition("# TYPE a counter\na 1\n")).not.to.throw();
    expect(() => parseExposition("a 1\n")).to.throw(/before its TYPE/);
    expect(() => parseExposition("# TYPE a counter\na{x=1} 1\n")).to.throw(/not a sample/);
    expect(() => parseExposition("# TYPE a counter\na one\n")).to.throw(/not a sample value/);
    expect(() => parseExposition('# TYPE h histogram\nh_bucket{le="1"} 2\nh_bucket{le="+Inf"} 1\nh_sum 1\nh_count 1\n')).to.throw(/not cumulative/);
  });

  it("counts decisions by rule, action, region source and outcome, times the middleware, and shows the revision; each instance its own", async () => {
    const dir = mkdtempSync(join(tmpdir(), "gc-metrics-"));
    writeFileSync(join(dir, "de.yaml"), `rules:\n  - id: de-test\n    title: DE test\n    regions: { countries: [DE] }\n    actions:\n      notice:\n        defaultLanguage: de\n        languages:\n          de: { title: DE, text: Hallo }\n`);
    const a = geoCompliance({ rules: RUSSIA_RULE_FILE, trustProxy: "loopback", decisionLog: { destination: new MemoryLog() } });
    const b = geoCompliance({ rules: dir, trustProxy: "loopback", decisionLog: false });
    const appA = express().get("/metrics", a.metricsHandler).use(a).get("/", (_q, r) => void r.type("html").send(ARTICLE)).get("/data", (_q, r) => void r.json({ ok: true }));
    const appB = express().use(b).get("/metrics", b.metricsHandler).get("/", (_q, r) => void r.type("html").send(ARTICLE));
    const [sa, sb] = await Promise.all([listen(appA), listen(appB)]);
    try {
      for (let i = 0; i < 3; i++) await (await get(`${sa.url}/`, RU)).text();
      await (await get(`${sa.url}/data`, RU)).text(); // a rule applies, but JSON is not rewritten
      for (let i = 0; i < 2; i++) await (await get(`${sa.url}/`, DE)).text();
      await (await get(`${sa.url}/`, "127.0.0.1")).text(); // loopback: no region
      for (let i = 0; i < 4; i++) await (await get(`${sb.url}/`, DE)).text();

      const res = await fetch(`${sa.url}/metrics`);
      expect(res.status).to.equal(200);
      expect(res.headers.get("content-type")).to.match(/^text\/plain; version=0\.0\.4/);
      const m = parseExposition(await res.text());
      expect(m.get("geo_compliance_decisions_total")?.type).to.equal("counter");
      expect(value(m, "geo_compliance_decisions_total", { region_source: "geoip", outcome: "rewritten" })).to.equal(3);
      expect(value(m, "geo_compliance_decisions_total", { region_source: "geoip", outcome: "applied" })).to.equal(1);
      expect(value(m, "geo_compliance_decisions_total", { region_source: "geoip", outcome: "untouched" })).to.equal(2);
      expect(value(m, "geo_compliance_decisions_total", { region_source: "none", outcome: "untouched" })).to.equal(1);
      expect(value(m, "geo_compliance_rule_decisions_total", { rule: RULE })).to.equal(4);
      expect(value(m, "geo_compliance_actions_total", { action: "notice" })).to.equal(4);
      expect(m.get("geo_compliance_middleware_duration_seconds")?.type).to.equal("histogram");
      expect(value(m, "geo_compliance_middleware_duration_seconds_count")).to.equal(7);
      expect(value(m, "geo_compliance_middleware_duration_seconds_sum")).to.be.above(0).and.below(1);
      expect(m.get("geo_compliance_ruleset_info")?.type).to.equal("gauge");
      expect(value(m, "geo_compliance_ruleset_info", { revision: a.status().revision })).to.equal(1);
      expect(value(m, "geo_compliance_log_lines_total", { result: "failed" })).to.equal(0);
      expect(value(m, "geo_compliance_log_lines_total", { result: "written" })).to.equal(a.status().log.written);
      expect(a.status().log.written).to.be.at.least(1);

      // The other instance counted only its own readers, under its own rules and revision.
      const mb = parseExposition(await (await fetch(`${sb.url}/metrics`)).text());
      expect(value(mb, "geo_compliance_rule_decisions_total", { rule: "de-test" })).to.equal(4);
      expect(value(mb, "geo_compliance_rule_decisions_total", { rule: RULE })).to.equal(undefined);
      expect(value(mb, "geo_compliance_ruleset_info", { revision: b.status().revision })).to.equal(1);
      expect(value(mb, "geo_compliance_ruleset_info", { revision: a.status().revision })).to.equal(undefined);
      // …and nothing went to prom-client's global registry.
      expect(await globalRegistry.metrics()).not.to.contain("geo_compliance_");

      // A reload that changes the rules changes the revision shown.
      writeFileSync(join(dir, "de.yaml"), `rules:\n  - id: de-test-2\n    title: DE test\n    regions: { countries: [DE] }\n    actions:\n      notice:\n        defaultLanguage: de\n        languages:\n          de: { title: DE, text: Hallo }\n`);
      const before = b.status().revision;
      expect(b.reload().ok).to.equal(true);
      const after = parseExposition(await (await fetch(`${sb.url}/metrics`)).text());
      expect(value(after, "geo_compliance_ruleset_info", { revision: b.status().revision })).to.equal(1);
      expect(value(after, "geo_compliance_ruleset_info", { revision: before })).to.equal(undefined);
    } finally {
      await Promise.all([sa.close(), sb.close(), a.close(), b.close()]);
    }
  });
});
