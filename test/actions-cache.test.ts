import { expect } from "chai";
import express5 from "express";
import express4 from "express4";
import { join } from "node:path";
import { cacheScope, CacheSafety, privateCacheControl } from "../src/actions/cache.js";
import { geoCompliance } from "../src/index.js";
import { packageRoot, shippedRulesDir } from "../src/package-root.js";
import type { Action } from "../src/rules/actions.js";
import { compileRules } from "../src/rules/compile.js";
import { actionMiddleware, RU, ruleLike, ruleSetWith, shippedRuleSet, US } from "./support/action-site.js";
import { listen, type Running } from "./support/server.js";

type ExpressLike = typeof express5;

const RULE = "ru-undesirable-organization";
const NOTICE: Action = { kind: "notice", rule: RULE, language: "en", placement: { at: "body-start" }, dismissible: false };

describe("Cache-Control merge", () => {
  it("adds private without weakening what the app asked for", () => {
    expect(privateCacheControl(null)).to.equal("private");
    expect(privateCacheControl("")).to.equal("private");
    expect(privateCacheControl("public, max-age=600")).to.equal("private, max-age=600");
    expect(privateCacheControl("max-age=60, must-revalidate")).to.equal("private, max-age=60, must-revalidate");
    expect(privateCacheControl("public, s-maxage=3600, max-age=60, proxy-revalidate")).to.equal("private, max-age=60");
    expect(privateCacheControl("no-cache")).to.equal("private, no-cache");
    // no-store already keeps every cache away: left exactly as it is.
    expect(privateCacheControl("no-store")).to.equal(null);
    expect(privateCacheControl("public, no-store, max-age=0")).to.equal(null);
    expect(privateCacheControl("private, max-age=60")).to.equal(null);
    expect(privateCacheControl("PRIVATE")).to.equal(null);
    // A qualified private leaves the rest of the response to shared caches.
    expect(privateCacheControl('private="Set-Cookie", max-age=60')).to.equal("private, max-age=60");
    expect(privateCacheControl('max-age=60, no-cache="Set-Cookie, X-A"')).to.equal('private, max-age=60, no-cache="Set-Cookie, X-A"');
  });
});

describe("which paths the rules can treat differently by region", () => {
  const base = shippedRuleSet();

  it("is every path while any rule applies to every path (today's rule language), and none without rules", () => {
    expect(cacheScope(base, "/")).to.deep.equal({ byRegion: true, byGpc: false });
    expect(cacheScope(base, "/static/site.css")).to.deep.equal({ byRegion: true, byGpc: false });
    const empty = compileRules([], [], new Date());
    expect(cacheScope(empty, "/")).to.deep.equal({ byRegion: false, byGpc: false });
  });

  it("asks rules limited by paths about the path, and notes rules that depend on Sec-GPC", () => {
    const news = ruleLike(base, "news-only", { paths: (p: string) => (p.startsWith("/news/") ? (p.startsWith("/news/open/") ? "excluded" : "ok") : "not-included"), whenGpc: true });
    const limited = ruleSetWith(base, [news]);
    expect(cacheScope(limited, "/news/1")).to.deep.equal({ byRegion: true, byGpc: true });
    expect(cacheScope(limited, "/news/open/1")).to.deep.equal({ byRegion: false, byGpc: false });
    expect(cacheScope(limited, "/about")).to.deep.equal({ byRegion: false, byGpc: false });
    // Matched as the decision matches: percent-encoding decoded.
    const cyrillic = ruleLike(base, "novosti", { paths: (p: string) => (p.startsWith("/новости/") ? "ok" : "not-included") });
    expect(cacheScope(ruleSetWith(base, [cyrillic]), "/%D0%BD%D0%BE%D0%B2%D0%BE%D1%81%D1%82%D0%B8/1").byRegion).to.equal(true);
    expect(cacheScope(ruleSetWith(base, [cyrillic]), "/%E0%A4%A/1").byRegion).to.equal(false);
    const mixed = ruleSetWith(base, [...base.rules, news]);
    expect(cacheScope(mixed, "/about")).to.deep.equal({ byRegion: true, byGpc: false });
    expect(cacheScope(mixed, "/news/1")).to.deep.equal({ byRegion: true, byGpc: true });
  });

  it("refuses a region header name that is not one", () => {
    expect(() => new CacheSafety(["CF-IPCountry", "bad header"])).to.throw(TypeError, /"bad header" is not a request header name/);
  });
});

function cachingRoutes(app: ReturnType<typeof express5>): void {
  app.get("/none", (_req, res) => {
    res.type("html").send("<p>none</p>");
  });
  app.get("/public", (_req, res) => {
    res.set("Cache-Control", "public, max-age=600").type("html").send("<p>public</p>");
  });
  app.get("/no-store", (_req, res) => {
    res.set("Cache-Control", "no-store").type("html").send("<p>no-store</p>");
  });
  app.get("/private", (_req, res) => {
    res.set("Cache-Control", "private, max-age=60").type("html").send("<p>private</p>");
  });
  app.get("/cdn-header", (_req, res) => {
    res.set("Cache-Control", "public, max-age=60").set("CDN-Cache-Control", "max-age=86400").set("Surrogate-Control", "max-age=86400").type("html").send("<p>cdn</p>");
  });
  app.get("/write-head", (_req, res) => {
    res.writeHead(200, { "Content-Type": "text/plain", "Cache-Control": "public, s-maxage=600" });
    res.end("written");
  });
  app.get("/vary", (_req, res) => {
    res.set("Cache-Control", "public, max-age=600").set("Vary", "Accept-Encoding").type("html").send("<p>vary</p>");
  });
  app.use("/static", express5.static(join(packageRoot(), "demo", "static")));
}

for (const [name, express] of [
  ["Express 5", express5],
  ["Express 4", express4 as unknown as ExpressLike],
] as const) {
  describe(`cache safety over HTTP (${name})`, () => {
    describe("region from the reader's address (GeoIP)", () => {
      let server: Running;
      let compliance: ReturnType<typeof geoCompliance>;

      before(async () => {
        // The real middleware with the shipped rules: the Russia rule can change any path.
        compliance = geoCompliance({ rules: shippedRulesDir(), trustProxy: ["loopback"], decisionLog: false });
        const app = express();
        app.use(compliance);
        cachingRoutes(app as unknown as ReturnType<typeof express5>);
        server = await listen(app);
      });
      after(async () => {
        await server.close();
        await compliance.close();
      });

      const cacheControl = async (path: string, ip: string) => {
        const res = await fetch(`${server.url}${path}`, { headers: { "X-Forwarded-For": ip } });
        await res.arrayBuffer();
        return res.headers.get("cache-control");
      };

      it("marks every response private, for readers the rules protect and for those they leave alone", async () => {
        for (const ip of [RU, US]) {
          expect(await cacheControl("/none", ip), ip).to.equal("private");
          expect(await cacheControl("/public", ip), ip).to.equal("private, max-age=600");
          expect(await cacheControl("/write-head", ip), ip).to.equal("private");
          expect(await cacheControl("/static/site.css", ip), ip).to.equal("private, max-age=0");
        }
      });

      it("keeps no-store and an existing private exactly as the app set them", async () => {
        for (const ip of [RU, US]) {
          expect(await cacheControl("/no-store", ip), ip).to.equal("no-store");
          expect(await cacheControl("/private", ip), ip).to.equal("private, max-age=60");
        }
      });

      it("removes CDN-only cache headers that would let a CDN store the page anyway", async () => {
        const res = await fetch(`${server.url}/cdn-header`, { headers: { "X-Forwarded-For": US } });
        expect(res.headers.get("cache-control")).to.equal("private, max-age=60");
        expect(res.headers.get("cdn-cache-control")).to.equal(null);
        expect(res.headers.get("surrogate-control")).to.equal(null);
      });
    });

    describe("region from a trusted CDN header", () => {
      let server: Running;

      before(async () => {
        const app = express();
        app.use(
          actionMiddleware({
            regionHeaders: ["CF-IPCountry", "CF-Region-Code"],
            actionsFor: (region, facts) => (region.country === "RU" && facts.path === "/vary" ? [NOTICE] : []),
          }),
        );
        cachingRoutes(app as unknown as ReturnType<typeof express5>);
        server = await listen(app);
      });
      after(() => server.close());

      it("varies on the region headers and leaves Cache-Control to the app", async () => {
        const res = await fetch(`${server.url}/public`, { headers: { "CF-IPCountry": "US" } });
        expect(res.headers.get("vary")).to.equal("cf-ipcountry, cf-region-code");
        expect(res.headers.get("cache-control")).to.equal("public, max-age=600");
        const none = await fetch(`${server.url}/none`, { headers: { "CF-IPCountry": "DE" } });
        expect(none.headers.get("vary")).to.equal("cf-ipcountry, cf-region-code");
        expect(none.headers.get("cache-control")).to.equal(null);
      });

      it("adds to the app's Vary, and varies on Accept-Language when the page carries a localized notice", async () => {
        const us = await fetch(`${server.url}/vary`, { headers: { "CF-IPCountry": "US" } });
        expect(us.headers.get("vary")).to.equal("Accept-Encoding, cf-ipcountry, cf-region-code");
        const ru = await fetch(`${server.url}/vary`, { headers: { "CF-IPCountry": "RU" } });
        expect(await ru.text()).to.contain("geo-compliance-notice");
        expect(ru.headers.get("vary")).to.equal("Accept-Encoding, cf-ipcountry, cf-region-code, accept-language");
        expect(ru.headers.get("cache-control")).to.equal("public, max-age=600");
      });

      it("falls back to private when the same site finds a reader's region by address", async () => {
        const res = await fetch(`${server.url}/public`, { headers: { "X-Forwarded-For": US } });
        expect(res.headers.get("vary")).to.equal(null);
        expect(res.headers.get("cache-control")).to.equal("private, max-age=600");
      });
    });

    describe("a rule set with no rules", () => {
      it("leaves every response as the app made it", async () => {
        const app = express();
        app.use(actionMiddleware({ ruleset: compileRules([], [], new Date()) }));
        cachingRoutes(app as unknown as ReturnType<typeof express5>);
        const server = await listen(app);
        try {
          const res = await fetch(`${server.url}/public`, { headers: { "X-Forwarded-For": RU } });
          expect(res.headers.get("cache-control")).to.equal("public, max-age=600");
          const none = await fetch(`${server.url}/none`, { headers: { "X-Forwarded-For": RU } });
          expect(none.headers.get("cache-control")).to.equal(null);
        } finally {
          await server.close();
        }
      });
    });
  });
}
