import { expect } from "chai";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { chromium } from "playwright-core";
import { main } from "../src/cli/main.js";
import type { AuditReport, PageResult, ReaderResult } from "../src/cli/audit/report-json.js";
import type { GeoComplianceMiddleware } from "../src/index.js";
import { AUDIT_SECRET, crawlSite, demoSite, gapSite, Recorder, RESOLVER_ARG } from "./support/audit-sites.js";
import { artifactsDir, CHROMIUM, requireChromium } from "./support/browser.js";
import { tempDir } from "./support/region-fixtures.js";
import type { Running } from "./support/server.js";

interface Audit {
  code: number;
  out: string;
  err: string;
  report: AuditReport;
  html: string;
  dir: string;
}

const ENV = { GEO_COMPLIANCE_PREVIEW_SECRET: AUDIT_SECRET, CHROMIUM_PATH: CHROMIUM };

async function audit(...args: string[]): Promise<Audit> {
  const dir = tempDir("gc-audit-");
  let out = "";
  let err = "";
  const code = await main(["audit", ...args, "--out", dir, "--settle", "300", "--viewport", "390x844,1280x800", RESOLVER_ARG], (t) => (out += `${t}\n`), (t) => (err += `${t}\n`), ENV);
  const report = JSON.parse(readFileSync(join(dir, "report.json"), "utf8")) as AuditReport;
  return { code, out, err, report, html: readFileSync(join(dir, "report.html"), "utf8"), dir };
}

const pageOf = (a: Audit, path: string): PageResult => {
  const p = a.report.pages.find((x) => new URL(x.url).pathname === path);
  expect(p, `${path} in the report`).to.not.equal(undefined);
  return p!;
};
const reader = (p: PageResult, region = "RU"): ReaderResult => p.readers.find((r) => r.region === region && !r.baseline)!;

describe("audit: the demo site, in Chromium", function () {
  this.timeout(120000);
  let site: { running: Running; compliance: GeoComplianceMiddleware };
  let result: Audit;

  before(async function () {
    requireChromium(this);
    site = await demoSite();
    result = await audit(`${site.running.url}/`, "--region", "RU", "--region", "UA-43", "--lang", "ru", "--crawl", "5", "--baseline");
  });
  after(async () => {
    await site?.running.close();
    await site?.compliance.close();
  });

  it("passes clean: exit 0, both pages found by the crawl, no leak, the notice in Russian in every viewport, for each region", () => {
    expect(result.code, result.out + result.err).to.equal(0);
    expect(result.report.ok).to.equal(true);
    expect(result.report.pages.map((p) => new URL(p.url).pathname).sort()).to.deep.equal(["/", "/articles/harbour-bridge"]);
    for (const [p, region] of result.report.pages.flatMap((p) => [[p, "RU"], [p, "UA-43"]] as const)) {
      const r = reader(p, region);
      expect(r.problems, p.url).to.deep.equal([]);
      expect(r.leaks).to.deep.equal([]);
      expect(r.thirdParties).to.deep.equal([]);
      expect(r.notices).to.have.length(1);
      expect(r.notices[0]).to.deep.include({ rule: "ru-undesirable-organization", count: 1, language: "ru", expectedLanguage: "ru" });
      expect(r.notices[0]!.viewports).to.deep.equal({ "390x844": null, "1280x800": null });
      expect(r.screenshots.map((s) => s.viewport)).to.deep.equal(["390x844", "1280x800"]);
      for (const s of r.screenshots) expect(existsSync(join(result.dir, s.file))).to.equal(true);
    }
  });

  it("takes the decision id and the rules revision from the site's responses", () => {
    const r = reader(pageOf(result, "/"));
    expect(r.decisionId).to.match(/^[0-9a-f-]{36}$/);
    expect(r.revision).to.equal(site.compliance.status().revision);
    expect(r.rules).to.deep.equal(["ru-undesirable-organization"]);
    expect(r.trackersMode).to.equal("third-party");
  });

  it("--baseline: the free reader's trackers fired, and the difference is said", () => {
    const home = pageOf(result, "/");
    const free = home.readers.find((r) => r.baseline)!;
    expect(free.rules).to.deep.equal([]);
    expect(free.trackersFired.join(" ")).to.contain("Google Tag Manager").and.contain("www.googletagmanager.com");
    expect(free.thirdParties.map((t) => t.host)).to.include("www.googletagmanager.com");
    expect(free.thirdParties.every((t) => !t.leak)).to.equal(true);
    const gtm = free.thirdParties.find((t) => t.host === "www.googletagmanager.com")!;
    expect(gtm.cause).to.contain("<script").and.contain("gtag/js");
    const diff = home.differences.find((d) => d.region === "RU")!.items.join("\n");
    expect(diff).to.contain("www.googletagmanager.com").and.contain("notices: protected reader ru-undesirable-organization; free reader none");
  });

  it("prints one line per page and no progress line when standard error is not a terminal", () => {
    expect(result.out).to.match(/^pass http:\/\/127\.0\.0\.1:\d+\/$/m);
    expect(result.err).to.equal("");
  });
});

describe("audit: pages that leak, in Chromium", function () {
  this.timeout(180000);
  const recorder = new Recorder();
  let site: { running: Running; compliance: GeoComplianceMiddleware };
  let result: Audit;
  const paths = ["/gap/clean", "/gap/script", "/gap/css", "/gap/preconnect", "/gap/link-header", "/gap/navigation", "/gap/iframe", "/gap/twice", "/gap/english", "/real/ok", "/real/hidden", "/real/below", "/bare"];

  before(async function () {
    requireChromium(this);
    await recorder.start();
    site = await gapSite(recorder);
    result = await audit(...paths.map((p) => `${site.running.url}${p}`), "--region", "RU", "--lang", "ru");
  });
  after(async () => {
    await recorder.close();
    await site?.running.close();
    await site?.compliance.close();
  });

  it("exits 1, and the pages with leaks come first in the report", () => {
    expect(result.code, result.out + result.err).to.equal(1);
    const order = result.report.pages.map((p) => new URL(p.url).pathname);
    const firstClean = order.findIndex((p) => pageOf(result, p).leaks === 0);
    expect(order.slice(firstClean).every((p) => pageOf(result, p).leaks === 0), order.join(" ")).to.equal(true);
  });

  it("a page of the same site that does not leak passes, so what fails below is the leak", () => {
    expect(reader(pageOf(result, "/gap/clean")).problems).to.deep.equal([]);
    expect(pageOf(result, "/gap/clean").failed).to.equal(false);
    expect(reader(pageOf(result, "/real/ok")).problems).to.deep.equal([]);
  });

  const leaks: [string, string, RegExp, RegExp][] = [
    ["a script", "script", /request/, /element <script src="http:\/\/script\.tracker\.example:\d+\/tag\.js">/],
    ["a CSS url()", "css", /request/, /stylesheet http:\/\/127\.0\.0\.1:\d+\/gap\/style\.css \(a CSS url\(\)\)/],
    ["a preconnect made by a script", "preconnect", /preconnect/, /<link rel="preconnect" href="http:\/\/preconnect\.tracker\.example:\d+"> \(not in the page's HTML: added by a script\)/],
    ["a Link header", "link-header", /preconnect/, /Link header of http:\/\/127\.0\.0\.1:\d+\/gap\/link-header: <http:\/\/link-header\.tracker\.example:\d+>; rel=preconnect/],
    ["a navigation", "navigation", /navigation/, /script http:\/\/127\.0\.0\.1:\d+\/gap\/navigation/],
  ];
  for (const [channel, name, kind, cause] of leaks) {
    it(`a leak through ${channel} fails the page, named with its host, kind and cause`, () => {
      const p = pageOf(result, `/gap/${name}`);
      const r = reader(p);
      expect(p.failed).to.equal(true);
      const host = `${name}.tracker.example`;
      const leak = r.leaks.find((l) => l.host === host);
      expect(leak, JSON.stringify(r.thirdParties, null, 1)).to.not.equal(undefined);
      expect(leak!.kinds.join(" ")).to.match(kind);
      expect(leak!.cause).to.match(cause);
      expect(r.problems.join("\n")).to.contain(`leak: `).and.contain(` to ${host}`);
      expect(result.out).to.contain(`RU: leak: `).and.contain(host);
    });
  }

  it("what a third party's frame loads is a leak too, named with the frame", () => {
    const r = reader(pageOf(result, "/gap/iframe"));
    expect(r.leaks.map((l) => l.host).sort()).to.deep.equal(["frame.tracker.example", "inner.tracker.example"]);
    expect(r.leaks.find((l) => l.host === "inner.tracker.example")!.cause).to.match(/frame\.tracker\.example:\d+\/frame\.html/);
  });

  it("the leaks reached the third party for real", () => {
    const hosts = new Set(recorder.seen.map((s) => s.host.replace(/:\d+$/, "")));
    for (const h of ["script", "css", "navigation"]) expect(hosts).to.include(`${h}.tracker.example`);
  });

  it("a notice the page's style hides fails, and so does one out of the first viewport", () => {
    const hidden = reader(pageOf(result, "/real/hidden"));
    expect(hidden.notices[0]!.count).to.equal(1);
    expect(hidden.problems).to.include("notice ru-undesirable-organization: hidden (display, visibility or opacity) at 390x844");
    expect(hidden.problems).to.include("notice ru-undesirable-organization: hidden (display, visibility or opacity) at 1280x800");
    const below = reader(pageOf(result, "/real/below"));
    expect(below.problems).to.include("notice ru-undesirable-organization: not in the first viewport at 1280x800");
    expect(pageOf(result, "/real/hidden").failed && pageOf(result, "/real/below").failed).to.equal(true);
  });

  it("a notice shown twice fails, and so does one in another language than the reader asked for", () => {
    expect(reader(pageOf(result, "/gap/twice")).problems).to.deep.equal(["notice ru-undesirable-organization: shown 2 times, not once"]);
    expect(reader(pageOf(result, "/gap/english")).problems).to.deep.equal(['notice ru-undesirable-organization: in "en", expected ru']);
  });

  it("a page the middleware never saw fails: no decision", () => {
    const r = reader(pageOf(result, "/bare"));
    expect(r.decisionId).to.equal(null);
    expect(r.problems.join("\n")).to.contain("the site made no decision for this page");
  });

  it("the HTML report opens in Chromium and shows its tables and the screenshots", async () => {
    expect(result.html).to.not.match(/<script/i);
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
    try {
      const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      const requests: string[] = [];
      page.on("request", (r) => void requests.push(r.url()));
      await page.goto(`file://${join(result.dir, "report.html")}`);
      const shot = await page.screenshot({ fullPage: false });
      writeFileSync(join(artifactsDir(), "audit-report.png"), shot);
      expect(await page.locator("table.summary").isVisible()).to.equal(true);
      expect(await page.locator("table.summary tbody tr").count()).to.equal(paths.length);
      const firstRow = await page.locator("table.summary tbody tr").first().innerText();
      expect(firstRow).to.contain("/gap/").and.contain("FAIL");
      expect(await page.locator("table.third-parties tr.leak").count()).to.be.at.least(5);
      const images = await page.locator("figure img").evaluateAll((imgs) => imgs.map((i) => (i as unknown as { naturalWidth: number }).naturalWidth));
      expect(images.length).to.equal(paths.length * 2);
      expect(images.every((w) => w > 0)).to.equal(true);
      // The report loads nothing: its screenshots are in the file.
      expect(requests.filter((u) => !u.startsWith("file:") && !u.startsWith("data:"))).to.deep.equal([]);
      expect(shot.length).to.be.greaterThan(10000);
    } finally {
      await browser.close();
    }
  });
});

describe("audit --crawl, in Chromium", function () {
  this.timeout(180000);
  const elsewhere = new Recorder();
  let site: Running;
  let result: Audit;
  let timed: Audit;

  before(async function () {
    requireChromium(this);
    await elsewhere.start();
    site = await crawlSite(elsewhere);
    result = await audit(`${site.url}/`, "--region", "RU", "--baseline", "--crawl", "4");
    timed = await audit(`${site.url}/`, "--region", "RU", "--crawl", "5", "--max-time", "1s", "--json");
  });
  after(async () => {
    await elsewhere.close();
    await site?.close();
  });

  it("stays on the site and stops at N pages, breadth first", () => {
    const urls = result.report.pages.map((p) => p.url);
    expect(urls).to.have.length(4);
    for (const u of urls) expect(new URL(u).origin).to.equal(site.url);
    expect(urls.map((u) => new URL(u).pathname).sort()).to.deep.equal(["/", "/go-away", "/p1", "/p2"]);
    expect(urls.some((u) => u.includes("#"))).to.equal(false);
    expect(result.report.crawl.notAudited).to.be.greaterThan(0);
  });

  it("leaves out what robots.txt disallows", () => {
    expect(result.report.crawl.skippedByRobots).to.deep.equal([`${site.url}/private`]);
    expect(result.report.pages.some((p) => p.url.includes("/private"))).to.equal(false);
  });

  it("never sends the preview token to another host: not by cookie, header or address, not through a redirect", () => {
    // The other host was reached: by the image on every page and by the redirect.
    expect(elsewhere.seen.some((s) => s.url === "/pixel.gif")).to.equal(true);
    expect(elsewhere.seen.some((s) => s.url === "/redirected")).to.equal(true);
    for (const s of elsewhere.seen) {
      const all = `${s.url} ${JSON.stringify(s.headers)}`;
      expect(all).to.not.contain("v1.RU.");
      expect(all).to.not.contain("v1.AQ.");
      expect(all).to.not.contain("geo_compliance_preview");
    }
  });

  it("writes no token into the report", () => {
    expect(result.html + JSON.stringify(result.report)).to.not.match(/v1\.(RU|AQ)\.\d+\./);
  });

  it("stops starting pages once --max-time has passed, and says so", () => {
    expect(timed.report.pages).to.have.length(1);
    expect(timed.report.crawl.stoppedByTime).to.equal(true);
    expect(timed.html).to.contain("time limit reached");
  });

  it("--json prints report.json", () => {
    expect(JSON.parse(timed.out)).to.deep.equal(timed.report);
  });
});
