import { expect } from "chai";
import express from "express";
import { join } from "node:path";
import { createDemoSite } from "../demo/app.js";
import { NoticeRenderer } from "../src/actions/notice.js";
import { loadShippedTrackerList } from "../src/actions/trackers/list.js";
import { BodyRewriting } from "../src/http/body-rewrite.js";
import { newOutcome } from "../src/http/body-rewriter.js";
import { geoCompliance, shippedRules } from "../src/index.js";
import { artifactsDir, openSession, requireChromium } from "./support/browser.js";
import { decisionWith, notice, shippedRuleset } from "./support/decisions.js";
import { newsPage } from "./support/news-page.js";
import { listen, type Running } from "./support/server.js";

const VIEWPORTS = [
  { width: 360, height: 640 },
  { width: 1280, height: 800 },
];

/** Whether the notice's title is inside the first viewport and not covered by anything. */
async function titleVisible(page: import("playwright-core").Page, viewport: { width: number; height: number }): Promise<void> {
  const title = page.locator("[data-geo-compliance-notice] .geo-compliance-notice__title");
  const box = (await title.boundingBox())!;
  expect(box, "the title has a box").to.not.equal(null);
  expect(box.y).to.be.at.least(0);
  expect(box.y + box.height).to.be.at.most(viewport.height);
  expect(box.x).to.be.at.least(0);
  expect(box.width).to.be.greaterThan(100);
  const onTop = await page.evaluate(([x, y]) => Boolean(document.elementFromPoint(x!, y!)?.closest("[data-geo-compliance-notice]")), [box.x + Math.min(box.width / 2, 40), box.y + box.height / 2]);
  expect(onTop, "nothing covers the notice").to.equal(true);
}

describe("browser: the notice in the first viewport", function () {
  this.timeout(60000);
  let server: Running;
  let compliance: ReturnType<typeof geoCompliance>;

  before(async function () {
    requireChromium(this);
    compliance = geoCompliance({ rules: shippedRules, trustProxy: "loopback", decisionLog: false });
    const app = createDemoSite(compliance);
    // The same middleware with a notice at the end of <body>, on a long page.
    const body = new BodyRewriting({ trackers: loadShippedTrackerList(), notices: new NoticeRenderer(), cacheBytes: 0 });
    const long = newsPage(120 * 1024, { trackers: false });
    const bottom = express();
    bottom.use((req, res, next) => {
      body.attach(req, res, decisionWith([notice({ at: "body-end" }, { language: "ru", dismissible: true })]), shippedRuleset(), {}, newOutcome());
      next();
    });
    bottom.get("/long", (_q, r) => void r.type("html").send(long));
    app.use(bottom);
    server = await listen(app);
  });
  after(async () => {
    await server?.close();
    await compliance?.close();
  });

  for (const viewport of VIEWPORTS) {
    it(`shows the Russia warning at the top at ${viewport.width}x${viewport.height}`, async () => {
      const session = await openSession(viewport, { "X-Forwarded-For": "77.88.8.8", "Accept-Language": "ru" });
      try {
        const page = await session.context.newPage();
        await page.goto(`${server.url}/articles/harbour-bridge`);
        expect(await page.locator("[data-geo-compliance-notice]").count()).to.equal(1);
        await titleVisible(page, viewport);
        expect(await page.locator("[data-geo-compliance-notice]").getAttribute("lang")).to.equal("ru");
        await page.screenshot({ path: join(artifactsDir(), `notice-top-${viewport.width}x${viewport.height}.png`) });
      } finally {
        await session.close();
      }
    });

    it(`shows a notice placed at the end of a long page in the first viewport at ${viewport.width}x${viewport.height}, and dismisses it`, async () => {
      const session = await openSession(viewport);
      try {
        const page = await session.context.newPage();
        await page.goto(`${server.url}/long`);
        await titleVisible(page, viewport);
        await page.screenshot({ path: join(artifactsDir(), `notice-bottom-${viewport.width}x${viewport.height}.png`) });
        await page.locator(".geo-compliance-notice__dismiss").click();
        expect(await page.locator("[data-geo-compliance-notice]").count()).to.equal(0);
        // The cookie keeps it away on the next page.
        await page.goto(`${server.url}/long`);
        expect(await page.locator("[data-geo-compliance-notice]").count()).to.equal(0);
      } finally {
        await session.close();
      }
    });
  }
});
