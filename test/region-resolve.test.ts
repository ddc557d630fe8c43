import { expect } from "chai";
import fc from "fast-check";
import { RecentCache } from "../src/region/cache.js";
import { compileRegionHeaders, readRegionHeaders, type RegionHeaderSpec } from "../src/region/cdn-headers.js";
import { compileTrust, type TrustProxy } from "../src/region/client-address.js";
import { GeoIpDatabase } from "../src/region/geoip.js";
import { NetworkTable, type NetworkOverride } from "../src/region/networks.js";
import { mintPreviewToken } from "../src/region/preview-token.js";
import { RegionResolver, type PreviewSettings } from "../src/region/resolve.js";
import type { Region } from "../src/region/types.js";
import { cityDb, countryDb, fakeRequest, IP, PREVIEW_SECRET } from "./support/region-fixtures.js";

const city = GeoIpDatabase.fromBuffer("city.mmdb", cityDb());
const NOW = new Date("2026-06-01T12:00:00Z");

interface Setup {
  trustProxy?: TrustProxy;
  regionHeaders?: RegionHeaderSpec[];
  networks?: NetworkOverride[];
  preview?: PreviewSettings | null;
  cacheSize?: number;
  database?: () => GeoIpDatabase;
}

function resolver(setup: Setup = {}): RegionResolver {
  return new RegionResolver({
    trust: compileTrust(setup.trustProxy ?? "loopback"),
    database: setup.database ?? (() => city),
    headers: compileRegionHeaders(setup.regionHeaders ?? []),
    networks: NetworkTable.compile(setup.networks ?? []),
    preview: setup.preview ?? null,
    clock: () => NOW,
    cacheSize: setup.cacheSize ?? 100,
  });
}

const resolve = (r: RegionResolver, peer: string, headers: Record<string, string> = {}): Region => r.resolve(fakeRequest(peer, headers)).region;

describe("region: client address through trusted proxies", () => {
  it("uses the socket address when no proxy is trusted, and ignores X-Forwarded-For", () => {
    const r = resolver({ trustProxy: false });
    expect(resolve(r, IP.berlin, { "X-Forwarded-For": IP.moscow })).to.deep.equal({ country: "DE", subdivision: "DE-BE", source: "geoip" });
  });

  it("believes X-Forwarded-For from a trusted peer, in each form of the proxy-addr vocabulary", () => {
    const forms: TrustProxy[] = ["loopback", ["127.0.0.0/8"], "127.0.0.1, ::1", 1, true, (addr: string) => addr === "127.0.0.1"];
    for (const trustProxy of forms) {
      const region = resolve(resolver({ trustProxy }), "127.0.0.1", { "X-Forwarded-For": IP.crimea });
      expect(region, String(trustProxy)).to.deep.equal({ country: "UA", subdivision: "UA-43", source: "geoip" });
    }
  });

  it("walks a chain only as far as the trusted hops, so a spoofed leftmost entry is not believed", () => {
    // The reader at Moscow writes "91.207.57.10" (Crimea) into X-Forwarded-For; our proxy appends the real peer.
    const region = resolve(resolver({ trustProxy: "loopback" }), "127.0.0.1", { "X-Forwarded-For": `${IP.crimea}, ${IP.moscow}` });
    expect(region).to.include({ country: "RU", subdivision: "RU-MOW" });
    const byCount = resolve(resolver({ trustProxy: 1 }), "127.0.0.1", { "X-Forwarded-For": `${IP.crimea}, ${IP.moscow}` });
    expect(byCount).to.include({ country: "RU" });
  });

  it("reads an IPv4-mapped peer (dual-stack socket) as IPv4, for trust and for lookup", () => {
    expect(resolve(resolver({ trustProxy: "loopback" }), "::ffff:127.0.0.1", { "X-Forwarded-For": IP.crimea })).to.include({ subdivision: "UA-43" });
    expect(resolve(resolver({ trustProxy: false }), `::ffff:${IP.crimea}`)).to.include({ subdivision: "UA-43" });
    expect(resolve(resolver({ trustProxy: "loopback" }), "127.0.0.1", { "X-Forwarded-For": `::ffff:${IP.crimea}` })).to.include({ subdivision: "UA-43" });
  });

  it("looks up an IPv6 reader behind an IPv6 proxy", () => {
    expect(resolve(resolver(), "::1", { "X-Forwarded-For": IP.crimea6 })).to.deep.equal({ country: "UA", subdivision: "UA-43", source: "geoip" });
  });

  it("ignores malformed X-Forwarded-For with a recorded reason, never an exception", () => {
    const r = resolver();
    for (const xff of ["not-an-ip", "1.2.3", "999.1.1.1", "\u0000", "x".repeat(10_000), ", ,", "77.88.8.8:443", "[::1]"]) {
      let region: Region | undefined;
      expect(() => (region = resolve(r, "127.0.0.1", { "X-Forwarded-For": xff })), JSON.stringify(xff.slice(0, 20))).not.to.throw();
      expect(region!.source, xff.slice(0, 20)).to.equal("none"); // the peer itself, loopback
      expect(region!.reason, xff.slice(0, 20)).to.match(/X-Forwarded-For (without addresses )?ignored/);
    }
  });

  it("gives no region and a reason when the socket has no address (closed early)", () => {
    const region = resolver().resolve(fakeRequest(undefined)).region;
    expect(region).to.include({ country: null, source: "none" });
    expect(region.reason).to.match(/no peer address/);
  });

  it("rejects a trustProxy it cannot compile, naming it", () => {
    expect(() => compileTrust(["10.0.0.0/33"])).to.throw(/trustProxy/);
    expect(() => compileTrust({} as unknown as TrustProxy)).to.throw(/trustProxy/);
    expect(() => compileTrust(-1)).to.throw(/trustProxy/);
  });
});

describe("region: CDN and platform headers", () => {
  const presets: Array<[RegionHeaderSpec, Record<string, string>]> = [
    ["cloudflare", { "CF-IPCountry": "UA", "CF-Region-Code": "43" }],
    ["cloudfront", { "CloudFront-Viewer-Country": "UA", "CloudFront-Viewer-Country-Region": "43" }],
    ["vercel", { "X-Vercel-IP-Country": "UA", "X-Vercel-IP-Country-Region": "43" }],
    ["appengine", { "X-AppEngine-Country": "UA", "X-AppEngine-Region": "43" }],
    [{ country: "Fastly-Geo-Country", subdivision: "Fastly-Geo-Region", name: "fastly" }, { "Fastly-Geo-Country": "ua", "Fastly-Geo-Region": "UA-43" }],
    [{ country: "X-Akamai-Country", subdivision: "X-Akamai-Region" }, { "X-Akamai-Country": "UA", "X-Akamai-Region": "43" }],
  ];

  for (const [spec, headers] of presets) {
    const name = typeof spec === "string" ? spec : spec.country;
    it(`believes ${name} from a trusted peer over the GeoIP database`, () => {
      // The peer's forwarded address is in Berlin; the CDN says Crimea.
      const region = resolve(resolver({ regionHeaders: [spec] }), "127.0.0.1", { "X-Forwarded-For": IP.berlin, ...headers });
      expect(region).to.include({ country: "UA", subdivision: "UA-43", source: "header" });
    });

    it(`ignores spoofed ${name} headers from a peer that is not trusted`, () => {
      const region = resolve(resolver({ regionHeaders: [spec], trustProxy: "loopback" }), IP.berlin, headers);
      expect(region).to.deep.equal({ country: "DE", subdivision: "DE-BE", source: "geoip" });
    });
  }

  it("takes the country alone when there is no region header, completing it from the database when they agree", () => {
    const r = resolver({ regionHeaders: ["cloudflare"] });
    expect(resolve(r, "127.0.0.1", { "X-Forwarded-For": IP.berlin, "CF-IPCountry": "FR" })).to.deep.equal({ country: "FR", subdivision: null, source: "header", reason: "cloudflare headers" });
    const completed = resolve(r, "127.0.0.1", { "X-Forwarded-For": IP.crimea, "CF-IPCountry": "UA" });
    expect(completed).to.include({ country: "UA", subdivision: "UA-43", source: "header" });
    expect(completed.reason).to.match(/subdivision from the GeoIP database/);
  });

  it("uses the first configured source that is present", () => {
    const r = resolver({ regionHeaders: ["cloudfront", "cloudflare"] });
    expect(resolve(r, "127.0.0.1", { "CF-IPCountry": "RU", "CloudFront-Viewer-Country": "FR" })).to.include({ country: "FR" });
    expect(resolve(r, "127.0.0.1", { "CF-IPCountry": "RU" })).to.include({ country: "RU" });
  });

  it("maps special values: XX and ZZ fall through to the database, T1 (Tor) gives no region at all", () => {
    const r = resolver({ regionHeaders: ["cloudflare", "appengine"] });
    const xx = resolve(r, "127.0.0.1", { "X-Forwarded-For": IP.berlin, "CF-IPCountry": "XX" });
    expect(xx).to.include({ country: "DE", source: "geoip" });
    expect(xx.reason).to.match(/XX: the CDN has no country/);
    const zz = resolve(r, "127.0.0.1", { "X-Forwarded-For": IP.berlin, "X-AppEngine-Country": "ZZ" });
    expect(zz).to.include({ country: "DE", source: "geoip" });
    const tor = resolve(r, "127.0.0.1", { "X-Forwarded-For": IP.moscow, "CF-IPCountry": "T1" });
    expect(tor).to.include({ country: null, subdivision: null, source: "none" });
    expect(tor.reason).to.match(/Tor/);
  });

  it("ignores malformed header values with a recorded reason, never an exception", () => {
    const r = resolver({ regionHeaders: ["cloudflare"] });
    const bad = ["", "U", "UKR", "Ukraine", "12", "RU, US", "U\u00c4", "QQ", "<script>", "x".repeat(5000)];
    for (const value of bad) {
      let region: Region | undefined;
      expect(() => (region = resolve(r, "127.0.0.1", { "X-Forwarded-For": IP.berlin, "CF-IPCountry": value }))).not.to.throw();
      expect(region, value.slice(0, 10)).to.include({ country: "DE", source: "geoip" });
      expect(region!.reason, value.slice(0, 10)).to.match(/cf-ipcountry/);
      expect(region!.reason!.length, "reasons stay short").to.be.lessThan(200);
    }
    const badSub = resolve(r, "127.0.0.1", { "CF-IPCountry": "UA", "CF-Region-Code": "RU-43" });
    expect(badSub).to.include({ country: "UA", subdivision: null, source: "header" });
    expect(badSub.reason).to.match(/malformed cf-region-code/);
  });

  it("reads headers without throwing for any header value (property)", () => {
    const sources = compileRegionHeaders(["cloudflare", "cloudfront", { country: "A-Country", subdivision: "A-Sub" }]);
    fc.assert(
      fc.property(fc.dictionary(fc.constantFrom("cf-ipcountry", "cf-region-code", "cloudfront-viewer-country", "a-country", "a-sub"), fc.string({ maxLength: 20 })), (headers) => {
        const reading = readRegionHeaders(headers, sources);
        if (reading?.kind === "region") {
          expect(reading.country).to.match(/^[A-Z]{2}$/);
          if (reading.subdivision) expect(reading.subdivision).to.match(/^[A-Z]{2}-[A-Z0-9]{1,3}$/);
        }
      }),
      { numRuns: 500 },
    );
  });

  it("rejects unknown CDN names and bad header names at construction, naming the entry", () => {
    expect(() => compileRegionHeaders(["cloudflair"])).to.throw(/regionHeaders\[0\].*unknown CDN "cloudflair"/);
    expect(() => compileRegionHeaders(["cloudflare", { country: "Bad Header" }])).to.throw(/regionHeaders\[1\]\.country/);
    expect(() => compileRegionHeaders([{ subdivision: "X-Region" }])).to.throw(/regionHeaders\[0\]\.country/);
    expect(() => compileRegionHeaders([{ country: "X-C", colour: "blue" }])).to.throw(/unknown key "colour"/);
    expect(() => compileRegionHeaders(5)).to.throw(/regionHeaders: expected a CDN name/);
  });
});

describe("region: network overrides", () => {
  const networks: NetworkOverride[] = [
    { cidr: "10.8.0.0/16", region: "UA-43" },
    { cidr: "10.8.1.0/24", region: "US-CA" },
    { cidr: "2001:db8:aa::/48", region: "RU" },
    { cidr: "::ffff:192.0.2.0/120", region: "DE" },
    { cidr: IP.berlin, region: "FR" },
  ];

  it("places addresses in the most specific matching network, IPv4 and IPv6, before the database", () => {
    const r = resolver({ networks, trustProxy: false });
    expect(resolve(r, "10.8.200.1")).to.deep.equal({ country: "UA", subdivision: "UA-43", source: "network", reason: "network override 10.8.0.0/16" });
    expect(resolve(r, "10.8.1.7")).to.include({ country: "US", subdivision: "US-CA", source: "network" });
    expect(resolve(r, "2001:db8:aa:1::5")).to.include({ country: "RU", subdivision: null, source: "network" });
    expect(resolve(r, "::ffff:192.0.2.9")).to.include({ country: "DE", source: "network" });
    expect(resolve(r, IP.berlin)).to.include({ country: "FR", source: "network" });
    expect(resolve(r, "10.9.0.1")).to.include({ source: "none" });
  });

  it("rejects bad entries at construction, naming the entry", () => {
    expect(() => NetworkTable.compile([{ cidr: "10.8.0.0/33", region: "UA-43" }])).to.throw(/networks\[0\]\.cidr/);
    expect(() => NetworkTable.compile([{ cidr: "10.8/16", region: "UA-43" }])).to.throw(/networks\[0\]\.cidr/);
    expect(() => NetworkTable.compile([{ cidr: "10.8.0.0/16", region: "UA-99" }])).to.throw(/networks\[0\]\.region.*UA-99 is not an ISO 3166-2/);
    expect(() => NetworkTable.compile([{ cidr: "10.8.0.0/16", region: "XX" }])).to.throw(/networks\[0\]\.region/);
    expect(() => NetworkTable.compile([networks[0], { cidr: "10.8.0.0/16" }])).to.throw(/networks\[1\]\.region/);
    expect(() => NetworkTable.compile([{ cidr: "10.8.0.0/16", region: "RU", note: 1 }])).to.throw(/unknown key "note"/);
  });
});

describe("region: precedence preview > network > header > geoip > none", () => {
  const preview: PreviewSettings = { secret: PREVIEW_SECRET, cookie: "geo_compliance_preview", header: "geo-compliance-preview" };
  const token = mintPreviewToken(PREVIEW_SECRET, "US-CA", new Date(NOW.getTime() + 3600_000));
  const r = resolver({ preview, regionHeaders: ["cloudflare"], networks: [{ cidr: "77.88.8.0/24", region: "UA-40" }] });
  const all = { "Geo-Compliance-Preview": token, "X-Forwarded-For": IP.moscow, "CF-IPCountry": "FR" };

  it("each source wins over every source after it", () => {
    expect(resolve(r, "127.0.0.1", all)).to.include({ country: "US", subdivision: "US-CA", source: "preview" });
    const { "Geo-Compliance-Preview": _p, ...noPreview } = all;
    expect(resolve(r, "127.0.0.1", noPreview)).to.include({ country: "UA", subdivision: "UA-40", source: "network" });
    const noNetwork = { ...noPreview, "X-Forwarded-For": "77.88.9.1" };
    expect(resolve(r, "127.0.0.1", noNetwork)).to.include({ country: "FR", source: "header" });
    const { "CF-IPCountry": _c, ...noHeader } = noNetwork;
    expect(resolve(r, "127.0.0.1", noHeader)).to.include({ country: "RU", subdivision: "RU-MOW", source: "geoip" });
    expect(resolve(r, "127.0.0.1", { "X-Forwarded-For": IP.unlisted })).to.include({ country: null, source: "none" });
  });

  it("an invalid preview falls through to the next source with the reason recorded", () => {
    const region = resolve(r, "127.0.0.1", { ...all, "Geo-Compliance-Preview": `${token.slice(0, -2)}AA` });
    expect(region).to.include({ source: "network" });
    expect(region.reason).to.match(/signature does not match \(header\); ignored/);
  });
});

describe("region: the per-address cache", () => {
  it("gives the same answers as no cache at all, for any address (property)", () => {
    const cached = resolver({ cacheSize: 8, networks: [{ cidr: "77.88.0.0/24", region: "UA-40" }] });
    const uncached = resolver({ cacheSize: 0, networks: [{ cidr: "77.88.0.0/24", region: "UA-40" }] });
    const known = Object.values(IP);
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.constantFrom(...known), fc.ipV4(), fc.ipV6(), fc.constantFrom("77.88.0.9", "127.0.0.1", "::1")), { maxLength: 40 }), (addresses) => {
        for (const a of addresses) expect(cached.lookup(a), a).to.deep.equal(uncached.lookup(a));
      }),
      { numRuns: 200 },
    );
  });

  it("holds at most its size, and keeps what is asked for while new addresses come and go", () => {
    const cache = new RecentCache<string, number>(100);
    cache.set("hot", 0);
    for (let i = 0; i < 10_000; i++) {
      cache.set(`a${i}`, i);
      expect(cache.get("hot"), `after ${i} others`).to.equal(0);
      expect(cache.size).to.be.at.most(100);
    }
    expect(cache.get("a0"), "an address not asked for again is dropped").to.equal(undefined);
    expect(cache.get("a9999")).to.equal(9999);
    const none = new RecentCache<string, number>(0);
    none.set("a", 1);
    expect(none.get("a")).to.equal(undefined);
  });

  it("is emptied when the database is swapped", () => {
    let current = city;
    const r = resolver({ database: () => current });
    expect(r.lookup(IP.crimea)).to.include({ subdivision: "UA-43" });
    current = GeoIpDatabase.fromBuffer("country.mmdb", countryDb());
    expect(r.lookup(IP.crimea)).to.deep.equal({ country: "UA", subdivision: null, source: "geoip" });
  });
});

describe("region: client addresses remembered per peer and X-Forwarded-For", () => {
  const stable = (setup: Setup = {}): RegionResolver =>
    new RegionResolver({ trust: compileTrust(setup.trustProxy ?? "loopback"), trustIsStable: true, database: () => city, clock: () => NOW, cacheSize: setup.cacheSize ?? 100 });

  it("gives the same answers as working it out every time, for any peer and header (property)", () => {
    const remembered = stable({ cacheSize: 8 });
    const fresh = resolver({ cacheSize: 0 });
    const hop = fc.oneof(fc.constantFrom(...Object.values(IP), "127.0.0.1", "::1", "", " ", "garbage", "::ffff:77.88.8.8"), fc.ipV4(), fc.ipV6());
    fc.assert(
      fc.property(
        fc.array(fc.record({ peer: fc.constantFrom("127.0.0.1", "::1", "::ffff:127.0.0.1", IP.berlin), xff: fc.option(fc.array(hop, { maxLength: 4 }).map((h) => h.join(", ")), { nil: undefined }) }), { maxLength: 30 }),
        (requests) => {
          for (const { peer, xff } of requests) {
            const headers: Record<string, string> = xff === undefined ? {} : { "x-forwarded-for": xff };
            expect(resolve(remembered, peer, headers), `${peer} ${xff}`).to.deep.equal(resolve(fresh, peer, headers));
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it("tells apart the same peer with different, empty and missing headers", () => {
    const r = stable();
    expect(resolve(r, "127.0.0.1", { "x-forwarded-for": IP.moscow })).to.include({ country: "RU" });
    expect(resolve(r, "127.0.0.1", { "x-forwarded-for": IP.berlin })).to.include({ country: "DE" });
    expect(resolve(r, "127.0.0.1", { "x-forwarded-for": "" })).to.include({ country: null });
    expect(resolve(r, "127.0.0.1")).to.include({ country: null });
    expect(resolve(r, IP.berlin, { "x-forwarded-for": IP.moscow }), "an untrusted peer's header is not believed").to.include({ country: "DE" });
  });

  it("asks a trust function the app wrote on every request", () => {
    let trusting = true;
    const r = new RegionResolver({ trust: compileTrust(() => trusting), trustIsStable: false, database: () => city, clock: () => NOW, cacheSize: 100 });
    expect(resolve(r, "127.0.0.1", { "x-forwarded-for": IP.moscow })).to.include({ country: "RU" });
    trusting = false;
    expect(resolve(r, "127.0.0.1", { "x-forwarded-for": IP.moscow })).to.include({ country: null });
  });
});

describe("region: address classification", () => {
  it("a database that fails on a lookup gives no region with the reason, and the failure is not cached", () => {
    let fail = true;
    const flaky = Object.create(city, {
      lookup: { value: (address: string) => (fail ? (() => { throw new Error("damaged"); })() : city.lookup(address)) },
    }) as GeoIpDatabase;
    const r = resolver({ database: () => flaky });
    expect(r.lookup(IP.crimea)).to.deep.equal({ country: null, subdivision: null, source: "none", reason: "GeoIP lookup failed" });
    fail = false;
    expect(r.lookup(IP.crimea)).to.include({ subdivision: "UA-43", source: "geoip" });
  });
});
