import { expect } from "chai";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { geoCompliance, GeoIpError } from "../src/index.js";
import { shippedRulesDir } from "../src/package-root.js";
import { compileTrust } from "../src/region/client-address.js";
import { defaultDatabasePath, GeoIpDatabase, shapeOf } from "../src/region/geoip.js";
import { RegionResolver } from "../src/region/resolve.js";
import { corruptMmdb, writeMmdb } from "./support/mmdb-writer.js";
import { cityDb, cityEntries, countryDb, flatDb, IP, tempDir } from "./support/region-fixtures.js";

function resolverFor(buffer: Buffer, type = "fixture"): RegionResolver {
  const db = GeoIpDatabase.fromBuffer(type, buffer);
  return new RegionResolver({ trust: compileTrust(false), database: () => db, cacheSize: 0 });
}

describe("region: GeoIP databases", () => {
  describe("record shapes chosen from the metadata", () => {
    it("knows MaxMind's City and Country types, DB-IP's, and the flat country_code type; refuses the rest", () => {
      for (const t of ["GeoIP2-City", "GeoLite2-City", "GeoIP2-Country", "GeoLite2-Country", "GeoIP2-Enterprise", "GeoIP2-City-Europe", "DBIP-City-Lite", "DBIP-Country-Lite"]) {
        expect(shapeOf(t), t).to.equal("geoip2");
      }
      expect(shapeOf("country ipvAll")).to.equal("flat");
      for (const t of ["GeoLite2-ASN", "GeoIP2-ISP", "GeoIP2-Anonymous-IP", "GeoIP2-Connection-Type", "GeoIP2-Domain", "something-else"]) {
        expect(shapeOf(t), t).to.equal(null);
      }
    });

    it("reads the embedded default database (flat shape)", () => {
      const db = GeoIpDatabase.open(defaultDatabasePath());
      expect(db.shape).to.equal("flat");
      expect(db.lookup(IP.moscow)).to.deep.equal({ country: "RU", subdivision: null });
    });
  });

  describe("a City database", () => {
    const r = resolverFor(cityDb());

    it("turns subdivisions[].iso_code into ISO 3166-2 form", () => {
      expect(r.lookup(IP.crimea)).to.deep.equal({ country: "UA", subdivision: "UA-43", source: "geoip" });
      expect(r.lookup(IP.california)).to.deep.equal({ country: "US", subdivision: "US-CA", source: "geoip" });
      expect(r.lookup(IP.moscow)).to.deep.equal({ country: "RU", subdivision: "RU-MOW", source: "geoip" });
    });

    it("looks up IPv6 addresses", () => {
      expect(r.lookup(IP.crimea6)).to.deep.equal({ country: "UA", subdivision: "UA-43", source: "geoip" });
      expect(r.lookup(IP.california6)).to.deep.equal({ country: "US", subdivision: "US-CA", source: "geoip" });
    });

    it("gives IPv4-mapped IPv6 addresses the IPv4 answer", () => {
      expect(r.lookup(`::ffff:${IP.crimea}`)).to.deep.equal(r.lookup(IP.crimea));
      expect(r.lookup("::FFFF:5bcf:390a")).to.deep.equal({ country: "UA", subdivision: "UA-43", source: "geoip" }); // 91.207.57.10 in hex
    });

    it("gives loopback, private, reserved and unlisted addresses a null country with the reason", () => {
      const cases: Array<[string, RegExp]> = [
        ["127.0.0.1", /loopback/],
        ["::1", /loopback/],
        ["10.1.2.3", /private/],
        ["192.168.1.1", /private/],
        ["100.64.0.1", /carrierGradeNat/],
        ["169.254.1.1", /linkLocal/],
        ["fe80::1", /linkLocal/],
        ["fd00::1", /uniqueLocal/],
        ["240.0.0.1", /reserved/],
        ["0.0.0.0", /unspecified/],
        [IP.unlisted, /not in the GeoIP database/],
        ["2a03::1", /not in the GeoIP database/],
      ];
      for (const [address, reason] of cases) {
        const region = r.lookup(address);
        expect(region, address).to.include({ country: null, subdivision: null, source: "none" });
        expect(region.reason, address).to.match(reason);
      }
    });
  });

  describe("registered_country and represented_country", () => {
    const r = resolverFor(cityDb());

    it("places a reader on a foreign military base where the base is, noting the represented country", () => {
      const region = r.lookup(IP.base);
      expect(region).to.include({ country: "DE", subdivision: "DE-RP", source: "geoip" });
      expect(region.reason).to.match(/represented_country US \(military\) not applied/);
    });

    it("places a reader on a network registered elsewhere where the reader is, not where the network is registered", () => {
      expect(r.lookup(IP.roaming)).to.deep.equal({ country: "DE", subdivision: "DE-HH", source: "geoip" });
    });

    it("does not turn a registration alone into a location: the region is unknown and the reason names it", () => {
      const region = r.lookup(IP.registeredOnly);
      expect(region).to.include({ country: null, subdivision: null, source: "none" });
      expect(region.reason).to.match(/no country .*registered in RU/);
    });
  });

  describe("a Country database and a flat database", () => {
    it("give the country with no subdivision", () => {
      expect(resolverFor(countryDb()).lookup(IP.crimea)).to.deep.equal({ country: "UA", subdivision: null, source: "geoip" });
      expect(resolverFor(flatDb()).lookup(IP.moscow)).to.deep.equal({ country: "RU", subdivision: null, source: "geoip" });
    });
  });

  describe("an IPv4-only database", () => {
    it("answers IPv4 and refuses IPv6 with a reason instead of walking the wrong tree", () => {
      const v4 = writeMmdb(cityEntries().filter((e) => !e.network.includes(":")), { databaseType: "GeoIP2-City", ipVersion: 4 });
      const r = resolverFor(v4);
      expect(r.lookup(IP.crimea)).to.include({ country: "UA", subdivision: "UA-43" });
      expect(r.lookup(`::ffff:${IP.crimea}`)).to.include({ country: "UA", subdivision: "UA-43" });
      const v6 = r.lookup(IP.crimea6);
      expect(v6).to.include({ country: null, source: "none" });
      expect(v6.reason).to.match(/IPv4 only/);
    });
  });

  describe("bad databases at start-up", () => {
    const dir = tempDir();

    it("an unknown database type fails start-up with the file and the type in the message", () => {
      const file = join(dir, "GeoLite2-ASN.mmdb");
      writeFileSync(file, writeMmdb([{ network: "77.88.0.0/18", record: { autonomous_system_number: 13238 } }], { databaseType: "GeoLite2-ASN" }));
      expect(() => geoCompliance({ rules: shippedRulesDir(), geoip: { database: file }, decisionLog: false }))
        .to.throw(GeoIpError)
        .with.property("message")
        .that.contains(file)
        .and.contains('"GeoLite2-ASN"');
    });

    it("a corrupt database fails start-up naming the file and what is wrong", () => {
      for (const kind of ["empty", "random", "truncated", "no-metadata"] as const) {
        const file = join(dir, `${kind}.mmdb`);
        writeFileSync(file, corruptMmdb(kind, cityDb()));
        let error: unknown;
        try {
          geoCompliance({ rules: shippedRulesDir(), geoip: { database: file }, decisionLog: false });
        } catch (e) {
          error = e;
        }
        expect(error, kind).to.be.instanceOf(GeoIpError);
        expect((error as Error).message, kind).to.contain(file).and.match(/not a valid MaxMind database|damaged|unsupported database type/);
      }
    });

    it("a missing database fails start-up naming the file", () => {
      const file = join(dir, "nope.mmdb");
      expect(() => geoCompliance({ rules: shippedRulesDir(), geoip: { database: file }, decisionLog: false })).to.throw(file);
    });
  });
});
