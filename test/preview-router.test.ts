import { expect } from "chai";
import express5 from "express";
import express4 from "express4";
import { join } from "node:path";
import { geoCompliance, verifyPreviewToken, type GeoComplianceOptions } from "../src/index.js";
import { mintPreviewContext, previewContextCookie } from "../src/http/preview-context.js";
import { mintSession, SESSION_COOKIE } from "../src/http/preview/session.js";
import { packageRoot, shippedRulesDir } from "../src/package-root.js";
import { RuleStore } from "../src/rules/store.js";
import { createDemoSite } from "../demo/app.js";
import { PREVIEW_SECRET } from "./support/region-fixtures.js";
import { listen, MemoryLog, type Running } from "./support/server.js";

type ExpressLike = typeof express5;
const BASE = "/_preview";
const DE_IP = "85.214.132.117";
/** What a browser sends for a navigation inside a frame; a tab's own page says `document`. */
const IN_FRAME = { "Sec-Fetch-Dest": "iframe", "Sec-Fetch-Mode": "navigate" };

interface Site {
  server: Running;
  log: MemoryLog;
  compliance: ReturnType<typeof geoCompliance>;
  close(): Promise<void>;
}

async function start(options: Partial<GeoComplianceOptions> = {}, express: ExpressLike = express5, order: "preview-first" | "middleware-first" = "preview-first"): Promise<Site> {
  const log = new MemoryLog();
  const compliance = geoCompliance({ rules: shippedRulesDir(), trustProxy: ["loopback"], preview: { secret: PREVIEW_SECRET }, decisionLog: { destination: log }, ...options });
  const app = express();
  if (order === "preview-first") app.use(BASE, compliance.previewRouter);
  app.use(createDemoSite(compliance));
  if (order === "middleware-first") app.use(BASE, compliance.previewRouter);
  const server = await listen(app);
  return { server, log, compliance, close: async () => (await server.close(), await compliance.close()) };
}

function cookiesOf(res: Response): Record<string, string> {
  return Object.fromEntries(res.headers.getSetCookie().map((c) => c.split(";")[0]!.split(/=(.*)/s).slice(0, 2) as [string, string]));
}

async function signIn(site: Site, secret = PREVIEW_SECRET): Promise<{ res: Response; cookie: string }> {
  const res = await fetch(`${site.server.url}${BASE}/login`, { method: "POST", body: new URLSearchParams({ secret }), redirect: "manual" });
  const value = cookiesOf(res)[SESSION_COOKIE];
  return { res, cookie: value ? `${SESSION_COOKIE}=${value}` : "" };
}

const get = (site: Site, path: string, cookie = "", headers: Record<string, string> = {}): Promise<Response> =>
  fetch(`${site.server.url}${path}`, { headers: { ...(cookie ? { cookie } : {}), ...headers }, redirect: "manual" });

describe("reader preview over HTTP", () => {
  describe("off without a preview secret", () => {
    for (const preview of [undefined, { secret: "" }, { secret: undefined }]) {
      it(`passes everything on to the app, saying nothing of the preview (preview: ${JSON.stringify(preview)})`, async () => {
        const site = await start({ preview });
        try {
          for (const [method, path] of [["GET", "/"], ["GET", "/frame?region=UA-43"], ["POST", "/login"], ["GET", "/preview.css"]] as const) {
            const res = await fetch(`${site.server.url}${BASE}${path}`, { method, redirect: "manual", ...(method === "POST" ? { body: "secret=x" } : {}) });
            expect(res.status, `${method} ${path}`).to.equal(404);
            // Express's own 404, after the middleware decided the request like any other.
            expect(await res.text()).to.contain(`Cannot ${method} ${BASE}${path.split("?")[0]}`);
            expect(res.headers.get("geo-compliance-decision"), "decided by the middleware").to.be.a("string");
            expect(res.headers.getSetCookie()).to.deep.equal([]);
          }
          // The site itself is unaffected.
          expect((await get(site, "/")).status).to.equal(200);
        } finally {
          await site.close();
        }
      });
    }
  });

  describe("guarded by the secret", () => {
    let site: Site;
    before(async () => (site = await start()));
    after(() => site.close());

    it("without a session: a sign-in form, and nothing of the preview", async () => {
      const res = await get(site, `${BASE}/?region=UA-43&lang=ru`);
      expect(res.status).to.equal(401);
      const body = await res.text();
      expect(body).to.contain(`<form class="login" method="post" action="${BASE}/login">`);
      expect(body).to.contain('<label for="secret">Preview secret</label>');
      expect(body).to.not.contain("ru-undesirable-organization").and.not.contain("<iframe").and.not.contain("<datalist");
      const frame = await get(site, `${BASE}/frame?region=UA-43&lang=ru&path=/`);
      expect(frame.status).to.equal(401);
      expect(frame.headers.getSetCookie()).to.deep.equal([]);
    });

    it("a wrong secret is refused without being shown back; no cookie is set", async () => {
      const typed = "wrong-<b>guess</b>-0123456789-0123456789";
      const res = await fetch(`${site.server.url}${BASE}/login`, { method: "POST", body: new URLSearchParams({ secret: typed }), redirect: "manual" });
      expect(res.status).to.equal(401);
      expect(res.headers.getSetCookie()).to.deep.equal([]);
      const body = await res.text();
      expect(body).to.contain("That is not the preview secret.");
      expect(body).to.not.contain("guess");
      expect(body).to.not.contain(PREVIEW_SECRET);
      // A prefix of the secret is as wrong as anything else.
      expect((await signIn(site, PREVIEW_SECRET.slice(0, -1))).res.status).to.equal(401);
      expect((await signIn(site, "")).res.status).to.equal(401);
    });

    it("the secret signs in: a session cookie, HttpOnly, SameSite=Strict, limited to the router's path", async () => {
      const { res, cookie } = await signIn(site);
      expect(res.status).to.equal(303);
      expect(res.headers.get("location")).to.equal(`${BASE}/`);
      const set = res.headers.getSetCookie()[0]!;
      expect(set).to.match(/HttpOnly/).and.match(/SameSite=Strict/).and.match(new RegExp(`Path=${BASE}(;|$)`));
      expect(set).to.not.contain(PREVIEW_SECRET);
      const page = await get(site, `${BASE}/`, cookie);
      expect(page.status).to.equal(200);
      expect(await page.text()).to.contain('<input id="region" name="region" list="regions"');
    });

    it("a forged, foreign or expired session is refused", async () => {
      const forged = `${SESSION_COOKIE}=s1.${Math.floor(Date.now() / 1000) + 3600}.${"A".repeat(43)}`;
      const foreign = `${SESSION_COOKIE}=${mintSession("another-secret-of-enough-length-0123456789", new Date(Date.now() + 3600_000))}`;
      const expired = `${SESSION_COOKIE}=${mintSession(PREVIEW_SECRET, new Date(Date.now() - 1000))}`;
      const preview = `${SESSION_COOKIE}=${"v1.UA-43.9999999999." + "A".repeat(43)}`;
      for (const cookie of [forged, foreign, expired, preview, `${SESSION_COOKIE}=`]) {
        expect((await get(site, `${BASE}/`, cookie)).status, cookie).to.equal(401);
      }
    });

    it("a form a body parser already read is used as it is", async () => {
      const compliance = geoCompliance({ rules: shippedRulesDir(), preview: { secret: PREVIEW_SECRET }, decisionLog: false });
      const app = express5();
      app.use(express5.urlencoded({ extended: false }));
      app.use(BASE, compliance.previewRouter);
      const server = await listen(app);
      try {
        const ok = await fetch(`${server.url}${BASE}/login`, { method: "POST", body: new URLSearchParams({ secret: PREVIEW_SECRET }), redirect: "manual" });
        expect(ok.status).to.equal(303);
        const big = await fetch(`${server.url}${BASE}/login`, { method: "POST", body: new URLSearchParams({ secret: PREVIEW_SECRET, pad: "x".repeat(10_000) }), redirect: "manual" });
        expect(big.status).to.equal(303);
      } finally {
        await server.close();
        await compliance.close();
      }
    });

    it("a body over 4 KB is not read to the end", async () => {
      const res = await fetch(`${site.server.url}${BASE}/login`, { method: "POST", body: new URLSearchParams({ pad: "x".repeat(10_000), secret: PREVIEW_SECRET }), redirect: "manual" });
      expect(res.status).to.equal(401);
    });

    it("signing out clears the session and the preview cookies", async () => {
      const { cookie } = await signIn(site);
      const res = await fetch(`${site.server.url}${BASE}/logout`, { method: "POST", headers: { cookie }, redirect: "manual" });
      expect(res.status).to.equal(303);
      const cleared = res.headers.getSetCookie();
      expect(cleared.map((c) => c.split("=")[0])).to.deep.equal([SESSION_COOKIE, "geo_compliance_preview", "geo_compliance_preview_frame", "geo_compliance_preview_context"]);
      for (const c of cleared) expect(c).to.match(/Max-Age=0/);
    });
  });

  describe("the preview page", () => {
    let site: Site;
    let cookie: string;
    before(async () => {
      site = await start();
      cookie = (await signIn(site)).cookie;
    });
    after(() => site.close());

    it("shows the decision, the notice text, the frame and the regions where the page differs", async () => {
      const res = await get(site, `${BASE}/?region=ua-43&lang=ru&at=&path=/articles/harbour-bridge`, cookie);
      expect(res.status).to.equal(200);
      const body = await res.text();
      expect(body).to.contain("Decision for UA-43: Avtonomna Respublika Krym, Ukraine");
      expect(body).to.contain("<code>ru-undesirable-organization</code>");
      expect(body).to.contain("notice (ru-undesirable-organization): language=ru");
      expect(body).to.contain('<div class="notice-text" lang="ru"><p><strong>Предупреждение для читателей в России');
      expect(body).to.contain(`<iframe id="frame" src="${BASE}/frame?region=UA-43&amp;lang=ru&amp;at=&amp;path=%2Farticles%2Fharbour-bridge"`);
      const regions = body.slice(body.indexOf('<section class="regions"'));
      for (const code of ["RU", "UA-43", "UA-40", "UA-14", "UA-09", "UA-23", "UA-65"]) expect(regions).to.contain(`>${code}</a>`);
      expect(regions).to.not.contain(">JP</a>").and.not.contain(">UA-*</a>").and.not.contain(">UA-30</a>");
      // The region list offers every country and subdivision.
      expect(body).to.contain('<option value="UA-43">Avtonomna Respublika Krym, Ukraine</option>');
      expect(body).to.contain('<option value="ZW">Zimbabwe</option>');
      expect(body).to.contain('<option value="ru" selected>ru: Russian (русский)</option>');
    });

    it("a region may be given by name, as the help says: a subdivision's, a country's, or a label of the list", async () => {
      for (const [name, code, title] of [
        ["Crimea", "UA-43", "Avtonomna Respublika Krym, Ukraine"],
        ["Avtonomna Respublika Krym, Ukraine", "UA-43", "Avtonomna Respublika Krym, Ukraine"],
        ["sevastopol", "UA-40", "Sevastopol, Ukraine"],
        ["Russia", "RU", "Russian Federation"],
        ["California", "US-CA", "California, United States of America"],
      ] as const) {
        const res = await get(site, `${BASE}/?${new URLSearchParams({ region: name, lang: "en", path: "/" })}`, cookie);
        const body = await res.text();
        expect(res.status, name).to.equal(200);
        expect(body, name).to.contain(`Decision for ${code}: ${title}`);
        expect(body, name).to.contain(`name="region" list="regions" value="${code}"`);
        expect(body, name).to.contain(`src="${BASE}/frame?region=${code}&amp;`);
      }
      const several = await get(site, `${BASE}/?region=Georgia`, cookie);
      expect(several.status).to.equal(400);
      expect(await several.text()).to.contain("&quot;Georgia&quot; names more than one region: GE (Georgia), US-GA (Georgia, United States of America)");
      const none = await get(site, `${BASE}/?region=Narnia`, cookie);
      expect(none.status).to.equal(400);
      expect(await none.text()).to.contain("&quot;Narnia&quot; is neither a region code nor the name of a region");
      // The frame reads names too.
      const frame = await get(site, `${BASE}/frame?region=Crimea&path=/`, cookie);
      expect(frame.status).to.equal(303);
      expect(verifyPreviewToken(PREVIEW_SECRET, cookiesOf(frame).geo_compliance_preview_frame!, new Date())).to.include({ ok: true, subdivision: "UA-43" });
    });

    it("a reader no rule applies to: no rules, no actions", async () => {
      const body = await (await get(site, `${BASE}/?region=JP&lang=&path=/`, cookie)).text();
      expect(body).to.contain("None: this reader gets the page as the site serves it.");
    });

    it("escapes every value it reflects, and says what is wrong with each", async () => {
      const evil = {
        region: '<script>alert("r")</script>',
        lang: '"><img src=x onerror=alert(1)>',
        at: "<svg onload=alert(2)>",
        path: "/\"><script>alert('p')</script>",
      };
      const res = await get(site, `${BASE}/?${new URLSearchParams(evil).toString()}`, cookie);
      expect(res.status).to.equal(400);
      const body = await res.text();
      expect(body).to.not.contain("<script").and.not.contain("<img").and.not.contain("<svg");
      expect(body).to.contain('value="&lt;script&gt;alert(&quot;r&quot;)&lt;/script&gt;"');
      expect(body).to.contain("&quot;&gt;&lt;img src=x onerror=alert(1)&gt;");
      expect(body).to.contain('value="&lt;svg onload=alert(2)&gt;"');
      expect(body).to.contain("is neither a region code nor the name of a region");
      expect(body).to.contain("is not a language tag");
      expect(body).to.contain("is not a date and time");
      // A path with markup in it is a path: kept, escaped, and framed as a path of this site.
      expect(body).to.match(/id="region"[^>]*aria-invalid="true"/);
      expect(body).to.not.contain("<iframe");
    });

    it("frames only this site: another origin or a protocol-relative path is refused", async () => {
      for (const path of ["//evil.example/", "https://evil.example/", "javascript:alert(1)", "/\\evil.example"]) {
        const res = await get(site, `${BASE}/?region=RU&path=${encodeURIComponent(path)}`, cookie);
        expect(res.status, path).to.equal(400);
        expect(await res.text(), path).to.contain("is not a page of this site");
        const frame = await get(site, `${BASE}/frame?region=RU&path=${encodeURIComponent(path)}`, cookie);
        expect(frame.status, path).to.equal(400);
        expect(frame.headers.get("location")).to.equal(null);
      }
    });

    it("sends a strict policy: no script, nothing from elsewhere, never framed itself, never cached", async () => {
      for (const path of [`${BASE}/`, `${BASE}/?region=RU`, `${BASE}/?region=<x>`]) {
        const res = await get(site, path, cookie);
        expect(res.headers.get("content-security-policy"), path).to.equal("default-src 'none';style-src 'self';img-src 'self';frame-src 'self';form-action 'self';base-uri 'none';frame-ancestors 'none'");
        expect(res.headers.get("x-frame-options")).to.equal("DENY");
        expect(res.headers.get("x-content-type-options")).to.equal("nosniff");
        expect(res.headers.get("referrer-policy")).to.equal("no-referrer");
        expect(res.headers.get("cache-control")).to.equal("no-store");
        const body = await res.text();
        expect(body).to.not.match(/<script|\sstyle=|\son\w+=/i);
        expect(body).to.not.match(/(src|href)="(https?:)?\/\//);
      }
      const login = await get(site, `${BASE}/`);
      expect(login.headers.get("content-security-policy")).to.contain("default-src 'none'");
      const css = await get(site, `${BASE}/preview.css`);
      expect(css.status).to.equal(200);
      expect(css.headers.get("content-type")).to.equal("text/css; charset=utf-8");
      expect(await css.text()).to.contain(":focus-visible");
    });

    it("the frame: a preview token and the picked date and language as cookies, then the site's own page", async () => {
      const frame = await get(site, `${BASE}/frame?region=UA-43&lang=ru&at=2099-03-02T10:00&path=/articles/harbour-bridge?x=1`, cookie);
      expect(frame.status).to.equal(303);
      expect(frame.headers.get("location")).to.equal("/articles/harbour-bridge?x=1");
      const set = cookiesOf(frame);
      expect(Object.keys(set)).to.have.members(["geo_compliance_preview_frame", "geo_compliance_preview_context"]);
      const verified = verifyPreviewToken(PREVIEW_SECRET, set.geo_compliance_preview_frame!, new Date());
      expect(verified).to.include({ ok: true, country: "UA", subdivision: "UA-43" });
      expect((verified as { expiresAt: Date }).expiresAt.getTime()).to.be.within(Date.now() + 590_000, Date.now() + 601_000);
      for (const c of frame.headers.getSetCookie()) expect(c).to.match(/Path=\/;/).and.match(/HttpOnly/).and.match(/SameSite=Strict/);

      const jar = Object.entries(set).map(([k, v]) => `${k}=${v}`).join("; ");
      const page = await get(site, "/articles/harbour-bridge", jar, { "X-Forwarded-For": DE_IP, "Accept-Language": "en", ...IN_FRAME });
      const body = await page.text();
      expect(body).to.contain('data-geo-compliance-notice="ru-undesirable-organization"');
      expect(body).to.contain('lang="ru"');
      const [line] = await site.log.waitFor(1);
      expect(line!.region).to.deep.include({ country: "UA", subdivision: "UA-43", source: "preview" });
      expect(String((line!.region as { reason: string }).reason)).to.match(/as of 2099-03-02T10:00:00.000Z, Accept-Language ru$/);
    });

    it("the frame's cookies place pages inside a frame only: the reviewer's other tabs get the site as usual", async () => {
      const frame = await get(site, `${BASE}/frame?region=RU&lang=ru&path=/`, cookie);
      const jar = frame.headers.getSetCookie().map((c) => c.split(";")[0]).join("; ");
      const before = site.log.decisions().length;
      const tab = await get(site, "/articles/harbour-bridge", jar, { "X-Forwarded-For": DE_IP, "Accept-Language": "en", "Sec-Fetch-Dest": "document", "Sec-Fetch-Mode": "navigate" });
      expect(await tab.text()).to.not.contain("data-geo-compliance-notice");
      const framed = await get(site, "/articles/harbour-bridge", jar, { "X-Forwarded-For": DE_IP, "Accept-Language": "en", ...IN_FRAME });
      expect(await framed.text()).to.contain('data-geo-compliance-notice="ru-undesirable-organization"');
      const lines = await site.log.waitFor(before + 2);
      expect(lines.slice(before).map((l) => (l.region as { country: string }).country)).to.deep.equal(["DE", "RU"]);
    });

    it('language "None": the frame is decided for a browser that asks for none, as the panel says, whatever the reviewer\'s browser asks for', async () => {
      const panel = await (await get(site, `${BASE}/?region=RU&lang=&path=/`, cookie)).text();
      expect(panel).to.contain("<dt>Language</dt><dd>none asked for</dd>");
      const said = /<h3>Notice from <code>[^<]+<\/code>, in ([a-z-]+)<\/h3>/.exec(panel)?.[1];
      expect(said, "the panel names the notice's language").to.be.a("string");
      const frame = await get(site, `${BASE}/frame?region=RU&lang=&path=/`, cookie);
      const jar = frame.headers.getSetCookie().map((c) => c.split(";")[0]).join("; ");
      const before = site.log.decisions().length;
      const body = await (await get(site, "/", jar, { "Accept-Language": "en-US,en;q=0.9", ...IN_FRAME })).text();
      expect(/data-geo-compliance-notice="[^"]+"[^>]*\blang="([a-z-]+)"|\blang="([a-z-]+)"[^>]*data-geo-compliance-notice=/.exec(body)?.slice(1).find(Boolean), "the frame's notice language").to.equal(said);
      const [line] = (await site.log.waitFor(before + 1)).slice(before);
      expect(String((line!.region as { reason: string }).reason)).to.match(/no Accept-Language$/);
    });

    it("the date and language are honoured only with a valid preview token, and only when signed with the secret", async () => {
      const ctxName = previewContextCookie({ secret: PREVIEW_SECRET, cookie: "geo_compliance_preview", header: "geo-compliance-preview" });
      const later = new Date(Date.now() + 600_000);
      const ctx = `${ctxName}=${mintPreviewContext(PREVIEW_SECRET, { at: null, language: "uk" }, later)}`;
      const before = site.log.decisions().length;
      // No preview token: the context is not even read, the reader is in Germany.
      const alone = await (await get(site, "/", ctx, { "X-Forwarded-For": "77.88.8.8", "Accept-Language": "en" })).text();
      expect(alone).to.contain('lang="en"');
      // A context signed with another secret is ignored: the browser's language stands.
      const token = (await get(site, `${BASE}/frame?region=RU&path=/`, cookie)).headers.getSetCookie()[0]!.split(";")[0]!;
      const foreign = `${ctxName}=${mintPreviewContext("another-secret-of-enough-length-0123456789", { at: null, language: "uk" }, later)}`;
      expect(await (await get(site, "/", `${token}; ${foreign}`, { "Accept-Language": "en", ...IN_FRAME })).text()).to.contain('lang="en"');
      expect(await (await get(site, "/", `${token}; ${ctx}`, { "Accept-Language": "en", ...IN_FRAME })).text()).to.contain('lang="uk"');
      const lines = await site.log.waitFor(before + 3);
      expect(lines.slice(before).map((l) => (l.region as { source: string }).source)).to.deep.equal(["geoip", "preview", "preview"]);
    });
  });

  it("behind the middleware it refuses to serve, saying how to mount it", async () => {
    const site = await start({}, express5, "middleware-first");
    try {
      const res = await get(site, `${BASE}/`);
      expect(res.status).to.equal(500);
      expect(await res.text()).to.contain('mount the reader preview before the middleware, e.g. app.use("/_preview", compliance.previewRouter)');
    } finally {
      await site.close();
    }
  });

  for (const [name, express] of [["Express 5", express5], ["Express 4", express4 as unknown as ExpressLike]] as const) {
    it(`a path it does not serve goes on to the app's own routes and 404 page (${name})`, async () => {
      const compliance = geoCompliance({ rules: shippedRulesDir(), trustProxy: ["loopback"], preview: { secret: PREVIEW_SECRET }, decisionLog: false, watch: false });
      const app = express();
      app.use(BASE, compliance.previewRouter);
      app.use(compliance);
      app.get(`${BASE}/help`, (_req, res) => void res.type("text").send("how to preview"));
      app.use((req, res) => void res.status(404).type("html").send(`<p>the site's own 404 for ${req.originalUrl}</p>`));
      const server = await listen(app);
      try {
        const help = await fetch(`${server.url}${BASE}/help`);
        expect(help.status).to.equal(200);
        expect(await help.text()).to.equal("how to preview");
        for (const path of ["/nope", "/frame/extra", "/login.php"]) {
          const res = await fetch(`${server.url}${BASE}${path}`, { redirect: "manual" });
          expect(res.status, path).to.equal(404);
          expect(await res.text(), path).to.equal(`<p>the site's own 404 for ${BASE}${path}</p>`);
          // The preview's own policy is for its pages only.
          expect(res.headers.get("content-security-policy") ?? "", path).to.not.contain("frame-ancestors 'none'");
          expect(res.headers.get("x-frame-options"), path).to.equal(null);
        }
        // Its own pages are still its own.
        expect((await fetch(`${server.url}${BASE}/`, { redirect: "manual" })).status).to.equal(401);
      } finally {
        await server.close();
        await compliance.close();
      }
    });
  }

  it("works mounted in Express 4 too", async () => {
    const site = await start({}, express4 as unknown as ExpressLike);
    try {
      const { res, cookie } = await signIn(site);
      expect(res.status).to.equal(303);
      const page = await get(site, `${BASE}/?region=RU&lang=en`, cookie);
      expect(page.status).to.equal(200);
      expect(await page.text()).to.contain("Decision for RU: Russian Federation");
    } finally {
      await site.close();
    }
  });

  it("the picked date decides the framed page (with rules that have effective dates)", async function () {
    const rules = join(packageRoot(), "test", "fixtures", "diff", "dated-from-march.yaml");
    try {
      new RuleStore([rules], () => new Date());
    } catch {
      this.skip(); // effective dates come with the rule language's next version
    }
    const site = await start({ rules });
    try {
      const { cookie } = await signIn(site);
      const framed = async (at: string): Promise<string> => {
        const frame = await get(site, `${BASE}/frame?region=RU&lang=en&at=${at}&path=/`, cookie);
        const jar = frame.headers.getSetCookie().map((c) => c.split(";")[0]).join("; ");
        return (await get(site, "/", jar, IN_FRAME)).text();
      };
      expect(await framed("2099-03-02T00:00")).to.contain('data-geo-compliance-notice="ru-warning"');
      expect(await framed("")).to.not.contain("data-geo-compliance-notice");
      const page = await (await get(site, `${BASE}/?region=RU&lang=en&at=2099-02-28T00:00`, cookie)).text();
      expect(page).to.contain("None: this reader gets the page as the site serves it.");
    } finally {
      await site.close();
    }
  });
});
