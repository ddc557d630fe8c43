import { expect } from "chai";
import express5 from "express";
import express4 from "express4";
import { join } from "node:path";
import { cacheScope, CacheSafety, privateCacheControl, reachesResponse, responseKind } from "../src/actions/cache.js";
import { mkdtempSync, writeFileSync } from "node:fs";
import { get as httpGet, type IncomingMessage } from "node:http";
import { tmpdir } from "node:os";
import { DECISION_HEADER, geoCompliance, OptionsError, shippedRules, type GeoComplianceOptions } from "../src/index.js";
import { packageRoot, shippedRulesDir } from "../src/package-root.js";
import type { Action } from "../src/rules/actions.js";
import { compileRules } from "../src/rules/compile.js";
import { actionMiddleware, RU, ruleLike, ruleSetWith, shippedRuleSet, US } from "./support/action-site.js";
import { russiaNoticeOnlyRules } from "./support/rules.js";
import { listen, MemoryLog, type Running } from "./support/server.js";

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
    // The shipped Russia rule sends Referrer-Policy (a document policy) and switches trackers off.
    const shipped = { byRegion: true, byGpc: false, scripts: true, styles: true, assets: false, cookies: true };
    expect(cacheScope(base, "/")).to.deep.equal(shipped);
    expect(cacheScope(base, "/static/site.css")).to.deep.equal(shipped);
    const empty = compileRules([], [], new Date());
    expect(cacheScope(empty, "/")).to.deep.equal({ byRegion: false, byGpc: false, scripts: false, styles: false, assets: false, cookies: false });
  });

  it("asks rules limited by paths about the path, and notes rules that depend on Sec-GPC", () => {
    const news = ruleLike(base, "news-only", { paths: (p: string) => (p.startsWith("/news/") ? (p.startsWith("/news/open/") ? "excluded" : "ok") : "not-included"), whenGpc: true });
    const limited = ruleSetWith(base, [news]);
    const none = { byRegion: false, byGpc: false, scripts: false, styles: false, assets: false, cookies: false };
    expect(cacheScope(limited, "/news/1")).to.deep.include({ byRegion: true, byGpc: true });
    expect(cacheScope(limited, "/news/open/1")).to.deep.equal(none);
    expect(cacheScope(limited, "/about")).to.deep.equal(none);
    // Matched as the decision matches: percent-encoding decoded.
    const cyrillic = ruleLike(base, "novosti", { paths: (p: string) => (p.startsWith("/новости/") ? "ok" : "not-included") });
    expect(cacheScope(ruleSetWith(base, [cyrillic]), "/%D0%BD%D0%BE%D0%B2%D0%BE%D1%81%D1%82%D0%B8/1").byRegion).to.equal(true);
    expect(cacheScope(ruleSetWith(base, [cyrillic]), "/%E0%A4%A/1").byRegion).to.equal(false);
    const mixed = ruleSetWith(base, [...base.rules, news]);
    expect(cacheScope(mixed, "/about")).to.deep.include({ byRegion: true, byGpc: false });
    expect(cacheScope(mixed, "/news/1")).to.deep.include({ byRegion: true, byGpc: true });
  });

  it("notes what each rule's actions reach: pages only, scripts, assets, responses that set cookies", () => {
    const [ru] = base.rules.filter((r) => r.id === RULE);
    const only = (overrides: Record<string, unknown>) => cacheScope(ruleSetWith(base, [ruleLike(base, "r", { trackers: null, cookies: null, headers: [], headerKeys: [], block: null, redirect: null, ...overrides })]), "/");
    expect(only({}), "a notice reaches pages only").to.deep.equal({ byRegion: true, byGpc: false, scripts: false, styles: false, assets: false, cookies: false });
    expect(only({ trackers: ru!.trackers }), "trackers rewrite scripts and stylesheets, not images").to.deep.include({ scripts: true, styles: true, assets: false, cookies: true });
    expect(only({ headers: [{ kind: "header", rule: "r", name: "Referrer-Policy", value: "no-referrer" }], headerKeys: ["referrer-policy"] })).to.deep.include({ scripts: true, styles: false, assets: false, cookies: false });
    expect(only({ headers: [{ kind: "header", rule: "r", name: "X-Robots-Tag", value: "noindex" }], headerKeys: ["x-robots-tag"] })).to.deep.include({ scripts: true, assets: true });
    expect(only({ block: { status: 451 } }), "a block withholds assets too").to.deep.include({ scripts: true, assets: true });
  });

  it("tells pages, scripts and assets apart by Content-Type, and by extension when there is none (a 304)", () => {
    const kindOf = (type: string | undefined, path = "/x") => {
      const headers: Record<string, string> = type === undefined ? {} : { "content-type": type };
      return responseKind({ getHeader: (name: string) => headers[name] } as never, path);
    };
    expect(kindOf("text/html; charset=utf-8")).to.equal("page");
    expect(kindOf("image/svg+xml"), "SVG is a document").to.equal("page");
    expect(kindOf("text/plain")).to.equal("page");
    expect(kindOf("application/json")).to.equal("page");
    expect(kindOf("text/javascript; charset=UTF-8")).to.equal("script");
    expect(kindOf("application/javascript")).to.equal("script");
    expect(kindOf("text/css; charset=UTF-8")).to.equal("style");
    for (const type of ["image/png", "image/webp", "font/woff2", "video/mp4", "audio/mpeg"]) expect(kindOf(type), type).to.equal("asset");
    expect(kindOf(undefined, "/static/site.css")).to.equal("style");
    expect(kindOf(undefined, "/static/app.mjs")).to.equal("script");
    expect(kindOf(undefined, "/articles/1")).to.equal("page");
    const scope = { byRegion: true, byGpc: false, scripts: false, styles: false, assets: false, cookies: true };
    expect(reachesResponse(scope, "page", false)).to.equal(true);
    expect(reachesResponse(scope, "style", false)).to.equal(false);
    expect(reachesResponse({ ...scope, styles: true }, "style", false), "a stylesheet the trackers rewrite").to.equal(true);
    expect(reachesResponse({ ...scope, styles: true }, "asset", false), "an image they do not").to.equal(false);
    expect(reachesResponse(scope, "asset", false)).to.equal(false);
    expect(reachesResponse(scope, "asset", true), "a dropped cookie changes it").to.equal(true);
    expect(reachesResponse({ ...scope, byRegion: false }, "page", false)).to.equal(false);
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

      it("marks every page private, for readers the rules protect and for those they leave alone", async () => {
        for (const ip of [RU, US]) {
          expect(await cacheControl("/none", ip), ip).to.equal("private");
          expect(await cacheControl("/public", ip), ip).to.equal("private, max-age=600");
          expect(await cacheControl("/write-head", ip), ip).to.equal("private");
          // The shipped rule's trackers rewrite stylesheets: one differs by region like a page.
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

/** express.static as sites serve fingerprinted assets: a year, immutable. */
function assetFolder(): string {
  const dir = mkdtempSync(join(tmpdir(), "gc-assets-"));
  writeFileSync(join(dir, "site.css"), "body { color: #222 }\n");
  writeFileSync(join(dir, "app.js"), "console.log('app');\n");
  writeFileSync(join(dir, "pixel.png"), Buffer.from("89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d4944415478da63f8ffff3f0005fe02fea7d6a8d30000000049454e44ae426082", "hex"));
  return dir;
}

const IMMUTABLE = "public, max-age=31536000, immutable";

for (const [name, express] of [
  ["Express 5", express5],
  ["Express 4", express4 as unknown as ExpressLike],
] as const) {
  describe(`static assets and skip() over HTTP (${name})`, () => {
    const assets = assetFolder();

    async function start(options: Partial<GeoComplianceOptions>) {
      const log = new MemoryLog();
      const compliance = geoCompliance({ rules: shippedRules, trustProxy: ["loopback"], decisionLog: { destination: log }, watch: false, ...options });
      const app = express();
      app.use(compliance);
      app.use("/assets", express.static(assets, { immutable: true, maxAge: "1y" }));
      app.get("/tracked.png", (_req, res) => {
        res.set("Cache-Control", "public, max-age=600").cookie("_ga", "GA1.1.1").type("png").send(Buffer.from("png"));
      });
      app.get("/", (_req, res) => {
        res.set("Cache-Control", "public, max-age=600").type("html").send("<html><body><p>page</p></body></html>");
      });
      const server = await listen(app);
      return {
        log,
        url: server.url,
        get: async (path: string, ip: string, headers: Record<string, string> = {}) => {
          const res = await fetch(`${server.url}${path}`, { headers: { "X-Forwarded-For": ip, ...headers } });
          await res.arrayBuffer();
          return res;
        },
        close: async () => {
          await server.close();
          await compliance.close();
        },
      };
    }

    it("images keep their Cache-Control, stylesheets under tracker rules are private, and neither gets a document policy; pages are still private", async () => {
      const site = await start({});
      try {
        for (const ip of [RU, US]) {
          for (const path of ["/assets/site.css", "/assets/pixel.png"]) {
            const res = await site.get(path, ip);
            expect(res.status, path).to.equal(200);
            expect(res.headers.get("cache-control"), `${path} ${ip}`).to.equal(path.endsWith(".css") ? `private, ${IMMUTABLE.replace("public, ", "")}` : IMMUTABLE);
            expect(res.headers.get("content-security-policy"), path).to.equal(null);
            expect(res.headers.get("referrer-policy"), path).to.equal(null);
            // Still decided and logged: the asset is only left out of what the rules cannot change.
            expect(res.headers.get(DECISION_HEADER), path).to.match(/^[0-9a-f-]{36}$/);
          }
          expect((await site.get("/", ip)).headers.get("cache-control"), ip).to.equal("private, max-age=600");
        }
        // A revalidation answers 304 without Content-Type: the extension says it is an image.
        // (node:http, as fetch adds Cache-Control: no-cache to conditional requests.)
        const revalidate = async (path: string, accept: string): Promise<IncomingMessage> => {
          const first = await site.get(path, RU);
          return new Promise<IncomingMessage>((resolve, reject) =>
            httpGet(`${site.url}${path}`, { headers: { "X-Forwarded-For": RU, Accept: accept, "If-None-Match": first.headers.get("etag")! } }, (res) => resolve(res.resume())).on("error", reject),
          );
        };
        const image = await revalidate("/assets/pixel.png", "image/*");
        expect(image.statusCode).to.equal(304);
        expect(image.headers["content-type"]).to.equal(undefined);
        expect(image.headers["cache-control"]).to.equal(IMMUTABLE);
        // A protected reader's stylesheet is revalidated against the rewritten file's validator.
        const style = await revalidate("/assets/site.css", "text/css,*/*;q=0.1");
        expect(style.statusCode).to.equal(304);
        expect(style.headers["cache-control"]).to.equal(`private, ${IMMUTABLE.replace("public, ", "")}`);
      } finally {
        await site.close();
      }
    });

    it("a script carries the rules' policies (a worker obeys its own), so under tracker rules it is private; under notice rules it keeps its caching", async () => {
      const shipped = await start({});
      try {
        const ru = await shipped.get("/assets/app.js", RU);
        expect(ru.headers.get("content-security-policy")).to.match(/^default-src /);
        expect(ru.headers.get("cache-control")).to.equal("private, max-age=31536000, immutable");
        expect((await shipped.get("/assets/app.js", US)).headers.get("cache-control")).to.equal("private, max-age=31536000, immutable");
      } finally {
        await shipped.close();
      }
      const notices = await start({ rules: russiaNoticeOnlyRules() });
      try {
        for (const ip of [RU, US]) expect((await notices.get("/assets/app.js", ip)).headers.get("cache-control"), ip).to.equal(IMMUTABLE);
        expect((await notices.get("/", RU)).headers.get("cache-control")).to.equal("private, max-age=600");
      } finally {
        await notices.close();
      }
    });

    it("an asset that sets a tracking cookie is changed by the rules, so it is private for every reader", async () => {
      const site = await start({});
      try {
        const ru = await site.get("/tracked.png", RU);
        expect(ru.headers.get("set-cookie")).to.equal(null);
        expect(ru.headers.get("cache-control")).to.equal("private, max-age=600");
        const us = await site.get("/tracked.png", US);
        expect(us.headers.get("set-cookie")).to.match(/^_ga=/);
        expect(us.headers.get("cache-control")).to.equal("private, max-age=600");
      } finally {
        await site.close();
      }
    });

    it("skip(req) leaves a request out entirely: no decision header, no marking, no log line", async () => {
      const site = await start({ skip: (req) => req.url?.startsWith("/assets/") === true });
      try {
        const js = await site.get("/assets/app.js", RU);
        expect(js.headers.get(DECISION_HEADER)).to.equal(null);
        expect(js.headers.get("content-security-policy")).to.equal(null);
        expect(js.headers.get("cache-control")).to.equal(IMMUTABLE);
        const page = await site.get("/", RU);
        expect(page.headers.get(DECISION_HEADER)).to.match(/^[0-9a-f-]{36}$/);
        const lines = await site.log.waitFor(1);
        await new Promise((r) => setTimeout(r, 50));
        expect(site.log.decisions().map((l) => l.path ?? l.decision_id)).to.have.length(1);
        expect(lines[0]!.decision_id).to.equal(page.headers.get(DECISION_HEADER));
      } finally {
        await site.close();
      }
    });

    it("a skip() that throws leaves the request to the rules, and its log line says why", async () => {
      const site = await start({
        skip: () => {
          throw new Error("no route table yet");
        },
      });
      try {
        const page = await site.get("/", RU);
        expect(page.headers.get(DECISION_HEADER)).to.match(/^[0-9a-f-]{36}$/);
        const [line] = await site.log.waitFor(1);
        expect(line!.error).to.equal("skip() threw: no route table yet");
      } finally {
        await site.close();
      }
    });
  });
}

describe("options: skip", () => {
  it("must be a function", () => {
    expect(() => geoCompliance({ rules: shippedRules, decisionLog: false, skip: "/assets" as never })).to.throw(OptionsError, /skip must be a function/);
  });
});
