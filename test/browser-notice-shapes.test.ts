import { expect } from "chai";
import express from "express";
import type { Page } from "playwright-core";
import { NoticeRenderer } from "../src/actions/notice.js";
import { loadShippedTrackerList } from "../src/actions/trackers/list.js";
import { BodyRewriting } from "../src/http/body-rewrite.js";
import { newOutcome } from "../src/http/body-rewriter.js";
import { openSession, requireChromium, type Session } from "./support/browser.js";
import { decisionWith, notice, shippedRuleset } from "./support/decisions.js";
import { listen, type Running } from "./support/server.js";

const FRAMES = '<frameset rows="50%,50%"><frame src="/frame"><frame src="/frame"></frameset>';

/** Document shapes whose notice once ended where Chromium shows it as text, or not at all. */
const PAGES: Record<string, { html: string; frames: number }> = {
  frameset: { html: `<!doctype html><html><head><title>f</title></head>${FRAMES}</html>`, frames: 2 },
  "svg-then-frameset": { html: `<!doctype html><title>f</title><svg></svg>${FRAMES}`, frames: 2 },
  "span-then-frameset": { html: `<!doctype html><title>f</title><span></span>\n${FRAMES}`, frames: 2 },
  "ends-in-script": { html: "<!doctype html><title>t</title><script>var a = 1;", frames: 0 },
  "ends-double-escaped": { html: "<!doctype html><title>t</title><script><!--<script ", frames: 0 },
  "ends-in-template": { html: "<!doctype html><title>t</title><template><p>x", frames: 0 },
  "ends-in-noscript": { html: "<!doctype html><title>t</title><noscript><p>x", frames: 0 },
  "ends-in-plaintext": { html: "<!doctype html><title>t</title><template><plaintext>y", frames: 0 },
};

describe("browser: one rendered notice in every document shape", function () {
  this.timeout(60000);
  let server: Running;
  let session: Session;

  before(async function () {
    requireChromium(this);
    const body = new BodyRewriting({ trackers: loadShippedTrackerList(), notices: new NoticeRenderer(), cacheBytes: 0 });
    const app = express();
    app.get("/frame", (_q, r) => void r.type("html").send("<!doctype html><p>frame</p>"));
    app.use((req, res, next) => {
      body.attach(req, res, decisionWith([notice()]), shippedRuleset(), {}, newOutcome());
      next();
    });
    app.get("/:shape", (req, res) => {
      const page = PAGES[req.params.shape];
      if (page) res.type("html").send(page.html);
      else res.sendStatus(404);
    });
    server = await listen(app);
    session = await openSession();
  });
  after(async () => {
    await session?.close();
    await server?.close();
  });

  async function shown(page: Page): Promise<{ notices: number; visible: number; frames: number }> {
    return page.evaluate(() => {
      const notices = [...document.querySelectorAll("[data-geo-compliance-notice]")];
      return { notices: notices.length, visible: notices.filter((n) => n.checkVisibility() && n.getBoundingClientRect().height > 0).length, frames: document.querySelectorAll("frame").length };
    });
  }

  for (const [shape, { frames }] of Object.entries(PAGES)) {
    it(`${shape}: the notice is rendered once${frames ? ", and the frames are still there" : ""}`, async () => {
      const page = await session.context.newPage();
      try {
        await page.goto(`${server.url}/${shape}`, { waitUntil: "load", timeout: 10000 });
        // The frameset form is added once the document is parsed: wait for it, bounded.
        await page.waitForSelector("[data-geo-compliance-notice]", { state: "attached", timeout: 3000 }).catch(() => undefined);
        const result = await shown(page);
        expect(result).to.deep.equal({ notices: 1, visible: 1, frames });
      } finally {
        await page.close();
      }
    });
  }
});
