import { expect } from "chai";
import express from "express";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, type BrowserContext } from "playwright-core";
import { NoticeRenderer } from "../src/actions/notice.js";
import { loadShippedTrackerList } from "../src/actions/trackers/list.js";
import { BodyRewriting } from "../src/http/body-rewrite.js";
import { newOutcome } from "../src/http/body-rewriter.js";
import { CHROMIUM, requireChromium } from "./support/browser.js";
import { decisionWith, shippedRuleset, trackers } from "./support/decisions.js";
import { listen, type Running } from "./support/server.js";

/** On the shipped tracker list (and on no HSTS preload list, so plain HTTP reaches it); Chromium resolves it, like every host, to 127.0.0.1. */
const BLOCKED = "counter.yadro.ru";
const SITE = "www.ledger.example";
const GIF = Buffer.from("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7", "base64");

/** Each vector loads `/<name>` from the blocked host through one markup channel, and `/fp/<name>.gif` from the site. */
function vectors(port: number): Record<string, string> {
  const t = `http://${BLOCKED}:${port}`;
  const q = (s: string) => s.replace(/"/g, "&quot;");
  return {
    "style-attribute": `<div style="width:8px;height:8px;background-image:url(${t}/style-attribute)"></div>`,
    "style-import": `<style>@import url(${t}/style-import.css);h1{color:#222}</style>`,
    "font-face": `<style>@font-face{font-family:T;src:url(${t}/font-face) format("woff2")}h1{font-family:T,serif}</style>`,
    "svg-image": `<svg width="8" height="8"><image href="${t}/svg-image" width="8" height="8"/></svg>`,
    "svg-set": `<svg width="8" height="8"><image width="8" height="8"><set attributeName="href" to="${t}/svg-set"/></image></svg>`,
    base: `<base href="${t}/"><img src="base">`,
    srcdoc: `<iframe srcdoc="${q(`<img src="${t}/srcdoc">`)}"></iframe>`,
    // A track loads once it is shown (cross-origin only under CORS); the page's own script shows it.
    track: `<video crossorigin><track kind=captions src="${t}/track"></video><script>document.querySelector("track").track.mode = "showing";</script>`,
    imagesrcset: `<link rel=preload as=image imagesrcset="${t}/imagesrcset 1x" imagesizes="8px">`,
    importmap: `<script type=importmap>{"imports":{"tracker":"${t}/importmap"}}</script><script type=module>import "tracker";</script>`,
    "meta-refresh": `<meta http-equiv=refresh content="0;url=${t}/meta-refresh">`,
  };
}

describe("browser: markup channels in list mode, where no policy stands behind the rewrite", function () {
  this.timeout(120000);
  let server: Running;
  let context: BrowserContext;
  let profile: string;
  const seen: Array<{ host: string; path: string }> = [];
  let pages: Record<string, string> = {};

  before(async function () {
    requireChromium(this);
    const body = new BodyRewriting({ trackers: loadShippedTrackerList(), notices: new NoticeRenderer(), cacheBytes: 0 });
    const app = express();
    app.use((req, _res, next) => {
      seen.push({ host: (req.headers.host ?? "").replace(/:\d+$/, ""), path: req.path });
      next();
    });
    app.use("/protected", (req, res, next) => {
      body.attach(req, res, decisionWith([trackers("list")]), shippedRuleset(), {}, newOutcome());
      next();
    });
    const page = (name: string) => `<!doctype html><html><head><meta charset="utf-8"><title>${name}</title></head><body><h1>${name}</h1>${pages[name]}<img src="/fp/${name}.gif"></body></html>`;
    app.get(["/open/:name", "/protected/:name"], (req, res) => {
      if (req.headers.host?.startsWith(BLOCKED)) return void res.type("gif").send(GIF);
      const name = String(req.params.name);
      if (!(name in pages)) return void res.status(404).end();
      res.type("html").send(page(name));
    });
    app.use((req, res) => {
      if (req.path.endsWith(".gif") || req.headers.host?.startsWith(BLOCKED)) return void res.type(req.path.endsWith(".js") || req.path.includes("importmap") ? "text/javascript" : "gif").send(req.path.includes("importmap") ? "" : GIF);
      res.status(404).end();
    });
    server = await listen(app);
    pages = vectors(Number(new URL(server.url).port));
    profile = mkdtempSync(join(tmpdir(), "gc-chromium-"));
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: ["--no-sandbox", "--headless", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--host-resolver-rules=MAP * 127.0.0.1", "--autoplay-policy=no-user-gesture-required"],
    });
  });
  after(async () => {
    await context?.close();
    if (profile) rmSync(profile, { recursive: true, force: true });
    await server?.close();
  });

  /** Loads a page and returns what reached the server while it loaded, and a moment after. */
  async function visit(path: string): Promise<Array<{ host: string; path: string }>> {
    seen.length = 0;
    const page = await context.newPage();
    try {
      await page.goto(`http://${SITE}:${new URL(server.url).port}${path}`, { waitUntil: "load", timeout: 10000 }).catch(() => undefined);
      await page.waitForTimeout(400);
    } finally {
      await page.close();
    }
    return [...seen];
  }

  for (const name of Object.keys(vectors(0))) {
    it(`${name}: reaches the blocked host without the middleware, and for a protected reader never, while the site's own requests are made`, async () => {
      const open = await visit(`/open/${name}`);
      expect(open.some((r) => r.host === BLOCKED && r.path.startsWith(`/${name}`)), `the ${name} vector fires without the middleware: ${JSON.stringify(open)}`).to.equal(true);
      const guarded = await visit(`/protected/${name}`);
      expect(guarded.filter((r) => r.host === BLOCKED), "requests to the blocked host").to.deep.equal([]);
      expect(guarded.some((r) => r.host === SITE && r.path === `/fp/${name}.gif`), "the site's own image").to.equal(true);
    });
  }
});
