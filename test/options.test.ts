import { expect } from "chai";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { geoCompliance, OptionsError, shippedRules, type GeoComplianceOptions } from "../src/index.js";

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
