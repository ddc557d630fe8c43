import { expect } from "chai";
import express from "express";
import { geoCompliance, mintPreviewToken, OptionsError, type GeoComplianceOptions, type Region, shippedRules } from "../src/index.js";
import { ARTICLE, countNotices } from "./support/pages.js";
import { cityDbFile, IP, PREVIEW_SECRET } from "./support/region-fixtures.js";
import { listen, MemoryLog, type Running } from "./support/server.js";
import { RUSSIA_RULE_FILE } from "./support/rules.js";

const RUSSIA_RULE = 'data-geo-compliance-notice="ru-undesirable-organization"';

type IsAny<T> = 0 extends 1 & T ? true : false;

function site(options: Partial<GeoComplianceOptions>) {
  const log = new MemoryLog();
  const compliance = geoCompliance({ rules: RUSSIA_RULE_FILE, decisionLog: { destination: log }, ...options });
  const app = express();
  app.use(compliance);
  app.get("/article", (_req, res) => {
    res.type("html").send(ARTICLE);
  });
  app.get("/region", (_req, res) => {
    // Typed for the app: a check that fails to compile if `geoCompliance` were `any`.
    const typed: IsAny<typeof res.locals.geoCompliance> = false;
    const region: Region | undefined = res.locals.geoCompliance?.region;
    res.json({ typed, region });
  });
  return { app, compliance, log };
}

describe("region over HTTP", () => {
  const database = cityDbFile();
  let server: Running;
  let built: ReturnType<typeof site>;

  before(async () => {
    built = site({ geoip: { database }, trustProxy: "loopback", regionHeaders: ["cloudflare"], preview: { secret: PREVIEW_SECRET } });
    server = await listen(built.app);
  });
  after(async () => {
    await server.close();
    await built.compliance.close();
  });

  const get = (path: string, headers: Record<string, string>) => fetch(`${server.url}${path}`, { headers });

  it("an address a City database places in UA-43 gets the Russia rule's notice, and the log says so", async () => {
    const res = await get("/article", { "X-Forwarded-For": IP.crimea, "Accept-Language": "uk" });
    const body = await res.text();
    expect(countNotices(body)).to.equal(1);
    expect(body).to.contain(RUSSIA_RULE).and.contain('lang="uk"');
    const id = res.headers.get("geo-compliance-decision");
    const line = (await built.log.waitFor(1)).find((l) => l.decision_id === id);
    expect(line?.region).to.deep.equal({ country: "UA", subdivision: "UA-43", source: "geoip" });
    expect(line?.rules).to.deep.equal(["ru-undesirable-organization"]);
  });

  it("so does an IPv6 address in UA-43 and its IPv4-mapped form", async () => {
    for (const ip of [IP.crimea6, `::ffff:${IP.crimea}`]) {
      const body = await (await get("/article", { "X-Forwarded-For": ip })).text();
      expect(countNotices(body), ip).to.equal(1);
    }
  });

  it("a reader elsewhere in Ukraine or in Germany gets the page untouched", async () => {
    for (const ip of [IP.kyiv, IP.berlin]) {
      const res = await get("/article", { "X-Forwarded-For": ip });
      expect(await res.text(), ip).to.equal(ARTICLE);
    }
  });

  it("puts the typed region in res.locals.geoCompliance.region", async () => {
    const json = (await (await get("/region", { "X-Forwarded-For": IP.california })).json()) as { typed: boolean; region: Region };
    expect(json).to.deep.equal({ typed: false, region: { country: "US", subdivision: "US-CA", source: "geoip" } });
  });

  it("a signed preview in a cookie or a header shows a reader in Berlin the page as a reader in UA-43 sees it", async () => {
    const token = mintPreviewToken(PREVIEW_SECRET, "UA-43", new Date(Date.now() + 3600_000));
    const carriers: Array<Record<string, string>> = [{ Cookie: `theme=dark; geo_compliance_preview=${token}` }, { "Geo-Compliance-Preview": token }];
    for (const headers of carriers) {
      const res = await get("/article", { "X-Forwarded-For": IP.berlin, ...headers });
      expect(countNotices(await res.text()), Object.keys(headers)[0]).to.equal(1);
      const region = ((await (await get("/region", { "X-Forwarded-For": IP.berlin, ...headers })).json()) as { region: Region }).region;
      expect(region).to.include({ country: "UA", subdivision: "UA-43", source: "preview" });
    }
  });

  it("an expired, tampered or foreign preview is ignored with the reason, and the reader's own region stands", async () => {
    const expired = mintPreviewToken(PREVIEW_SECRET, "UA-43", new Date(Date.now() - 1000));
    const good = mintPreviewToken(PREVIEW_SECRET, "US-CA", new Date(Date.now() + 3600_000));
    const tampered = good.replace("US-CA", "UA-43");
    const foreign = mintPreviewToken("some-other-secret-that-is-long-enough-123", "UA-43", new Date(Date.now() + 3600_000));
    for (const [token, reason] of [
      [expired, /expired/],
      [tampered, /signature does not match/],
      [foreign, /signature does not match/],
    ] as const) {
      const res = await get("/article", { "X-Forwarded-For": IP.berlin, "Geo-Compliance-Preview": token });
      expect(await res.text()).to.equal(ARTICLE);
      const region = ((await (await get("/region", { "X-Forwarded-For": IP.berlin, "Geo-Compliance-Preview": token })).json()) as { region: Region }).region;
      expect(region).to.include({ country: "DE", source: "geoip" });
      expect(region.reason).to.match(reason);
    }
  });

  it("a CDN header is believed from the trusted proxy", async () => {
    const res = await get("/article", { "X-Forwarded-For": IP.berlin, "CF-IPCountry": "RU" });
    expect(countNotices(await res.text())).to.equal(1);
  });
});

describe("region over HTTP: what is not believed", () => {
  it("without a preview secret, previews are off: a token is not even read", async () => {
    const token = mintPreviewToken(PREVIEW_SECRET, "UA-43", new Date(Date.now() + 3600_000));
    const { app, compliance } = site({ geoip: { database: cityDbFile() }, trustProxy: "loopback", preview: { secret: undefined } });
    const s = await listen(app);
    try {
      const res = await fetch(`${s.url}/region`, { headers: { "X-Forwarded-For": IP.berlin, "Geo-Compliance-Preview": token } });
      expect(((await res.json()) as { region: Region }).region).to.deep.equal({ country: "DE", subdivision: "DE-BE", source: "geoip" });
    } finally {
      await s.close();
      await compliance.close();
    }
  });

  it("spoofed X-Forwarded-For and CDN headers from a peer that is not trusted are ignored", async () => {
    // Only 10.0.0.0/8 is a proxy here, so this test client on 127.0.0.1 is a reader like any other.
    const { app, compliance } = site({ geoip: { database: cityDbFile() }, trustProxy: ["10.0.0.0/8"], regionHeaders: ["cloudflare", "vercel"] });
    const s = await listen(app);
    try {
      const headers = { "X-Forwarded-For": IP.crimea, "CF-IPCountry": "RU", "X-Vercel-IP-Country": "UA", "X-Vercel-IP-Country-Region": "43" };
      const body = await (await fetch(`${s.url}/article`, { headers })).text();
      expect(body).to.equal(ARTICLE);
      const region = ((await (await fetch(`${s.url}/region`, { headers })).json()) as { region: Region }).region;
      expect(region).to.deep.equal({ country: null, subdivision: null, source: "none", reason: "loopback address" });
    } finally {
      await s.close();
      await compliance.close();
    }
  });
});

describe("region options are checked at construction", () => {
  const cases: Array<[Partial<GeoComplianceOptions>, RegExp]> = [
    [{ regionHeaders: ["akamai"] as never }, /regionHeaders\[0\]: unknown CDN "akamai"/],
    [{ regionHeaders: [{ country: "bad header" }] }, /regionHeaders\[0\]\.country/],
    [{ networks: [{ cidr: "10.0.0.0/8", region: "Crimea" }] }, /networks\[0\]\.region/],
    [{ networks: [{ cidr: "10.0.0.0/99", region: "UA-43" }] }, /networks\[0\]\.cidr/],
    [{ preview: { secret: "too-short" } }, /preview\.secret: .*at least 32/],
    [{ preview: { secret: PREVIEW_SECRET, cookie: "bad cookie" } }, /preview\.cookie/],
    [{ preview: { secret: PREVIEW_SECRET, key: 1 } as never }, /unknown option "preview\.key"/],
    [{ geoip: { cacheSize: -1 } }, /geoip\.cacheSize/],
    [{ geoip: { watch: "yes" as never } }, /geoip\.watch/],
    [{ trustProxy: ["10.0.0.0/40"] }, /trustProxy/],
  ];
  for (const [options, message] of cases) {
    it(`refuses ${JSON.stringify(options)}`, () => {
      expect(() => geoCompliance({ rules: shippedRules, ...options, decisionLog: false })).to.throw(OptionsError, message);
    });
  }
});
