import { expect } from "chai";
import express from "express";
import fc from "fast-check";
import { geoCompliance, mintPreviewToken, type GeoComplianceOptions, type Region } from "../src/index.js";
import { shippedRulesDir } from "../src/package-root.js";
import { compileRegionHeaders } from "../src/region/cdn-headers.js";
import { compileTrust } from "../src/region/client-address.js";
import { GeoIpDatabase } from "../src/region/geoip.js";
import { NetworkTable } from "../src/region/networks.js";
import { RegionResolver } from "../src/region/resolve.js";
import { ARTICLE, countNotices } from "./support/pages.js";
import { head, rawRequest } from "./support/raw-http.js";
import { cityDb, cityDbFile, fakeRequest, IP, PREVIEW_SECRET } from "./support/region-fixtures.js";
import { listen, MemoryLog, type Running } from "./support/server.js";

type Headers = ReadonlyArray<readonly [string, string]>;

const hour = (): Date => new Date(Date.now() + 3600_000);
const OTHER_SECRET = "another-deployment-secret-0123456789abcdef";

/** Every header a reader might write to claim another place, aimed at Berlin (out of the Russia rule's reach). */
const CLAIMS_BERLIN: Array<[string, Headers]> = [
  ["X-Forwarded-For", [["X-Forwarded-For", IP.berlin]]],
  ["several X-Forwarded-For headers", [["X-Forwarded-For", IP.berlin], ["X-Forwarded-For", IP.california], ["X-Forwarded-For", IP.berlin]]],
  ["Forwarded (RFC 7239)", [["Forwarded", `for=${IP.berlin};proto=https`]]],
  ["X-Real-IP, True-Client-IP, CF-Connecting-IP, Fastly-Client-IP", [["X-Real-IP", IP.berlin], ["True-Client-IP", IP.berlin], ["CF-Connecting-IP", IP.berlin], ["Fastly-Client-IP", IP.berlin]]],
  ["CDN country headers", [["CF-IPCountry", "DE"], ["CloudFront-Viewer-Country", "DE"], ["X-Vercel-IP-Country", "DE"], ["X-AppEngine-Country", "DE"]]],
  ["CDN country and region headers", [["CF-IPCountry", "DE"], ["CF-Region-Code", "BE"], ["X-Vercel-IP-Country", "US"], ["X-Vercel-IP-Country-Region", "CA"]]],
  ["the Tor marker", [["CF-IPCountry", "T1"]]],
  ["an IPv6 address with a zone id", [["X-Forwarded-For", "fe80::1%eth0"]]],
  ["garbage", [["X-Forwarded-For", "unknown, _hidden, [::1]:80, 999.1.1.1, ::ffff:zz"], ["CF-IPCountry", "<script>"]]],
  ["over-long values", [["X-Forwarded-For", `${"1.2.3.4, ".repeat(900)}${IP.berlin}`], ["CF-IPCountry", "D".repeat(4000)]]],
  ["a preview token with a forged signature", [["Geo-Compliance-Preview", `v1.DE.${Math.floor(hour().getTime() / 1000)}.${"A".repeat(43)}`]]],
  ["an expired preview token", [["Geo-Compliance-Preview", mintPreviewToken(PREVIEW_SECRET, "DE", new Date(Date.now() - 1000))]]],
  ["a preview token minted with another secret", [["Cookie", `geo_compliance_preview=${mintPreviewToken(OTHER_SECRET, "DE", hour())}`]]],
];

interface Site {
  readonly server: Running;
  readonly log: MemoryLog;
  close(): Promise<void>;
}

async function site(options: Partial<GeoComplianceOptions>): Promise<Site> {
  const log = new MemoryLog();
  const compliance = geoCompliance({ rules: shippedRulesDir(), geoip: { database: cityDbFile() }, preview: { secret: PREVIEW_SECRET }, decisionLog: { destination: log }, ...options });
  const app = express();
  app.use(compliance);
  app.get("/region", (_req, res) => {
    res.json(res.locals.geoCompliance?.region ?? null);
  });
  app.get("/article", (_req, res) => {
    res.type("html").send(ARTICLE);
  });
  const server = await listen(app);
  return {
    server,
    log,
    async close() {
      await server.close();
      await compliance.close();
    },
  };
}

async function regionOf(s: Site, headers: Headers): Promise<Region> {
  const res = await rawRequest(s.server.url, head("GET /region HTTP/1.1", headers));
  expect(res.status, JSON.stringify(headers).slice(0, 120)).to.equal(200);
  return JSON.parse(res.body) as Region;
}

async function noticesOn(s: Site, headers: Headers): Promise<number> {
  const res = await rawRequest(s.server.url, head("GET /article HTTP/1.1", headers));
  expect(res.status).to.equal(200);
  return countNotices(res.body);
}

describe("spoofing: nothing a reader writes moves them to another region", () => {
  describe("a reader connecting directly (the peer is not a trusted proxy)", () => {
    let s: Site;
    // The test client's own address is placed in Russia, so a header believed by mistake would show up as Berlin.
    before(async () => {
      s = await site({ trustProxy: ["10.0.0.0/8"], regionHeaders: ["cloudflare", "cloudfront", "vercel", "appengine"], networks: [{ cidr: "127.0.0.1/32", region: "RU" }] });
    });
    after(() => s.close());

    for (const [name, headers] of CLAIMS_BERLIN) {
      it(`stays in Russia, with the warning, whatever it sends: ${name}`, async () => {
        expect(await regionOf(s, headers)).to.include({ country: "RU", subdivision: null, source: "network" });
        expect(await noticesOn(s, headers)).to.equal(1);
      });
    }
  });

  describe("a reader behind a trusted proxy that appends the address it saw (nginx $proxy_add_x_forwarded_for)", () => {
    let s: Site;
    before(async () => {
      s = await site({ trustProxy: "loopback" });
    });
    after(() => s.close());

    /** What the reader wrote, left of what the proxy appends: never reached, because the reader's own address is not a proxy. */
    const written = [
      IP.berlin,
      `${IP.california6}, ${IP.berlin}`,
      "127.0.0.1", // looks like a trusted proxy
      "::1%lo", // loopback with a zone id
      "fe80::1%eth0",
      `${IP.berlin}%eth0`,
      "2001:db8::1%25en0",
      "[::1]:8080",
      "unknown, , ,,",
      "\u00c4\u00d6 not an address",
      "x".repeat(8000),
      `${"10.0.0.1, ".repeat(700)}127.0.0.1`,
    ];
    for (const value of written) {
      const shown = JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
      it(`in one header or in several, ${shown} leaves the reader in Moscow`, async () => {
        for (const headers of [[["X-Forwarded-For", `${value}, ${IP.moscow}`]], [["X-Forwarded-For", value], ["X-Forwarded-For", IP.moscow]]] as Headers[]) {
          expect(await regionOf(s, headers)).to.deep.equal({ country: "RU", subdivision: "RU-MOW", source: "geoip" });
        }
      });
    }

    it("a reader in Crimea whose proxy passes a zone id on the address stays in Crimea", async () => {
      expect(await regionOf(s, [["X-Forwarded-For", `${IP.berlin}, ${IP.crimea6}%eth0`]])).to.deep.equal({ country: "UA", subdivision: "UA-43", source: "geoip" });
    });

    it("a head over Node's 16 KB limit is refused with 431 before the middleware runs: no decision, no region", async () => {
      const res = await rawRequest(s.server.url, head("GET /article HTTP/1.1", [["X-Forwarded-For", `${"1.2.3.4, ".repeat(2500)}${IP.berlin}`]]));
      expect(res.status).to.equal(431);
      await new Promise((r) => setTimeout(r, 50));
      expect(s.log.decisions().filter((l) => l.status === 431)).to.deep.equal([]);
    });
  });

  describe("a CDN in front (trusted), whose country header the reader also sends", () => {
    let s: Site;
    before(async () => {
      s = await site({ trustProxy: "loopback", regionHeaders: ["cloudflare"] });
    });
    after(() => s.close());

    it("two CF-IPCountry headers are not believed; the database places the reader", async () => {
      // The reader is in Moscow (the address the CDN forwards); they add "DE" before the CDN's "RU".
      const region = await regionOf(s, [["CF-IPCountry", "DE"], ["X-Forwarded-For", IP.moscow], ["CF-IPCountry", "RU"]]);
      expect(region).to.include({ country: "RU", subdivision: "RU-MOW", source: "geoip" });
      expect(region.reason).to.match(/malformed cf-ipcountry "DE, RU" ignored/);
    });
  });

  describe("preview tokens", () => {
    let s: Site;
    before(async () => {
      s = await site({ trustProxy: "loopback" });
    });
    after(() => s.close());

    const valid = mintPreviewToken(PREVIEW_SECRET, "DE", hour());
    const [v, region, expiry, signature] = valid.split(".") as [string, string, string, string];
    const forged: Array<[string, string]> = [
      ["a signature of zeros", `${v}.${region}.${expiry}.${"A".repeat(43)}`],
      ["the region changed", `${v}.UA-43.${expiry}.${signature}`],
      ["the expiry pushed back", `${v}.${region}.${Number(expiry) + 86_400}.${signature}`],
      ["the signature cut short", `${v}.${region}.${expiry}.${signature.slice(0, 42)}`],
      // The first character: the last one's two low bits are padding, and a different spelling of the same signature signs the same token.
      ["a signature with one character changed", `${v}.${region}.${expiry}.${signature.startsWith("A") ? "B" : "A"}${signature.slice(1)}`],
      ["padding after the signature", `${valid}==`],
      ["another version", `v2.${region}.${expiry}.${signature}`],
      ["lower case", valid.toLowerCase()],
      ["expired", mintPreviewToken(PREVIEW_SECRET, "DE", new Date(Date.now() - 1000))],
      ["minted with another secret", mintPreviewToken(OTHER_SECRET, "DE", hour())],
      ["over-long", `${valid}${"A".repeat(5000)}`],
    ];
    for (const [name, token] of forged) {
      it(`${name}: ignored in the header and in the cookie, the reader stays in Moscow with the warning`, async () => {
        for (const carrier of [[["Geo-Compliance-Preview", token]], [["Cookie", `geo_compliance_preview=${token}`]]] as Headers[]) {
          const headers: Headers = [["X-Forwarded-For", IP.moscow], ...carrier];
          const found = await regionOf(s, headers);
          expect(found, name).to.include({ country: "RU", subdivision: "RU-MOW", source: "geoip" });
          expect(found.reason, name).to.match(/preview token .*; ignored/);
          expect(await noticesOn(s, headers), name).to.equal(1);
        }
      });
    }

    it("of two preview cookies only the first is read: a forged one ahead of a genuine one previews nothing", async () => {
      const found = await regionOf(s, [["X-Forwarded-For", IP.moscow], ["Cookie", `geo_compliance_preview=${forged[1]![1]}; geo_compliance_preview=${valid}`]]);
      expect(found).to.include({ country: "RU", source: "geoip" });
    });

    it("the genuine token still works, so the checks above could have failed", async () => {
      expect(await regionOf(s, [["X-Forwarded-For", IP.moscow], ["Geo-Compliance-Preview", valid]])).to.include({ country: "DE", source: "preview" });
    });
  });

  describe("properties, at the resolver", () => {
    const city = GeoIpDatabase.fromBuffer("city.mmdb", cityDb());
    const preview = { secret: PREVIEW_SECRET, cookie: "geo_compliance_preview", header: "geo-compliance-preview" };
    const resolver = (trustProxy: "loopback" | string[], networks = NetworkTable.EMPTY) =>
      new RegionResolver({ trust: compileTrust(trustProxy), database: () => city, headers: compileRegionHeaders(["cloudflare", "vercel"]), networks, preview, cacheSize: 0 });

    /** Header values a reader can send: printable ASCII and Latin-1, commas, brackets, percent signs, addresses. */
    const value = fc.oneof(
      fc.string({ unit: fc.constantFrom(..."0123456789abcdef:.,[]% -_TXRUDEA;=".split("")), maxLength: 60 }),
      fc.constantFrom(...Object.values(IP), "::1", "127.0.0.1", "fe80::1%eth0", "::ffff:127.0.0.1", "0.0.0.0", "255.255.255.255", "RU", "DE", "T1", "XX", "43", "UA-43"),
      fc.string({ unit: fc.integer({ min: 0x20, max: 0xff }).map((c) => String.fromCharCode(c)), maxLength: 200 }),
    );
    const claims = fc.record(
      {
        "x-forwarded-for": fc.array(value, { maxLength: 5 }).map((a) => a.join(", ")),
        "cf-ipcountry": value,
        "cf-region-code": value,
        "x-vercel-ip-country": value,
        forwarded: value.map((v) => `for=${v}`),
        "x-real-ip": value,
        "geo-compliance-preview": value,
        cookie: value.map((v) => `geo_compliance_preview=${v}`),
      },
      { requiredKeys: [] },
    );

    it("from an untrusted peer, no combination of headers changes the region the peer's address has (property)", () => {
      const r = resolver(["10.0.0.0/8"]);
      fc.assert(
        fc.property(fc.constantFrom(IP.moscow, IP.crimea, IP.crimea6, IP.berlin, IP.california), claims, (peer, headers) => {
          const honest = r.resolve(fakeRequest(peer)).region;
          const claimed = r.resolve(fakeRequest(peer, headers)).region;
          expect({ country: claimed.country, subdivision: claimed.subdivision, source: claimed.source }).to.deep.equal({ country: honest.country, subdivision: honest.subdivision, source: honest.source });
        }),
        { numRuns: 400 },
      );
    });

    it("behind a trusted proxy that appends the address it saw, nothing the reader wrote before it counts (property)", () => {
      const r = resolver("loopback");
      fc.assert(
        fc.property(fc.constantFrom(IP.moscow, IP.crimea, IP.crimea6, IP.berlin), fc.array(value, { maxLength: 6 }), (reader, written) => {
          const honest = r.resolve(fakeRequest("127.0.0.1", { "x-forwarded-for": reader })).region;
          const claimed = r.resolve(fakeRequest("127.0.0.1", { "x-forwarded-for": [...written, reader].join(", ") })).region;
          expect(claimed).to.deep.equal(honest);
        }),
        { numRuns: 400 },
      );
    });
  });
});
