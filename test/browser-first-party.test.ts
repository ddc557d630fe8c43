import { expect } from "chai";
import express from "express";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";
import type { Action } from "../src/rules/actions.js";
import { actionMiddleware, RU } from "./support/action-site.js";
import { CHROMIUM, requireChromium } from "./support/browser.js";
import { listen, type Running } from "./support/server.js";

const THIRD_PARTY: Action = { kind: "trackers", rule: "ru-undesirable-organization", mode: "third-party", allow: [] };
const portOf = (r: Running): string => new URL(r.url).port;

describe("browser: a site served from a public-suffix host", function () {
  this.timeout(60000);
  let site: Running;
  let other: Running;
  /** Host header and path of every request that reached the other port. */
  const seen: string[] = [];

  before(async function () {
    requireChromium(this);
    // Another port on the same machine: `news.github.io:<port>` is the site's own host there, `evil.github.io:<port>` a neighbour.
    const otherApp = express();
    otherApp.use((req, res) => {
      seen.push(`${req.headers.host?.replace(/:\d+$/, "")}${req.path}`);
      if (req.path.endsWith(".js")) res.type("text/javascript").send("window.ownPortLoaded = true;");
      else res.status(204).end();
    });
    other = await listen(otherApp);
    const port = portOf(other);
    const app = express();
    app.use(actionMiddleware({ actions: [THIRD_PARTY] }));
    app.get("/", (_req, res) => {
      res.type("html").send(
        `<!doctype html><html><head><title>t</title><script src="http://news.github.io:${port}/own.js"></script></head><body>` +
          `<img src="http://cdn.news.github.io:${port}/own-sub.gif"><img src="http://evil.github.io:${port}/markup.gif">` +
          `<script>var w = new Worker("/worker.js"); w.onmessage = function () { window.workerDone = true; };</script></body></html>`,
      );
    });
    // The guard script does not run in a worker: only the policy sent with the worker's script stands between it and a neighbour.
    app.get("/worker.js", (_req, res) => {
      res.type("text/javascript").send(
        `Promise.all([fetch("http://evil.github.io:${port}/from-worker", { mode: "no-cors" }).catch(function () {}),` +
          ` fetch("http://news.github.io:${port}/own-from-worker", { mode: "no-cors" }).catch(function () {})]).then(function () { postMessage("done"); });`,
      );
    });
    site = await listen(app);
  });
  after(async () => {
    await site?.close();
    await other?.close();
  });

  it("loads the site's own host on another port and nothing from another github.io site", async () => {
    const profile = mkdtempSync(join(tmpdir(), "gc-chromium-"));
    const context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: ["--no-sandbox", "--headless", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--host-resolver-rules=MAP * 127.0.0.1"],
      extraHTTPHeaders: { "X-Forwarded-For": RU },
    });
    try {
      const page = await context.newPage();
      await page.goto(`http://news.github.io:${portOf(site)}/`, { waitUntil: "load", timeout: 15000 });
      await page.waitForFunction(() => (window as unknown as { workerDone?: boolean }).workerDone === true, undefined, { timeout: 10000 });
      expect(await page.evaluate(() => (window as unknown as { ownPortLoaded?: boolean }).ownPortLoaded)).to.equal(true);
      expect(seen).to.include.members(["news.github.io/own.js", "cdn.news.github.io/own-sub.gif", "news.github.io/own-from-worker"]);
      expect(seen.filter((s) => s.startsWith("evil.github.io"))).to.deep.equal([]);
    } finally {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    }
  });
});
