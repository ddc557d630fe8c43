import { expect } from "chai";
import express from "express";
import { Counter, Registry } from "prom-client";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { geoCompliance, OptionsError, shippedRules, type GeoComplianceOptions } from "../src/index.js";
import { listen } from "./support/server.js";

describe("options: rules", () => {
  it("must be given: without it, construction fails and the message says what to write", () => {
    expect(() => geoCompliance({ decisionLog: false } as unknown as GeoComplianceOptions)).to.throw(OptionsError, /rules is required.*rules: "rules\/"/);
    expect(() => geoCompliance(undefined as unknown as GeoComplianceOptions)).to.throw(OptionsError, /shippedRules/);
  });

  it("a mistake in another option is reported as itself, even with rules missing", () => {
    expect(() => geoCompliance({ watch: "yes" } as unknown as GeoComplianceOptions)).to.throw(OptionsError, /watch must be true or false/);
  });

  it("shippedRules names the package's own rules folder, for a site that wants its examples", () => {
    expect(existsSync(join(shippedRules, "ru-undesirable-organization.yaml"))).to.equal(true);
    const compliance = geoCompliance({ rules: shippedRules, decisionLog: false, watch: false });
    expect(compliance.status().ruleFiles.some((f) => f.endsWith("ru-undesirable-organization.yaml"))).to.equal(true);
    return compliance.close();
  });
});

describe("options: metrics.registry", () => {
  it("counts in the app's own prom-client registry, beside the app's metrics, and leaves it on close()", async () => {
    const registry = new Registry();
    new Counter({ name: "app_requests_total", help: "the app's own", registers: [registry] }).inc();
    const compliance = geoCompliance({ rules: shippedRules, trustProxy: "loopback", decisionLog: false, watch: false, metrics: { registry } });
    expect(compliance.metrics).to.equal(registry);
    const app = express();
    app.use(compliance);
    app.get("/", (_req, res) => void res.type("html").send("<p>hi</p>"));
    const server = await listen(app);
    try {
      await (await fetch(`${server.url}/`, { headers: { "X-Forwarded-For": "77.88.8.8" } })).text();
      const text = await registry.metrics();
      expect(text).to.contain("app_requests_total 1");
      expect(text).to.match(/geo_compliance_decisions_total\{region_source="geoip",outcome="rewritten"\} 1/);
    } finally {
      await server.close();
      await compliance.close();
    }
    expect(await registry.metrics()).to.not.contain("geo_compliance_");
    const again = geoCompliance({ rules: shippedRules, decisionLog: false, watch: false, metrics: { registry } });
    await again.close();
  });

  it("refuses what is not a registry", () => {
    expect(() => geoCompliance({ rules: shippedRules, decisionLog: false, metrics: { registry: {} as never } })).to.throw(OptionsError, /metrics.registry must be a prom-client Registry/);
    expect(() => geoCompliance({ rules: shippedRules, decisionLog: false, metrics: { registr: 1 } as never })).to.throw(OptionsError, /unknown option "metrics.registr"/);
  });
});
