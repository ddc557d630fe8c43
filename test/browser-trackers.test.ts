import { expect } from "chai";
import express, { type Express } from "express";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { NoticeRenderer } from "../src/actions/notice.js";
import { loadShippedTrackerList } from "../src/actions/trackers/list.js";
import { BodyRewriting } from "../src/http/body-rewrite.js";
import { newOutcome, type RewriteOutcome } from "../src/http/body-rewriter.js";
import { geoCompliance, shippedRules } from "../src/index.js";
import { packageRoot } from "../src/package-root.js";
import type { Decision } from "../src/rules/decide.js";
import { artifactsDir, openSession, requireChromium } from "./support/browser.js";
import { consent, decisionWith, notice, shippedRuleset, trackers } from "./support/decisions.js";
import { listen, type Running } from "./support/server.js";

const FIXTURES = join(packageRoot(), "test", "fixtures", "pages");
const PAGE = readFileSync(join(FIXTURES, "trackers.html"));
const LIST = loadShippedTrackerList();

function fixtureRoutes(app: Express): void {
  app.get("/trackers", (_q, r) => void r.type("html").send(PAGE));
  app.use("/fixtures", express.static(FIXTURES));
}

/** Loads the tracker page and returns the URLs it asked for once its scripts are done. */
async function visit(url: string, shot?: string): Promise<{ urls: string[]; blocked: string[] }> {
  const session = await openSession({ width: 1280, height: 800 });
  try {
    const page = await session.context.newPage();
    await page.goto(url, { waitUntil: "load" });
    await page.waitForFunction(() => (window as unknown as { __dynamicDone?: boolean }).__dynamicDone === true, undefined, { timeout: 10000 });
    await page.waitForTimeout(300);
    if (shot) await page.screenshot({ path: join(artifactsDir(), shot) });
    const blocked = await page.evaluate(() => ((window as unknown as { geoCompliance?: { blocked: string[] } }).geoCompliance?.blocked ?? []).slice());
    return { urls: session.requests.map((r) => r.url()), blocked };
  } finally {
    await session.close();
  }
}

const hostOf = (u: string): string => new URL(u).hostname;
const listed = (urls: string[]): string[] => urls.filter((u) => u.startsWith("http") && LIST.match(hostOf(u)) !== undefined);

describe("browser: trackers", function () {
  this.timeout(120000);
  let plain: Running;
  let guarded: Running;
  let compliance: ReturnType<typeof geoCompliance>;
  const outcomes: RewriteOutcome[] = [];
  let protectedDecision: Decision = decisionWith([notice(), trackers("list"), consent()]);

  before(async function () {
    requireChromium(this);
    // The same site without the middleware and with it.
    const without = express();
    fixtureRoutes(without);
    plain = await listen(without);
    compliance = geoCompliance({ rules: shippedRules, trustProxy: "loopback", decisionLog: false });
    // Readers in a protected region get the decision built here from the actions contract;
    // everyone else goes through the whole middleware as shipped.
    const body = new BodyRewriting({ trackers: LIST, notices: new NoticeRenderer(), cacheBytes: 1024 * 1024 });
    const app = express();
    app.use((req, res, next) => {
      if (req.headers["x-test-region"] !== "protected") return compliance(req, res, next);
      const outcome = newOutcome();
      outcomes.push(outcome);
      body.attach(req, res, protectedDecision, shippedRuleset(), {}, outcome);
      next();
    });
    fixtureRoutes(app);
    guarded = await listen(app);
  });
  after(async () => {
    await plain?.close();
    await guarded?.close();
    await compliance?.close();
  });

  it("for a region with no rules, serves the page byte for byte and the browser asks for the same things", async () => {
    const a = Buffer.from(await (await fetch(`${plain.url}/trackers`)).arrayBuffer());
    const b = Buffer.from(await (await fetch(`${guarded.url}/trackers`, { headers: { "X-Forwarded-For": "8.8.8.8" } })).arrayBuffer());
    expect(b.equals(a)).to.equal(true);
    const without = await visit(`${plain.url}/trackers`);
    const session = await openSession({ width: 1280, height: 800 }, { "X-Forwarded-For": "8.8.8.8" });
    let withMw: string[];
    try {
      const page = await session.context.newPage();
      await page.goto(`${guarded.url}/trackers`, { waitUntil: "load" });
      await page.waitForFunction(() => (window as unknown as { __dynamicDone?: boolean }).__dynamicDone === true);
      await page.waitForTimeout(300);
      withMw = session.requests.map((r) => r.url());
    } finally {
      await session.close();
    }
    const strip = (urls: string[]): string[] => urls.map((u) => u.replace(/^http:\/\/127\.0\.0\.1:\d+/, "LOCAL")).sort();
    expect(strip(withMw)).to.deep.equal(strip(without.urls));
    // The page does load trackers when nothing stops them, so the next test can fail.
    expect(listed(without.urls).length).to.be.greaterThan(15);
  });

  it("for a protected reader (list mode), makes no request to a listed host: not from tags, snippets, pixels or later insertions", async () => {
    protectedDecision = decisionWith([notice(), trackers("list"), consent()]);
    const session = await openSession({ width: 1280, height: 800 }, { "X-Test-Region": "protected" });
    try {
      const page = await session.context.newPage();
      await page.goto(`${guarded.url}/trackers`, { waitUntil: "load" });
      await page.waitForFunction(() => (window as unknown as { __dynamicDone?: boolean }).__dynamicDone === true);
      await page.waitForTimeout(300);
      await page.screenshot({ path: join(artifactsDir(), "trackers-protected.png") });
      const urls = session.requests.map((r) => r.url());
      expect(listed(urls)).to.deep.equal([]);
      // First-party requests and hosts that are not listed still go through.
      expect(urls.some((u) => u.endsWith("/fixtures/first-party.json"))).to.equal(true);
      expect(urls.some((u) => u.includes("youtube-nocookie.example.net"))).to.equal(true);
      const blocked = await page.evaluate(() => (window as unknown as { geoCompliance: { blocked: string[] } }).geoCompliance.blocked.slice());
      expect(blocked.length, "the guard stopped the insertions made after the page arrived").to.be.at.least(8);
      expect(await page.locator("[data-geo-compliance-notice]").count()).to.equal(1);
      const consentState = await page.evaluate(() => JSON.stringify((window as unknown as { dataLayer: unknown[] }).dataLayer[0]));
      expect(consentState).to.contain('"consent"').and.contain('"default"').and.contain('"ad_storage":"denied"');
    } finally {
      await session.close();
    }
    expect(Math.max(...outcomes.map((o) => o.trackersNeutralized))).to.be.at.least(15);
  });

  it("for a protected reader (third-party mode), makes no request to any host but the site's own", async () => {
    protectedDecision = decisionWith([notice(), trackers("third-party")]);
    const session = await openSession({ width: 1280, height: 800 }, { "X-Test-Region": "protected" });
    try {
      const page = await session.context.newPage();
      await page.goto(`${guarded.url}/trackers`, { waitUntil: "load" });
      await page.waitForFunction(() => (window as unknown as { __dynamicDone?: boolean }).__dynamicDone === true);
      await page.waitForTimeout(300);
      const urls = session.requests.map((r) => r.url());
      expect(urls.filter((u) => u.startsWith("http") && hostOf(u) !== "127.0.0.1")).to.deep.equal([]);
      expect(urls.some((u) => u.endsWith("/fixtures/first-party.json"))).to.equal(true);
    } finally {
      await session.close();
    }
  });
});
